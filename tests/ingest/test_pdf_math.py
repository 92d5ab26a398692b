"""Display equations from PDFs: LaTeX reconstruction from span geometry, equation numbers,
and the equations of real papers."""

from __future__ import annotations

import pytest

from agent.ingest.pdf_layout import Line, PageLayout, Span
from agent.ingest.pdf_math import equation_context, find_equations, is_prose, number_chunk, spans_to_latex
from agent.ingest.pdf_worker import parse_pdf_in_process
from agent.types import IngestLimits, Paper
from tests.conftest import EXAMPLES, require_shared

BASE = 100.0


def sp(text: str, x0: float, base: float = BASE, size: float = 10.0, font: str = "CMMI10",
       width: float | None = None) -> Span:
    """A span as PyMuPDF reports it: bbox from the baseline and the font size."""
    w = width if width is not None else 0.5 * size * len(text)
    return Span(text, x0, base - 0.75 * size, x0 + w, base + 0.25 * size, size, font, 0, base)


def test_subscript_from_smaller_lower_span() -> None:
    assert spans_to_latex([sp("d", 0), sp("model", 5.2, BASE + 1.5, 7, "NimbusRomNo9L-Regu")]) == "d_{model}"


def test_stacked_superscript_and_subscript() -> None:
    latex = spans_to_latex([sp("W", 0), sp("O", 9.5, BASE - 3.6, 7), sp("i", 9.5, BASE + 1.5, 7)])
    assert latex == "W_{i}^{O}"


def test_superscript_chain_keeps_sign_and_digits_together() -> None:
    spans = [sp("lrate", 0, font="CMR10"), sp("=", 30, font="CMR10"), sp("d", 40),
             sp("-", 45.5, BASE - 3.6, 7, "CMSY7"), sp("0.5", 49.5, BASE - 3.6, 7, "CMR7")]
    assert spans_to_latex(spans) == r"\mathrm{lrate} = d^{-0.5}"


def test_fraction_from_numerator_above_denominator() -> None:
    spans = [
        sp("Attention(", 0, font="CMR10"), sp("Q, K, V", 50), sp(") = softmax(", 85, font="CMR10"),
        sp("QK", 150, BASE - 6.8), sp("T", 160.5, BASE - 10.4, 7),
        sp("√", 146, BASE - 0.3, font="CMSY10", width=8), sp("d", 154, BASE + 7.4), sp("k", 159.2, BASE + 8.9, 7),
        sp(")", 168, font="CMR10", width=4), sp("V", 172, width=6),
    ]
    latex = spans_to_latex(spans)
    assert latex == r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(\frac{QK^{T}}{\sqrt{d_{k}}})V"


def test_greek_symbols_and_operators_become_commands() -> None:
    spans = [sp("α", 0), sp("≤", 8, font="CMSY10"), sp("β", 16), sp("·", 24, font="CMSY10"),
             sp("γ", 30), sp("⊙", 38, font="CMSY10"), sp("x", 46), sp("−", 52, font="CMSY10"), sp("ε", 60)]
    assert spans_to_latex(spans) == r"\alpha \leq \beta\cdot\gamma\odot x - \varepsilon"


def test_named_functions() -> None:
    spans = [sp("FFN(", 0, font="CMR10"), sp("x", 22), sp(") = max(0", 28, font="CMR10"), sp(",", 75),
             sp("x", 80), sp(") + exp(", 86, font="CMR10"), sp("x", 130), sp(") + log(", 136, font="CMR10"),
             sp("x", 175), sp(")", 181, font="CMR10")]
    assert spans_to_latex(spans) == r"\mathrm{FFN}(x) = \max(0, x) + \exp(x) + \log(x)"


def test_sum_with_limits_above_and_below() -> None:
    # geometry as in the RMSNorm paper: the display sum's box sits above the baseline
    total = Span("∑", 20, BASE - 10, 34, BASE - 3, 10, "CMEX10", 0, BASE - 9.4)
    upper = Span("m", 24, BASE - 17, 31, BASE - 11, 7, "CMMI7", 0, BASE - 12.4)
    lower = [Span("j", 21, BASE + 7, 24, BASE + 13, 7, "CMMI7", 0, BASE + 11.8),
             Span("=1", 24, BASE + 7, 33, BASE + 13, 7, "CMR7", 0, BASE + 11.8)]
    spans = [sp("a", 0), sp("=", 10, font="CMR10"), total, upper, *lower, sp("w", 36), sp("j", 41.2, BASE + 1.5, 7)]
    assert spans_to_latex(spans) == r"a = \sum_{j = 1}^{m}w_{j}"


def test_expectation_takes_the_script_below_it_as_limits() -> None:
    expect = Span("E", 0, BASE - 7, 8, BASE, 10, "MSBM10", 0, BASE)
    below = [Span("(x", 0, BASE + 2, 6, BASE + 8, 7, "CMR7", 0, BASE + 6.5),
             Span(", c)", 6, BASE + 2, 14, BASE + 8, 7, "CMMI7", 0, BASE + 6.5)]
    spans = [expect, *below, sp("[", 16, font="CMR10", width=3), sp("F", 19), sp("]", 26, font="CMR10", width=3)]
    assert spans_to_latex(spans) == r"\mathbb{E}_{(x, c)}[F]"


def test_script_runs_stay_together_when_stacked() -> None:
    spans = [sp("x", 0), sp("ab", 5.5, BASE - 3.6, 7), sp("c", 12.5, BASE - 3.6, 7),
             sp("de", 5.5, BASE + 1.5, 7), sp("+", 20, font="CMR10"), sp("y", 28)]
    assert spans_to_latex(spans) == "x_{de}^{abc} + y"


def test_tall_radical_covers_the_rest_of_the_expression() -> None:
    radical = Span("√", 20, 80, 30, 112, 10, "CMEX10", 0, 88)
    spans = [sp("σ", 0), sp("=", 9, font="CMR10"), radical, sp("1", 32, BASE - 6.8, font="CMR10"),
             sp("n", 32, BASE + 6.8), sp("x", 40), sp("2", 45.2, BASE - 3.6, 7, "CMR7")]
    assert spans_to_latex(spans) == r"\sigma = \sqrt{\frac{1}{n}x^{2}}"


def test_accent_over_letter() -> None:
    bar = Span("¯", 0.5, 90, 5, 93, 10, "CMR10", 0, BASE)
    assert spans_to_latex([bar, sp("a", 0), sp("i", 5.3, BASE + 1.5, 7)]) == r"\bar{a}_{i}"


def test_blackboard_and_calligraphic_fonts() -> None:
    spans = [sp("W", 0), sp("∈", 10, font="CMSY10"), sp("R", 20, font="MSBM10"),
             sp("d", 27.5, BASE - 3.6, 7), sp(",", 32), sp("L", 38, font="CMSY10")]
    assert spans_to_latex(spans) == r"W \in \mathbb{R}^{d}, \mathcal{L}"


def test_empty_input() -> None:
    assert spans_to_latex([]) == ""


def _line(spans: list[Span]) -> Line:
    return Line(spans, page=0, col=0)


def test_equation_number_at_the_right_edge() -> None:
    line = _line([sp("y", 200), sp("=", 210, font="CMR10"), sp("x", 220), sp("(3)", 490, font="CMR10", width=12)])
    found = number_chunk(line, col_right=504)
    assert found is not None and found[0] == "3"
    assert [s.text for s in found[1]] == ["y", "=", "x"]


def test_appendix_equation_number() -> None:
    line = _line([sp("y", 200), sp("(A.2)", 480, font="CMR10", width=22)])
    assert number_chunk(line, col_right=504)[0] == "A.2"


def test_prose_ending_with_a_reference_is_not_numbered() -> None:
    words = "as shown in the experiments described in equation"
    line = _line([sp(words, 108, font="NimbusRomNo9L-Regu", width=360), sp("(3)", 490, font="NimbusRomNo9L-Regu")])
    assert number_chunk(line, col_right=504) is None


def test_number_far_from_the_margin_is_not_an_equation_number() -> None:
    line = _line([sp("y", 200), sp("(3)", 300, font="CMR10", width=12)])
    assert number_chunk(line, col_right=504) is None


def test_is_prose() -> None:
    assert is_prose([sp("we train the model with dropout", 0, font="NimbusRomNo9L-Regu")])
    assert not is_prose([sp("y", 0), sp("= max(0,", 10, font="CMR10"), sp("x", 60)])


def laid(pieces: list[tuple[str, str]], x0: float, base: float = BASE) -> list[Span]:
    """Spans set one after another from ``x0``: (text, font); a font ending in 8 is a subscript,
    one ending in "8^" a superscript (7 pt, off the baseline). A leading space leaves a gap."""
    spans, x = [], x0
    for text, font in pieces:
        if text.startswith(" "):
            x += 3.3
            text = text[1:]
        if font.endswith("^"):
            spans.append(sp(text, x, base - 3.6, 7, font[:-1]))
        elif font.endswith("8"):
            spans.append(sp(text, x, base + 1.5, 7, font))
        else:
            spans.append(sp(text, x, base, 10, font))
        x = spans[-1].x1
    return spans


def _mha(base: float) -> list[Span]:
    """A wide numbered display: named operators in the text font, scripts, the number at the edge."""
    return laid([("MHA(", "CMR10"), ("x", "CMMI10"), (") = Concat(head", "CMR10"), ("1", "CMR8"),
                 (", ..., ", "CMMI10"), ("head", "CMR10"), ("h", "CMMI8"), (")W", "CMMI10"), ("O", "CMMI8^"),
                 (",", "CMMI10"), (" head", "CMR10"), ("j", "CMMI8"), (" = Attention(", "CMR10"),
                 ("xW", "CMMI10"), ("Q", "CMMI8^"), (", xW", "CMMI10"), ("K", "CMMI8^"), (")", "CMR10")],
                86, base) + [sp("(8)", 490, base, font="CMR10", width=14)]


def test_wide_display_of_named_operators_is_a_numbered_equation() -> None:
    # Regression: "MHA", "Concat", "head" x3 and "Attention" are five-plus words in the text font,
    # which made the line "prose"; set as operators (bracket, script or relation touching them)
    # they are not sentence words.
    line = _line(_mha(BASE))
    assert not is_prose(line.spans)
    found = number_chunk(line, col_right=504)
    assert found is not None and found[0] == "8"
    schedule = laid([("lrate", "CMTI10"), (" =", "CMR10"), (" d", "CMMI10"), ("-0.5", "CMR8^"),
                     (" · min(", "CMR10"), ("step", "CMTI10"), ("-0.5", "CMR8^"), (", step", "CMTI10"),
                     (" · warmup", "CMTI10"), (" steps", "CMTI10"), ("-1.5", "CMR8^"), (")", "CMR10")], 170)
    assert not is_prose(schedule)
    assert number_chunk(_line(schedule + [sp("(13)", 485, font="CMR10", width=19)]), col_right=504)[0] == "13"


def test_prose_with_named_functions_and_inline_math_stays_prose() -> None:
    words = laid([("we apply the softmax(", "CMR10"), ("x", "CMMI10"), (") to the scores of every attention", "CMR10"),
                  (" head", "CMR10"), (" and", "CMR10")], 108)
    assert is_prose(words)
    line = _line(words + [sp("(3)", 490, font="CMR10", width=14)])
    assert number_chunk(line, col_right=504) is None  # the "(3)" stands right after prose
    few = laid([("where", "CMR10"), (" W", "CMMI10"), (" = Concat(head", "CMR10"), ("1", "CMR8"),
                (") is the output projection matrix of every layer", "CMR10")], 108)
    assert is_prose(few)


def test_wide_numbered_display_between_prose_lines_on_a_page() -> None:
    prose = "The heads are computed in parallel from one input and combined by an output projection:"
    after = "where every projection is learned, again without biases, in each of the layers."
    lines = [_line([sp(prose, 108, 100, font="CMR10", width=396)]), _line(_mha(122)),
             _line([sp(after, 108, 144, font="CMR10", width=396)])]
    page = PageLayout(0, 612, 792, lines, None, 108, 504)
    blocks = find_equations(page, 10.0, 12.0)
    assert [b.number for b in blocks] == ["8"]
    assert blocks[0].lines == [lines[1]] and lines[0].kind == lines[2].kind == "body"
    latex = blocks[0].latex
    assert latex.startswith(r"\mathrm{MHA}(x) = \mathrm{Concat}(\mathrm{head}_{1}")
    assert r"\mathrm{head}_{j} = \mathrm{Attention}(xW^{Q}" in latex


def test_example_pdfs_wide_displays_keep_their_numbers() -> None:
    tiny = parse_pdf_in_process(EXAMPLES / "tiny_lm" / "paper.pdf", IngestLimits())
    mha = tiny.equation("8")
    assert mha.latex.startswith(r"\mathrm{MHA}(x) = \mathrm{Concat}(\mathrm{head}_{1}, ..., \mathrm{head}_{h})W^{O}")
    assert r"\mathrm{Attention}(" in mha.latex and mha.section == "Causal self-attention with rotary positions"
    copy = parse_pdf_in_process(EXAMPLES / "copy_transformer" / "paper.pdf", IngestLimits())
    lrate = copy.equation("13")
    assert lrate.latex.startswith(r"\mathrm{lrate} = d_{model}^{-0.5}\cdot\min(\mathrm{step}^{-0.5}")
    assert "warmup" in lrate.raw_text and lrate.section == "Optimiser and schedule"
    # the prose around them stays prose
    attention = next(s for s in tiny.sections if s.title == "Causal self-attention with rotary positions")
    assert "again without biases" in attention.text


def test_equation_context_takes_the_neighbouring_sentences() -> None:
    ctx = equation_context("Intro text here. We compute the output as:", "where W is a matrix. Next part.")
    assert ctx == "We compute the output as: where W is a matrix."


# ---------------------------------------------------------------------------------------------
# Real papers (in-process: the child-process path is tested in test_pdf.py)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transformer() -> Paper:
    return parse_pdf_in_process(require_shared("transformer", "paper.pdf"), IngestLimits())


def test_transformer_equations_have_their_numbers(transformer: Paper) -> None:
    paper = transformer
    assert [e.number for e in paper.equations if e.number] == ["1", "2", "3"]
    eq1 = paper.equation("1")
    assert eq1.latex == r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(\frac{QK^{T}}{\sqrt{d_{k}}})V"
    assert eq1.page == 4 and eq1.section == "Scaled Dot-Product Attention"
    assert "softmax" in eq1.raw_text and eq1.environment == "pdf"
    assert "matrix of outputs" in eq1.context
    assert paper.equation("2").latex == r"\mathrm{FFN}(x) = \max(0, xW_{1} + b_{1})W_{2} + b_{2}"
    assert r"d_{model}^{-0.5}" in paper.equation("3").latex and r"\min(" in paper.equation("3").latex


def test_transformer_unnumbered_display_equations(transformer: Paper) -> None:
    unnumbered = [e for e in transformer.equations if e.number is None]
    latex = " ".join(e.latex for e in unnumbered)
    assert r"\mathrm{MultiHead}(Q, K, V)" in latex
    assert r"\sin(pos/10000^{2i/d_{model}})" in latex
    assert [e.id for e in transformer.equations] == [f"eq{k}" for k in range(1, len(transformer.equations) + 1)]


@pytest.mark.parametrize(("paper", "numbers", "number", "pieces"), [
    ("rmsnorm", 10, "3", [r"\sqrt{\frac{1}{n}\sum_{i = 1}^{n}", r"\mu = \frac{1}{n}"]),
    ("glu_variants", 6, "1", [r"\max(0, xW_{1} + b_{1})W_{2} + b_{2}"]),
    ("layernorm", 20, "1", [r"\top", "="]),
])
def test_numbered_equations_of_other_papers(paper: str, numbers: int, number: str, pieces: list[str]) -> None:
    parsed = parse_pdf_in_process(require_shared(paper, "paper.pdf"), IngestLimits())
    found = [e.number for e in parsed.equations if e.number]
    assert len(found) >= numbers
    assert [int(n) for n in found[:5]] == [1, 2, 3, 4, 5]
    eq = parsed.equation(number)
    for piece in pieces:
        assert piece in eq.latex


def test_every_numbered_equation_has_latex() -> None:
    paper = parse_pdf_in_process(require_shared("cpc_infonce", "paper.pdf"), IngestLimits())
    numbers = [e.number for e in paper.equations if e.number]
    assert numbers == [str(k) for k in range(1, 16)]
    assert all(e.latex.strip() and e.raw_text for e in paper.equations)
    assert r"\mathbb{E}_{(x, c)}[F(x, c)]" in paper.equation("15").latex


def test_two_column_equations_keep_their_numbers() -> None:
    paper = parse_pdf_in_process(require_shared("relative_position_shaw", "paper.pdf"), IngestLimits())
    numbered = {e.number: e for e in paper.equations if e.number}
    assert {"1", "2", "3", "4"} <= set(numbered)
    assert numbered["1"].latex == r"z_{i} = \sum_{j = 1}^{n}\alpha_{ij}(x_{j}W^{V})"
    assert r"\frac{" in numbered["2"].latex and r"\sqrt{d_{z}}" in numbered["2"].latex
