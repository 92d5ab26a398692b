"""The bundled example papers (examples/*) read through ``agent.ingest.load_paper``.

The examples were written for this project, so every expectation below is known exactly: equation
numbers (including an ``align`` block with a ``\\nonumber`` line and an ``equation`` + ``split``),
user macros with and without (optional) arguments, comment stripping (a commented-out equation, a
commented ``\\input`` and trailing ``%`` comments holding wrong values), the tables, the algorithm,
and the hyperparameters with their evidence. The built PDFs are checked for the same facts where a
PDF can carry them.
"""

from __future__ import annotations

import math
import re

import pytest

from agent.ingest import load_paper
from agent.types import Paper
from tests.conftest import EXAMPLES

TINY_LM = EXAMPLES / "tiny_lm"
COPY = EXAMPLES / "copy_transformer"

# name -> value, as stated in the text and the tables of each example.
TINY_LM_HPARAMS = {
    "num_layers": 4, "d_model": 128, "d_ff": 344, "num_heads": 4, "dropout": 0.0,
    "learning_rate": 3e-4, "batch_size": 32, "warmup_steps": 200, "adam_beta1": 0.9,
    "adam_beta2": 0.95, "weight_decay": 0.1, "vocab_size": 256, "max_seq_len": 128, "max_steps": 5000,
    "grad_clip": 1.0, "norm_eps": 1e-6, "adam_eps": 1e-8,
}
COPY_HPARAMS = {
    "num_layers": 2, "d_model": 64, "d_ff": 256, "num_heads": 4, "dropout": 0.1,
    "label_smoothing": 0.1, "warmup_steps": 400, "adam_beta1": 0.9, "adam_beta2": 0.98,
    "adam_eps": 1e-9, "batch_size": 64, "vocab_size": 16, "max_seq_len": 16, "max_steps": 2000,
    "norm_eps": 1e-5,
}
# Table label -> {name: value}: what each hyperparameter table states (evidence.table must name it).
TINY_LM_TABLES = {
    "Architecture": {"num_layers": 4, "d_model": 128, "d_ff": 344, "num_heads": 4, "dropout": 0.0,
                     "vocab_size": 256, "max_seq_len": 128},
    "Optimisation": {"learning_rate": 3e-4, "batch_size": 32, "warmup_steps": 200, "max_steps": 5000,
                     "adam_beta1": 0.9, "adam_beta2": 0.95, "weight_decay": 0.1, "grad_clip": 1.0},
}
# Values that only appear inside LaTeX comments: reading them means comments leaked into content.
COMMENTED_VALUES = {"tiny_lm": ("batch_size", 64), "copy_transformer": ("d_model", 128)}


def _squash(latex: str) -> str:
    """LaTeX without whitespace, so spacing choices of the parser do not matter."""
    return re.sub(r"\s+", "", latex)


@pytest.fixture(scope="module")
def tiny_lm() -> Paper:
    return load_paper(TINY_LM)


@pytest.fixture(scope="module")
def copy_paper() -> Paper:
    return load_paper(COPY)


def _numbered(paper: Paper) -> list[str]:
    return [e.number for e in paper.equations if e.number is not None]


def _by_label(paper: Paper, label: str):
    matches = [e for e in paper.equations if e.label == label]
    assert len(matches) == 1, f"expected one equation labelled {label}, got {len(matches)}"
    return matches[0]


# ----------------------------------------------------------------------------------------------
# The examples themselves: sources, macros, built PDFs
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", [TINY_LM, COPY], ids=lambda p: p.name)
def test_example_folder_is_complete(folder) -> None:
    main = (folder / "main.tex").read_text()
    assert len(re.findall(r"^\\input\{sections/", main, flags=re.M)) >= 2
    assert re.search(r"\\newcommand\{\\dmodel\}\{d_\{\\text\{model\}\}\}", main)
    assert re.search(r"\\newcommand\{\\\w+\}\[1\]", main), "a macro with one argument"
    assert re.search(r"\\newcommand\{\\\w+\}\[2\]\[[^\]]*\]", main), "a macro with an optional argument"
    assert (folder / "README.md").read_text().strip()
    pdf = folder / "paper.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size < 300_000


# ----------------------------------------------------------------------------------------------
# TinyLM from LaTeX
# ----------------------------------------------------------------------------------------------


def test_tiny_lm_title_abstract_sections(tiny_lm: Paper) -> None:
    assert tiny_lm.source == "latex"
    assert tiny_lm.main_file == "main.tex"
    assert "TinyLM" in tiny_lm.title and "Decoder-Only" in tiny_lm.title
    assert "\\" not in tiny_lm.title, "the \\TinyLM macro is expanded in the title"
    assert tiny_lm.abstract.startswith("We describe TinyLM")
    titles = [(s.level, s.title) for s in tiny_lm.sections]
    for expected in [(1, "Introduction"), (1, "Model"), (2, "RMSNorm"), (2, "Pre-norm residual blocks"),
                     (1, "Training"), (2, "Optimiser and schedule"), (1, "Conclusion")]:
        assert expected in titles
    # The sections come from three \input files, in document order.
    assert titles.index((1, "Model")) < titles.index((1, "Training")) < titles.index((1, "Conclusion"))


def test_tiny_lm_equation_numbers_follow_latex(tiny_lm: Paper) -> None:
    assert _numbered(tiny_lm) == [str(n) for n in range(1, 13)]
    expected_labels = {"eq:rmsnorm": "1", "eq:silu": "2", "eq:swiglu": "3", "eq:rope-freq": "4",
                       "eq:rope": "5", "eq:attention": "6", "eq:mask": "7", "eq:mha": "8",
                       "eq:embed": "9", "eq:block": "10", "eq:loss": "11", "eq:lr": "12"}
    for label, number in expected_labels.items():
        assert _by_label(tiny_lm, label).number == number
    ids = [e.id for e in tiny_lm.equations]
    assert len(set(ids)) == len(ids)


def test_tiny_lm_align_nonumber_line_takes_no_number(tiny_lm: Paper) -> None:
    # align: x_0 (9), h_l \nonumber, x_l (10). The \nonumber line is either its own unnumbered
    # equation or part of equation (10); it never shifts the numbers after it.
    assert "E_{t}" in _squash(tiny_lm.equation("9").latex)
    assert "h_\\ell" not in tiny_lm.equation("9").latex
    assert "\\mathrm{FFN}" in tiny_lm.equation("10").latex
    assert "\\log" in tiny_lm.equation("11").latex, "the \\nonumber line must not consume number 11"
    h_line = [e for e in tiny_lm.equations if "\\mathrm{MHA}(\\mathrm{RMSNorm}" in _squash(e.latex)]
    assert h_line and all(e.number in (None, "10") for e in h_line)
    # The unnumbered display d_h = d_model / h is an equation without a number.
    assert any(e.number is None and _squash(e.latex).startswith("d_h=") for e in tiny_lm.equations)


def test_tiny_lm_macros_are_expanded(tiny_lm: Paper) -> None:
    rmsnorm = _squash(tiny_lm.equation("1").latex)
    assert "\\sqrt{\\frac{1}{d_{\\text{model}}}\\sum_{i=1}^{d_{\\text{model}}}x_i^2+\\epsilon}" in rmsnorm
    assert "\\rms" not in rmsnorm and "\\dmodel" not in rmsnorm
    # \rot[2][m]: the default position m, and an explicit [n] in the text.
    assert "R_{m}q" in _squash(tiny_lm.equation("5").latex)
    assert "R_{m}xW^Q_j" in _squash(tiny_lm.equation("8").latex)
    text = " ".join(s.text for s in tiny_lm.sections)
    assert "R_{n}k" in _squash(text)
    for eq in tiny_lm.equations:
        assert not re.search(r"\\(dmodel|dff|rms|rot|TinyLM)\b", eq.latex), eq.latex


def test_tiny_lm_comments_are_not_content(tiny_lm: Paper) -> None:
    assert all("LayerNorm" not in e.latex for e in tiny_lm.equations)
    assert all(e.label != "eq:layernorm-draft" for e in tiny_lm.equations)
    text = " ".join(s.text for s in tiny_lm.sections)
    assert "earlier draft" not in text and "earlier runs" not in text
    assert "96\\%" in text or "96%" in text, "an escaped \\% is text, not a comment"
    assert not any("ablations" in w for w in tiny_lm.warnings), "a commented \\input is not followed"


def test_tiny_lm_tables(tiny_lm: Paper) -> None:
    arch = next(t for t in tiny_lm.tables if t.label == "tab:arch")
    assert arch.caption and "Architecture" in arch.caption
    header, row = arch.rows[0], arch.rows[1]
    assert header[:2] == ["Model", "Layers"] and "Heads" in header and "Dropout" in header
    assert "model" in header[2] and "ff" in header[3]
    assert row[1:] == ["4", "128", "344", "4", "0.0", "256", "128"]
    optim = next(t for t in tiny_lm.tables if t.label == "tab:optim")
    assert optim.rows[0][0] == "Learning rate" and len(optim.rows) == 2
    assert optim.rows[1][1:] == ["32", "200", "5000", "0.9", "0.95", "0.1", "1.0"]


def test_tiny_lm_algorithm(tiny_lm: Paper) -> None:
    (alg,) = tiny_lm.algorithms
    assert alg.label == "alg:train" and "Training loop" in (alg.caption or "")
    assert len(alg.lines) >= 8
    joined = "\n".join(alg.lines)
    assert "AdamW" in joined and "sample" in joined


def _assert_hparams(paper: Paper, expected: dict[str, float]) -> None:
    """Each expected value is extracted, with evidence that quotes a sentence or cell and locates it."""
    problems = []
    for name, value in expected.items():
        found = [h for h in paper.hyperparameter_values(name)
                 if isinstance(h.value, (int, float)) and math.isclose(h.value, value, rel_tol=1e-9)]
        if not found:
            got = [h.value for h in paper.hyperparameter_values(name)]
            problems.append(f"{name}={value} not extracted (got {got})")
        for h in found:
            if not h.evidence.text.strip() or not (h.evidence.section or h.evidence.table):
                problems.append(f"{name}: evidence without text or location: {h.evidence}")
    assert not problems, "\n".join(problems)


def test_tiny_lm_hyperparameters_with_evidence(tiny_lm: Paper) -> None:
    _assert_hparams(tiny_lm, TINY_LM_HPARAMS)
    name, value = COMMENTED_VALUES["tiny_lm"]
    assert all(h.value != value for h in tiny_lm.hyperparameter_values(name))


@pytest.mark.parametrize("caption_word", list(TINY_LM_TABLES))
def test_tiny_lm_hyperparameters_from_each_table(tiny_lm: Paper, caption_word: str) -> None:
    # Table 1 has a row label column; Table 2 is one header row over one row of values, no labels.
    missing = []
    for name, value in TINY_LM_TABLES[caption_word].items():
        if not any(caption_word in (h.evidence.table or "") and isinstance(h.value, (int, float))
                   and math.isclose(h.value, value) for h in tiny_lm.hyperparameter_values(name)):
            missing.append(f"{name}={value}")
    assert not missing, f"not read from the {caption_word} table: " + ", ".join(missing)


# ----------------------------------------------------------------------------------------------
# CopyFormer from LaTeX
# ----------------------------------------------------------------------------------------------


def test_copy_equations_split_align_and_macros(copy_paper: Paper) -> None:
    assert "Copy" in copy_paper.title and "Encoder-Decoder" in copy_paper.title
    assert _numbered(copy_paper) == [str(n) for n in range(1, 14)]
    assert _by_label(copy_paper, "eq:head").number == "3"
    assert _by_label(copy_paper, "eq:pe-cos").number == "6"
    # equation + split: one number for both lines; default optional argument x of \sublayer.
    encoder = _squash(_by_label(copy_paper, "eq:encoder").latex)
    assert _by_label(copy_paper, "eq:encoder").number == "8"
    assert "\\mathrm{LayerNorm}(x+\\mathrm{MultiHead}(x,x,x))" in encoder and "Enc" in encoder
    # align with a \nonumber middle line: (9), unnumbered, (10); explicit optional arguments.
    assert _by_label(copy_paper, "eq:dec-self").number == "9"
    assert "\\mathrm{LayerNorm}(y+" in _squash(copy_paper.equation("9").latex)
    assert "\\mathrm{LayerNorm}(c+\\mathrm{FFN}(c))" in _squash(copy_paper.equation("10").latex)
    assert "q(k)" in copy_paper.equation("11").latex
    assert "warmup\\_steps" in copy_paper.equation("13").latex or "warmup_steps" in copy_paper.equation("13").latex
    assert all("PreNorm" not in e.latex for e in copy_paper.equations), "commented-out equation ingested"


def test_copy_table_algorithm_hyperparameters(copy_paper: Paper) -> None:
    (table,) = copy_paper.tables
    assert table.label == "tab:hparams" and table.rows[1] == ["copy", "2", "64", "256", "4", "0.1", "0.1", "400"]
    (alg,) = copy_paper.algorithms
    assert alg.label == "alg:train" and any("Adam" in line for line in alg.lines)
    _assert_hparams(copy_paper, COPY_HPARAMS)
    name, value = COMMENTED_VALUES["copy_transformer"]
    assert all(h.value != value for h in copy_paper.hyperparameter_values(name))


# ----------------------------------------------------------------------------------------------
# The built PDFs
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "title_word", "last_number", "core"),
    [(TINY_LM, "TinyLM", 12, {"d_model": 128, "num_heads": 4, "d_ff": 344}),
     (COPY, "Copy", 13, {"d_model": 64, "num_heads": 4, "d_ff": 256})],
    ids=["tiny_lm", "copy_transformer"],
)
def test_example_pdf(folder, title_word: str, last_number: int, core: dict[str, float]) -> None:
    paper = load_paper(folder / "paper.pdf")
    assert paper.source == "pdf" and paper.pages == 4
    assert title_word in paper.title
    assert paper.abstract.strip()
    assert {s.title for s in paper.sections} >= {"Introduction", "Model"}
    numbers = {e.number for e in paper.equations if e.number}
    missing = sorted({str(n) for n in range(1, last_number + 1)} - numbers, key=int)
    assert not missing, f"numbered equations not found in the PDF: {missing}"
    _assert_hparams(paper, core)
