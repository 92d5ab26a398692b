"""The macro expander (agent.ingest.macros): definitions, arguments, conditionals and its limits."""

from __future__ import annotations

import time

from agent.ingest.macros import MacroExpander, expand_macros, tokenize
from agent.types import IngestLimits


def _expand(text: str, **limits: int) -> tuple[str, list[str]]:
    warnings: list[str] = []
    out = expand_macros(text, limits=IngestLimits(**limits), warnings=warnings)
    return " ".join(out.split()), warnings


def test_tokenize_splits_control_words_groups_and_runs() -> None:
    assert tokenize(r"\alpha{x}_12 ab\%") == ["\\alpha", "{", "x", "}", "_", "12", " ", "ab", "\\%"]


def test_newcommand_without_and_with_arguments() -> None:
    out, warnings = _expand(
        r"\newcommand{\R}{\mathbb{R}}\newcommand\dmodel{d_{\text{model}}}"
        r"\newcommand{\pair}[2]{(#1,#2)} $x \in \R^{\dmodel}$ and $\pair{a}{b}$"
    )
    assert out == r"$x \in \mathbb{R}^{d_{\text{model}}}$ and $(a,b)$"
    assert warnings == []


def test_optional_first_argument_uses_its_default() -> None:
    out, _ = _expand(r"\newcommand{\norm}[2][2]{\|#2\|_{#1}} $\norm{x}$ $\norm[1]{y}$")
    assert out == r"$\|x\|_{2}$ $\|y\|_{1}$"


def test_starred_and_renewed_and_provided_definitions() -> None:
    out, _ = _expand(
        r"\newcommand*{\a}{A}\renewcommand{\a}{B}\providecommand{\a}{C}\providecommand{\c}{D} \a, \c"
    )
    assert out == "B, D"


def test_macro_nested_in_its_own_argument_is_not_a_cycle() -> None:
    out, warnings = _expand(r"\newcommand{\vect}[1]{\mathbf{#1}} $\vect{\vect{x}}$")
    assert out == r"$\mathbf{\mathbf{x}}$"
    assert warnings == []


def test_undelimited_arguments_read_one_character_at_a_time() -> None:
    out, _ = _expand(r"\def\x#1#2{[#1|#2]} \x ab \x{cd}e \x 123")
    assert out == "[a|b] [cd|e] [1|2]3"


def test_def_with_delimited_parameters() -> None:
    out, _ = _expand(r"\def\pair(#1,#2){<#1;#2>} \pair(x,y) and \pair({a,b},c). \def\upto#1.{[#1]}\upto abc. end")
    assert out == "<x;y> and <a,b;c>. [abc] end"


def test_def_whose_use_does_not_match_is_left_alone() -> None:
    out, warnings = _expand(r"\def\pair(#1,#2){P} \pair x")
    assert "\\pair" in out
    assert any("not matching" in w for w in warnings)


def test_declare_math_operator_and_paired_delimiter() -> None:
    out, _ = _expand(
        r"\DeclareMathOperator*{\argmax}{arg\,max}\DeclareMathOperator{\softmax}{softmax}"
        r"\DeclarePairedDelimiter{\abs}{\lvert}{\rvert}"
        r"$\argmax_i \softmax(x) + \abs{y} + \abs*{z}$"
    )
    assert out == (
        r"$\operatorname*{arg\,max}_i \operatorname{softmax}(x) + \lvert y\rvert + \left\lvert z\right\rvert$"
    )


def test_let_aliases_and_protected_builtins() -> None:
    # \left keeps its meaning: a paper's typographic redefinition must not leak into equations
    out, warnings = _expand(
        r"\let\originalleft\left\renewcommand{\left}{\mathopen{}\originalleft}"
        r"\newcommand{\one}{1}\let\uno\one $\left( \uno \right)$"
    )
    assert out == r"$\left( 1\right)$"  # TeX skips the space after a control word
    assert warnings == []


def test_control_word_stays_apart_from_following_letters() -> None:
    out, _ = _expand(r"\newcommand{\g}{\gamma} $\g x$ $\g_t$")
    assert out == r"$\gamma x$ $\gamma_t$"


def test_xspace_adds_a_space_before_words_only() -> None:
    out, _ = _expand(r"\newcommand{\method}{GQA\xspace} \method is fast. Use \method, then \method-XXL")
    assert out == "GQA is fast. Use GQA, then GQA-XXL"


def test_iffalse_and_newif_switches() -> None:
    out, _ = _expand(
        r"a \iffalse \begin{equation} hidden \end{equation} \fi b \iftrue c \else d \fi"
        r" \newif\ifarxiv \arxivtrue \ifarxiv ARXIV \else CONF \fi"
        r" \arxivfalse \ifarxiv X \else Y \fi"
    )
    assert out == "a b c ARXIV Y"


def test_unknown_conditionals_are_left_in_place() -> None:
    out, _ = _expand(r"\ifdefined\foo A\else B\fi")
    assert out == r"\ifdefined\foo A\else B\fi"


def test_newenvironment_expands_to_its_begin_and_end_code() -> None:
    out, _ = _expand(
        r"\newenvironment{note}[1][Note]{\textbf{#1:}}{\par} \begin{note}x\end{note} \begin{note}[Tip]y\end{note}"
    )
    assert out == r"\textbf{Note:}x\par \textbf{Tip:}y\par"


def test_newtheorem_is_recorded() -> None:
    expander = MacroExpander()
    out = expander.expand(r"\newtheorem{thm}{Theorem}[section]\newtheorem{lem}[thm]{Lemma}\newtheorem*{rem}{Remark}")
    assert out.strip() == ""
    assert expander.theorems == {"thm": "Theorem", "lem": "Lemma", "rem": "Remark"}
    assert expander.theorem_counters == {"thm": ("thm", "section"), "lem": ("thm", None)}


def test_direct_cycle_is_reported_and_stops() -> None:
    start = time.perf_counter()
    out, warnings = _expand(r"\def\a{\b}\def\b{\a} \a and \newcommand{\c}[1]{\c{#1}}\c{x}")
    assert time.perf_counter() - start < 1.0
    assert "\\a" in out and "\\c" in out
    assert sum("cycle" in w for w in warnings) == 2


def test_depth_limit_stops_a_long_chain() -> None:
    def name(i: int) -> str:
        return "\\m" + chr(97 + i // 26) + chr(97 + i % 26)

    chain = "".join(f"\\def{name(i)}{{{name(i + 1)}}}" for i in range(40))
    out, warnings = _expand(chain + name(0), max_macro_depth=10)
    assert any("deeper than 10" in w for w in warnings)
    assert "\\m" in out


def test_exponential_blowup_is_capped() -> None:
    # \l20 would expand to 2^20 tokens; the budget stops it quickly with a warning
    defs = r"\def\lz{xx}" + "".join(
        f"\\def\\l{chr(97 + i)}{{\\l{chr(96 + i) if i else 'z'}\\l{chr(96 + i) if i else 'z'}}}" for i in range(20)
    )
    expander = MacroExpander(max_tokens=50_000, warnings=(warnings := []))
    start = time.perf_counter()
    out = expander.expand(defs + r"\lt")
    assert time.perf_counter() - start < 2.0
    assert len(out) < 200_000
    assert any("blow-up" in w for w in warnings)


def test_fragment_expansion_reuses_definitions() -> None:
    expander = MacroExpander()
    expander.expand(r"\newcommand{\dff}{d_{\text{ff}}}\begin{document}\end{document}")
    assert expander.expand_fragment(r"W \in \mathbb{R}^{\dff}") == r"W \in \mathbb{R}^{d_{\text{ff}}}"


def test_expansion_stops_at_end_document() -> None:
    out, _ = _expand(r"\newcommand{\x}{X}\begin{document}\x\end{document} \x after")
    assert out == r"\begin{document}X\end{document}"
