"""PDF ingestion end to end: a PDF built here (no shared material needed) and real papers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.ingest.pdf import paper_from_dict, parse_pdf
from agent.ingest.pdf_worker import parse_pdf_in_process
from agent.types import IngestLimits, Paper
from tests.conftest import REPO_ROOT, require_shared

LIMITS = IngestLimits()


def make_paper_pdf(path: Path) -> Path:
    """A two-page paper: running header, page numbers, title, authors, abstract, numbered
    headings, a hyphenated line break, a numbered equation, a table and a two-column page."""
    import pymupdf

    doc = pymupdf.open()

    def put(page, x: float, y: float, text: str, size: float = 10, font: str = "tiro") -> None:
        page.insert_text((x, y), text, fontsize=size, fontname=font)

    page = doc.new_page(width=612, height=792)
    put(page, 108, 40, "Preprint. Under review.", 9)
    put(page, 180, 100, "Tiny Networks Learn Quickly", 17, "tibo")
    put(page, 230, 130, "Ada Lovelace, Alan Turing")
    put(page, 240, 143, "Example University")
    put(page, 282, 175, "Abstract", 12, "tibo")
    put(page, 144, 195, "We study tiny networks and show that they learn quickly on small problems when")
    put(page, 144, 206, "trained with a careful schedule. Our results hold across many settings and seeds.")
    put(page, 108, 245, "1   Introduction", 12, "tibo")
    put(page, 108, 265, "Neural networks are large. We ask whether small ones suffice, and we run experi-")
    put(page, 108, 276, "ments with a model of width 64 and a learning rate of 0.001 for 100 epochs.")
    put(page, 108, 287, "The model computes its output as:")
    put(page, 260, 310, "y = W x + b")
    put(page, 492, 310, "(1)")
    put(page, 108, 330, "where W is a weight matrix and b a bias vector, both learned.")
    put(page, 108, 360, "2   Method", 12, "tibo")
    put(page, 108, 385, "2.1   Training Setup", 10, "tibo")
    put(page, 108, 403, "We train with Adam and a batch size of 32 on one machine.")
    put(page, 108, 440, "Table 1: Model settings used in all experiments.")
    for k, row in enumerate([("Model", "Layers", "Heads"), ("Small", "6", "8"), ("Large", "12", "16")]):
        for x, cell in zip((200, 300, 400), row):
            put(page, x, 462 + 14 * k, cell, 9)
    put(page, 108, 530, "The results of both models are reported in the next section of this paper.")
    put(page, 303, 760, "1")
    page = doc.new_page(width=612, height=792)
    put(page, 108, 40, "Preprint. Under review.", 9)
    put(page, 108, 80, "3   Results", 12, "tibo")
    for k in range(6):
        put(page, 108, 100 + 11 * k, f"Left column sentence number {k} talks about the")
        put(page, 320, 100 + 11 * k, f"Right column sentence number {k} follows after the")
    put(page, 303, 760, "2")
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_paper_pdf(tmp_path_factory.mktemp("pdf") / "tiny.pdf")


@pytest.fixture(scope="module")
def tiny(synthetic: Path) -> Paper:
    return parse_pdf(synthetic, limits=LIMITS)


def test_synthetic_front_matter(tiny: Paper) -> None:
    assert tiny.source == "pdf" and tiny.pages == 2
    assert tiny.title == "Tiny Networks Learn Quickly"
    assert tiny.authors == ["Ada Lovelace", "Alan Turing"]
    assert tiny.abstract.startswith("We study tiny networks") and tiny.abstract.endswith("settings and seeds.")
    assert tiny.hyperparameters == []


def test_synthetic_sections_numbers_and_levels(tiny: Paper) -> None:
    heads = [(s.number, s.title, s.level) for s in tiny.sections]
    assert heads == [("1", "Introduction", 1), ("2", "Method", 1), ("2.1", "Training Setup", 2), ("3", "Results", 1)]


def test_synthetic_text_is_clean(tiny: Paper) -> None:
    intro = tiny.sections[0].text
    assert "we run experiments with a model of width 64 and a learning rate of 0.001 for 100 epochs." in intro
    everything = " ".join(s.text for s in tiny.sections) + tiny.abstract
    assert "Preprint" not in everything  # running header
    assert "Table 1" not in everything and "Small 6 8" not in everything  # the table is not body text
    # the sentence interrupted by the equation stays whole
    assert "The model computes its output as: where W is a weight matrix" in intro


def test_synthetic_two_columns_read_left_then_right(tiny: Paper) -> None:
    text = tiny.sections[-1].text
    assert text.index("Left column sentence number 5") < text.index("Right column sentence number 0")
    assert text.index("Right column sentence number 0") < text.index("Right column sentence number 5")


def test_synthetic_equation_and_table(tiny: Paper) -> None:
    (eq,) = tiny.equations
    assert (eq.id, eq.number, eq.latex, eq.page, eq.section) == ("eq1", "1", "y = Wx + b", 1, "Introduction")
    assert eq.raw_text == "y = W x + b"
    (table,) = tiny.tables
    assert (table.id, table.number, table.page) == ("tab1", "1", 1)
    assert table.caption == "Table 1: Model settings used in all experiments."
    assert table.rows == [["Model", "Layers", "Heads"], ["Small", "6", "8"], ["Large", "12", "16"]]
    assert table.section == "Training Setup"


def test_dict_round_trip(tiny: Paper) -> None:
    assert paper_from_dict(tiny.to_dict()) == tiny


def test_parsing_happens_in_a_child_process(synthetic: Path) -> None:
    """The parent never loads MuPDF: the parse ran in the worker process."""
    code = (
        "import sys; from pathlib import Path; from agent.ingest.pdf import parse_pdf; "
        "from agent.types import IngestLimits; "
        f"p = parse_pdf(Path({str(synthetic)!r}), limits=IngestLimits()); "
        "print(p.title, 'pymupdf' in sys.modules, 'fitz' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Tiny Networks Learn Quickly False False"


# ---------------------------------------------------------------------------------------------
# Real papers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transformer() -> Paper:
    return parse_pdf(require_shared("transformer", "paper.pdf"), limits=LIMITS)


@pytest.fixture(scope="module")
def vit() -> Paper:
    return parse_pdf(require_shared("vit", "paper.pdf"), limits=LIMITS)


def _section(paper: Paper, title: str):
    return next(s for s in paper.sections if s.title == title)


def test_transformer_front_matter(transformer: Paper) -> None:
    assert transformer.title == "Attention Is All You Need"
    assert transformer.pages == 15
    assert transformer.authors[:3] == ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    assert "Illia Polosukhin" in transformer.authors
    assert transformer.abstract.startswith("The dominant sequence transduction models are based on complex")
    assert transformer.abstract.endswith("with large and limited training data.")


def test_transformer_sections(transformer: Paper) -> None:
    heads = {(s.number, s.title): s.level for s in transformer.sections}
    assert heads[("3.2.1", "Scaled Dot-Product Attention")] == 3
    assert heads[("3.2", "Attention")] == 2
    assert heads[("5", "Training")] == 1
    assert heads[(None, "References")] == 1
    numbered = [s.number for s in transformer.sections if s.number]
    assert numbered[:6] == ["1", "2", "3", "3.1", "3.2", "3.2.1"]


def test_transformer_text_quality(transformer: Paper) -> None:
    optimizer = _section(transformer, "Optimizer").text
    assert "We used the Adam optimizer [20] with β1 = 0.9, β2 = 0.98 and ϵ = 10-9." in optimizer
    scaled = _section(transformer, "Scaled Dot-Product Attention").text
    assert "extremely small gradients. To counteract this effect" in scaled  # footnote mark dropped
    stacks = _section(transformer, "Encoder and Decoder Stacks").text
    assert "The encoder is composed of a stack of N = 6 identical layers." in stacks
    ffn = _section(transformer, "Position-wise Feed-Forward Networks").text
    assert "The dimensionality of input and output is dmodel = 512, and the inner-layer has dimensionality " \
        "dff = 2048." in ffn
    everything = transformer.abstract + " ".join(s.text for s in transformer.sections)
    for bad in ("ﬁ", "ﬂ", "\u2212", "\ufffd", "arXiv:1706.03762", "Provided proper attribution"):
        assert bad not in everything
    assert "trans- lation" not in everything and "English-to-German" in everything


def test_transformer_table_3(transformer: Paper) -> None:
    table = next(t for t in transformer.tables if t.number == "3")
    assert table.caption.startswith("Table 3: Variations on the Transformer architecture.")
    header = table.rows[0]
    for name in ("N", "dmodel", "dff", "h", "dk", "dv", "Pdrop", "ϵls", "train steps"):
        assert name in header
    rows = {r[0]: r for r in table.rows[1:] if r[0]}
    base, big = rows["base"], rows["big"]
    assert base[header.index("dmodel")] == "512" and base[header.index("dff")] == "2048"
    assert base[header.index("N")] == "6" and base[header.index("h")] == "8"
    assert big[header.index("dmodel")] == "1024" and big[header.index("train steps")] == "300K"
    assert table.page == 9 and table.section == "Model Variations"
    assert [t.number for t in transformer.tables] == ["1", "2", "3", "4"]


def test_vit(vit: Paper) -> None:
    assert vit.title == "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale"
    assert vit.authors[0] == "Alexey Dosovitskiy"
    assert vit.abstract.startswith("While the Transformer architecture has become the de-facto standard")
    heads = {s.number: s.title for s in vit.sections}
    assert heads["3.1"] == "Vision Transformer (ViT)" and heads["4.2"] == "Comparison to State of the Art"
    assert [e.number for e in vit.equations if e.number][:4] == ["1", "2", "3", "4"]
    table = next(t for t in vit.tables if t.number == "1")
    assert table.rows[0] == ["Model", "Layers", "Hidden size D", "MLP size", "Heads", "Params"]
    assert table.rows[1] == ["ViT-Base", "12", "768", "3072", "12", "86M"]
    assert table.caption == "Table 1: Details of Vision Transformer model variants."
    setup = next(s for s in vit.sections if s.number == "4.1").text
    assert "batch size of 4096" in setup


@pytest.mark.parametrize(("paper", "title", "section"), [
    ("rmsnorm", "Root Mean Square Layer Normalization", ("4", "RMSNorm")),
    ("layernorm", "Layer Normalization", ("3", "Layer normalization")),
    ("glu_variants", "GLU Variants Improve Transformer", ("2", "Gated Linear Units (GLU) and Variants")),
    ("lora", "LoRA: Low-Rank Adaptation of Large Language Models", ("4.1", "Low-Rank-Parametrized Update Matrices")),
    ("roformer", "RoFormer: Enhanced Transformer with Rotary Position Embedding", ("3.2", "Rotary position embedding")),
])
def test_other_papers(paper: str, title: str, section: tuple[str, str]) -> None:
    parsed = parse_pdf_in_process(require_shared(paper, "paper.pdf"), LIMITS)
    assert parsed.title == title
    assert len(parsed.abstract) > 300
    assert section in [(s.number, s.title) for s in parsed.sections]
    numbered = [e.number for e in parsed.equations if e.number]
    assert numbered[:2] == ["1", "2"]
    for s in parsed.sections:
        assert "ﬁ" not in s.text and "\ufffd" not in s.text


def test_two_column_reading_order() -> None:
    paper = parse_pdf_in_process(require_shared("relative_position_shaw", "paper.pdf"), LIMITS)
    assert paper.authors == ["Peter Shaw", "Jakob Uszkoreit", "Ashish Vaswani"]
    transformer = _section(paper, "Transformer").text
    assert transformer.startswith("The Transformer (Vaswani et al., 2017) employs an encoder-decoder structure")
    attention = _section(paper, "Self-Attention").text
    # the left column's end comes before the right column's start
    assert attention.index("Each weight coefficient") < attention.index("Scaled dot product was chosen")
