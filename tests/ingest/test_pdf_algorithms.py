"""Algorithm blocks read from PDFs: the bundled example and a PDF built here (caption below)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.ingest import load_paper
from agent.ingest.pdf import parse_pdf
from agent.ingest.pdf_worker import parse_pdf_in_process
from agent.types import IngestLimits, Paper
from tests.conftest import EXAMPLES

LIMITS = IngestLimits()


@pytest.fixture(scope="module")
def tiny_lm() -> Paper:
    return parse_pdf_in_process(EXAMPLES / "tiny_lm" / "paper.pdf", LIMITS)


def test_tiny_lm_algorithm(tiny_lm: Paper) -> None:
    assert len(tiny_lm.algorithms) == 1
    alg = tiny_lm.algorithms[0]
    assert alg.id == "alg1" and alg.caption == "Training loop of TinyLM" and alg.section == "Configuration"
    assert alg.lines[0] == "Require: byte corpus D, total steps S, warmup steps Sw, batch size B"
    assert alg.lines[1].startswith("initialise θ: weights")
    assert alg.lines[2] == "for s = 1 to S do"
    assert alg.lines[3] == "  sample B windows of T + 1 bytes from D"
    assert alg.lines[4] == "  compute L(θ) with Eq. (11)"
    assert alg.lines[-2:] == ["end for", "return θ"]


def test_tiny_lm_algorithm_nesting_matches_the_latex_source(tiny_lm: Paper) -> None:
    source = load_paper(EXAMPLES / "tiny_lm" / "main.tex").algorithms[0]

    def depth(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    assert [depth(x) for x in tiny_lm.algorithms[0].lines] == [depth(x) for x in source.lines]


def test_tiny_lm_algorithm_lines_leave_the_prose_and_the_table(tiny_lm: Paper) -> None:
    text = next(s.text for s in tiny_lm.sections if s.title == "Configuration")
    assert "initialise" not in text and "Algorithm 1" not in text and "end for" not in text
    assert "Table 1 lists the architecture" in text
    table = next(t for t in tiny_lm.tables if t.number == "1")
    assert table.rows[0][:3] == ["Model", "Layers", "dmodel"] and table.rows[1][:2] == ["TinyLM", "4"]


def test_copy_transformer_algorithm_keeps_its_comments() -> None:
    paper = parse_pdf_in_process(EXAMPLES / "copy_transformer" / "paper.pdf", LIMITS)
    [alg] = paper.algorithms
    assert alg.caption == "Training on the copy task"
    assert alg.lines[1] == "for step = 1, . . . , S do"
    assert alg.lines[3] == "  z ← encoder output for x ▷ Eq. (8)"
    assert alg.lines[-1] == "return θ"
    # the comment "▷ Eq. (8)" at the right edge is not an equation number
    assert all("encoder output" not in e.raw_text for e in paper.equations)


def make_algorithm_pdf(path: Path) -> Path:
    """One page: a sentence that starts "Algorithm 1 ...", then an algorithm2e-style block whose
    caption sits below its numbered steps (one step wraps onto a second line)."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)

    def put(x: float, y: float, text: str, size: float = 10, font: str = "tiro") -> None:
        page.insert_text((x, y), text, fontsize=size, fontname=font)

    put(200, 50, "Gradient Descent Notes", 17, "tibo")
    put(108, 80, "1   Method", 12, "tibo")
    put(108, 100, "Algorithm 1 below gives the procedure that we follow in every experiment of")
    put(108, 112, "this paper; it is plain gradient descent with a fixed step size and no momentum.")
    put(108, 124, "1: this line only looks like a step, it belongs to the paragraph above it.")
    steps = [(0, "Input: initial weights w, step size eta, number of steps T"),
             (1, "for t = 1 to T do"), (2, "compute the gradient g of the loss at w"),
             (3, "w <- w - eta g, keeping a copy of the previous weights for the"),
             (None, "stopping test"), (4, "end for"), (5, "return w")]
    y = 160
    for number, text in steps:
        if number is None:
            put(137, y, text)
        elif number == 0:
            put(108, y, text)
        else:
            put(113, y, f"{number}:", 8)
            put(125 if number in (1, 4, 5) else 137, y, text)
        y += 12
    put(108, y + 2, "Algorithm 1: Plain gradient descent", 10, "tibo")
    put(108, y + 30, "We run it for ten thousand steps on every data set and report the final loss.")
    doc.save(path)
    return path


def test_caption_below_numbered_steps(tmp_path: Path) -> None:
    paper = parse_pdf(make_algorithm_pdf(tmp_path / "alg.pdf"), limits=LIMITS)
    [alg] = paper.algorithms
    assert alg.caption == "Plain gradient descent" and alg.section == "Method"
    assert alg.lines == [
        "Input: initial weights w, step size eta, number of steps T",
        "for t = 1 to T do",
        "  compute the gradient g of the loss at w",
        "  w <- w - eta g, keeping a copy of the previous weights for the stopping test",
        "end for",
        "return w",
    ]
    text = paper.sections[0].text
    assert "Algorithm 1 below gives the procedure" in text and "only looks like a step" in text
    assert "ten thousand steps" in text and "compute the gradient" not in text
