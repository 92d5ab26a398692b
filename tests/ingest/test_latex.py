"""LaTeX ingestion (agent.ingest.latex) on real papers, synthetic documents and hostile sources."""

from __future__ import annotations

import os
import random
import re
import tarfile
import time
from pathlib import Path

import pytest

from agent.errors import IngestError
from agent.ingest import load_paper
from agent.ingest.latex import parse_latex_file, parse_latex_folder
from agent.ingest.sources import strip_comments
from agent.types import IngestLimits, Paper
from tests.conftest import require_shared

LIMITS = IngestLimits()


def _squash(latex: str) -> str:
    return re.sub(r"\s+", "", latex)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _doc(body: str, preamble: str = "") -> str:
    head = "\\documentclass{article}\n\\usepackage{amsmath}\n"
    return f"{head}{preamble}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"


def _all_text(paper: Paper) -> str:
    return "\n".join([paper.title, paper.abstract, *(s.text for s in paper.sections)])


# ------------------------------------------------------------------------------ shared papers


@pytest.fixture(scope="module")
def transformer() -> Paper:
    return parse_latex_folder(require_shared("transformer"), limits=LIMITS)


def test_transformer_front_matter(transformer: Paper) -> None:
    assert transformer.title == "Attention Is All You Need"
    assert transformer.main_file == "ms.tex" and transformer.source == "latex"
    assert transformer.authors[:3] == ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    assert "Łukasz Kaiser" in transformer.authors and len(transformer.authors) == 8
    assert transformer.abstract.startswith("The dominant sequence transduction models")
    assert transformer.hyperparameters == [] and transformer.warnings == []


def test_transformer_numbered_equations(transformer: Paper) -> None:
    numbered = [e for e in transformer.equations if e.number is not None]
    assert [e.number for e in numbered] == ["1", "2", "3"]
    attention, ffn, lrate = numbered
    assert "\\mathrm{softmax}(\\frac{QK^T}{\\sqrt{d_k}})V" in attention.latex
    assert attention.section == "Scaled Dot-Product Attention"
    assert "matrix of outputs" in attention.context
    assert _squash(ffn.latex) == _squash(r"\mathrm{FFN}(x)=\max(0, xW_1 + b_1) W_2 + b_2")
    assert ffn.section == "Position-wise Feed-Forward Networks"
    # the \dmodel macro is expanded inside the learning-rate equation
    assert lrate.latex.startswith("lrate = d_{\\text{model}}^{-0.5}") and "warmup\\_steps" in lrate.latex
    # align* lines are equations without a number
    multihead = [e for e in transformer.equations if "MultiHead" in e.latex or "head_i" in e.latex]
    assert len(multihead) == 2 and all(e.number is None and e.environment == "align*" for e in multihead)
    assert [e.id for e in transformer.equations] == [f"eq{k}" for k in range(1, len(transformer.equations) + 1)]


def test_transformer_comments_are_not_content(transformer: Paper) -> None:
    latex = " ".join(e.latex for e in transformer.equations)
    assert "dropout" not in latex and "A(" not in latex  # both commented-out equations
    text = _all_text(transformer)
    assert "llion@" not in text and "TODO" not in text and "FAIR's paper" not in text
    assert "Two Feed-Forward Layers" not in text  # \input{parameter_attention} is commented out
    assert any(s.title == "Attention Visualizations" for s in transformer.sections)  # this \input is live


def test_transformer_sections_and_references(transformer: Paper) -> None:
    by_title = {s.title: s for s in transformer.sections}
    sdpa = by_title["Scaled Dot-Product Attention"]
    assert (sdpa.level, sdpa.number) == (3, "3.2.1")
    assert (by_title["Residual Dropout"].level, by_title["Residual Dropout"].number) == (4, None)
    assert by_title["Model Variations"].text.count("Table 3") >= 2
    assert "Section 3.2.2" in by_title["Model Variations"].text
    assert "$d_k$" in sdpa.text and "[cite]" in sdpa.text and "\\cite" not in sdpa.text
    assert "includegraphics" not in _all_text(transformer)


def test_transformer_tables_and_figures(transformer: Paper) -> None:
    labels = [(t.label, t.number) for t in transformer.tables]
    assert labels == [("tab:op_complexities", "1"), ("tab:wmt-results", "2"), ("tab:variations", "3"),
                      ("tab:parsing-results", "4")]
    variations = transformer.tables[2]
    assert variations.caption and variations.caption.startswith("Variations on the Transformer architecture")
    base = next(r for r in variations.rows if r and r[0] == "base")
    assert base[1:5] == ["6", "512", "2048", "8"]
    assert not any("hline" in c or "\\" in c for row in variations.rows for c in row if "$" not in c)
    assert transformer.figures[0].label == "fig:model-arch"


def test_gqa_folder(tmp_path: Path) -> None:
    paper = parse_latex_folder(require_shared("gqa"), limits=LIMITS)
    # \gmq is a macro defined in custom_commands.tex, \input from the preamble
    assert paper.title == "GQA: Training Generalized Multi-Query Transformer Models from Multi-Head Checkpoints"
    assert paper.authors[0] == "Joshua Ainslie" and "Sumit Sanghai" in paper.authors
    assert "(MQA)" in paper.abstract and "\\mq" not in paper.abstract
    assert [e.number for e in paper.equations if e.number] == []
    (table,) = paper.tables
    assert table.label == "table:headline_results" and table.number == "1"
    assert table.rows[0][0] == "Model" and any(r[0] == "GQA-8-XXL" for r in table.rows)
    assert (paper.sections[-1].number, paper.sections[-1].title) == ("A", "Training Stability")
    assert {f.label for f in paper.figures} >= {"fig:recycling", "fig:gmq_architecture"}


RCB_EXPECTED = {  # paper id -> (label or None, number, a fragment of the equation's LaTeX)
    "Diff-Transformer": [("eq:diffattn", "1", "DiffAttn"), ("eq:ffn", "5", "SwiGLU")],
    "DyT": [(None, "2", "\\tanh(\\alpha")],
    "minp": [(None, "1", "p_{\\text{scaled}}=p_{\\text{base}}\\timesp_{\\max}")],
    "schedule_free": [("eq:conv-cond", "15", "\\leqD\\sqrt"), ("eqn:wwzwid", "25", "=w_t(z_t-x_t)")],
    "Tanh-Init": [("eq1", "1", "\\tanh\\left(a_i^{k+1}x_i^{k}\\right)")],
    "GMFlow": [(None, "1", None)],
}


@pytest.mark.parametrize("paper_id", sorted(RCB_EXPECTED))
def test_rcb_paper_known_equations(paper_id: str) -> None:
    paper = parse_latex_file(require_shared("rcb", paper_id, "paper.tex"), limits=LIMITS)
    assert paper.title and paper.abstract and len(paper.sections) >= 5
    for label, number, fragment in RCB_EXPECTED[paper_id]:
        eq = paper.equation(number)
        assert eq is not None, f"{paper_id}: no equation ({number})"
        if label:
            assert eq.label == label
        if fragment:
            assert _squash(fragment) in _squash(eq.latex), eq.latex
        assert not re.search(r"\\label|\\nonumber|\\notag", eq.latex)
    numbers = [int(e.number) for e in paper.equations if e.number and e.number.isdigit()]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_rcb_algorithms() -> None:
    free = parse_latex_file(require_shared("rcb", "schedule_free", "paper.tex"), limits=LIMITS)
    (alg,) = free.algorithms
    assert alg.label == "alg:sf_adamw" and alg.caption == "Schedule-Free AdamW"
    assert "for $t=1$ to T do" in alg.lines and alg.lines[-2:] == ["end for", "Return $x_{T}$"]
    assert any(line.startswith("  $z_{t+1}") for line in alg.lines)
    gmflow = parse_latex_file(require_shared("rcb", "GMFlow", "paper.tex"), limits=LIMITS)
    sampling = next(a for a in gmflow.algorithms if a.label == "alg:sample")
    assert sampling.lines[0].startswith("Input: Steps") and "while $t > 0$ do" in sampling.lines
    assert "  if use 2nd-order then" in sampling.lines
    dyt = parse_latex_file(require_shared("rcb", "DyT", "paper.tex"), limits=LIMITS)
    (code,) = dyt.algorithms
    assert code.caption == "Pseudocode of DyT layer." and "class DyT(Module):" in code.lines
    assert "        x = tanh(self.alpha * x)" in code.lines


def test_hundred_kilobyte_paper_is_fast() -> None:
    path = require_shared("rcb", "schedule_free", "paper.tex")
    assert path.stat().st_size > 80_000
    parse_latex_file(path, limits=LIMITS)
    # this thread's CPU time: other processes share the machine, and threads an earlier test left in this
    # process (torch's OpenMP pool spinning, a server) would count under process_time (CI saw 0.41 s, 0.09 s alone)
    start = time.thread_time()
    paper = parse_latex_file(path, limits=LIMITS)
    assert time.thread_time() - start < 0.3
    assert len(paper.equations) > 100


def test_load_paper_full_path_on_shared_folder() -> None:
    folder = require_shared("transformer")
    paper = load_paper(folder)
    assert paper.path == str(folder) and paper.source == "latex"
    assert paper.equation("1") is not None and isinstance(paper.hyperparameters, list)
    data = paper.to_dict()
    assert {"title", "abstract", "sections", "equations", "hyperparameters", "tables", "algorithms"} <= set(data)


# ------------------------------------------------------------------------------ synthetic


def test_load_paper_on_a_tex_file_with_macros_and_inputs(tmp_path: Path) -> None:
    _write(tmp_path, {
        "macros.tex": r"\newcommand{\dmodel}{d_{\text{model}}}\def\norm#1{\left\|#1\right\|}",
        "sections/method.tex": r"The width is $\dmodel=512$ \cite{x}. "
        r"\begin{equation}\label{eq:n} y = \norm{x} \end{equation}",
        "paper.tex": _doc(r"\maketitle\begin{abstract}We study \emph{norms}.\end{abstract}"
                          r"\section{Method}\input{sections/method}", r"\input{macros}\title{Norms\thanks{x}}"),
    })
    paper = load_paper(tmp_path / "paper.tex")
    assert paper.title == "Norms" and paper.abstract == "We study norms."
    assert paper.sections[0].text.startswith("The width is $d_{\\text{model}}=512$ [cite].")
    (eq,) = paper.equations
    assert (eq.number, eq.label, eq.latex, eq.section) == ("1", "eq:n", r"y = \left\|x\right\|", "Method")


def test_local_style_file_macros_are_read(tmp_path: Path) -> None:
    """A ``.sty`` beside the paper is the authors' notation: its definitions expand; a distribution package
    (no file here) is left alone, and a style file restyling LaTeX's own commands changes nothing."""
    _write(tmp_path, {
        "notation.sty": "\\NeedsTeXFormat{LaTeX2e}\\ProvidesPackage{notation}\n"
                        r"\RequirePackage{amsmath}\newcommand{\R}{\mathbb{R}}\newcommand{\attn}[1]{\mathrm{Attn}(#1)}"
                        "\n" r"\renewcommand{\normalsize}{\fontsize{10}{12}\normalsize}\def\large{\large\bfseries}",
        "paper.tex": _doc(r"\section{Method}\begin{equation} y = \attn{x} \in \R^{d} \end{equation}",
                          r"\usepackage[final]{notation,booktabs}\title{Local macros}"),
    })
    paper = load_paper(tmp_path / "paper.tex")
    (eq,) = paper.equations
    assert eq.latex == r"y = \mathrm{Attn}(x) \in \mathbb{R}^{d}"
    assert paper.title == "Local macros"
    assert not any("missing .sty" in w or "expands to itself" in w for w in paper.warnings), paper.warnings


def test_text_rendering(tmp_path: Path) -> None:
    paper = parse_latex_file(_write(tmp_path, {"p.tex": _doc(
        r"\section{S}We use \textbf{bold}, \emph{emphasis} and \texttt{code}; inline \(a+b\) and $c$. "
        r"50\% of {\L}ukasz's runs -- all~of them. \footnote{A note.}"
        "\n\n"
        r"\begin{itemize}\item first \item[(b)] second\end{itemize} \textcolor{red}{Red} \url{https://x.org}"
        r"\begin{figure}\includegraphics{f.png}\caption{A figure}\label{fig:f}\end{figure} After."
    )}) / "p.tex", limits=LIMITS)
    text = paper.sections[0].text
    assert text.startswith("We use bold, emphasis and code; inline $a+b$ and $c$. 50% of Łukasz's runs – all of them.")
    assert "(A note.)" in text and "\n- first\n- (b) second" in text and "Red https://x.org" in text
    assert "A figure" not in text and text.endswith("After.")
    assert [(f.caption, f.label, f.section) for f in paper.figures] == [("A figure", "fig:f", "S")]


def test_comments_environments_and_conditionals_are_not_content(tmp_path: Path) -> None:
    paper = parse_latex_file(_write(tmp_path, {"p.tex": _doc(
        "\\section{S}\nKept 96\\% here. % dropped comment\n"
        "% \\begin{equation} commented = 1 \\end{equation}\n"
        "\\begin{comment}\n\\begin{equation} hidden = 2 \\end{equation}\n\\end{comment}\n"
        "\\iffalse \\begin{equation} off = 3 \\end{equation} \\fi\n"
        "\\begin{equation} shown = 4 \\end{equation}\n"
    )}) / "p.tex", limits=LIMITS)
    assert [(e.latex, e.number) for e in paper.equations] == [("shown = 4", "1")]
    assert "96%" in paper.sections[0].text and "dropped" not in paper.sections[0].text


def test_tables_with_spans_and_rules(tmp_path: Path) -> None:
    paper = parse_latex_file(_write(tmp_path, {"p.tex": _doc(r"""\section{S}
\begin{table}[t]\centering\caption{Results}\label{tab:r}
\begin{tabular}{l|cc}\toprule
\multirow{2}{*}{Model} & \multicolumn{2}{c}{Score} \\ \cmidrule(lr){2-3}
 & BLEU & PPL \\ \midrule
\textbf{Base} & 27.3 & 4.9 \\
Big & $28.4$ & \cellcolor{gray}4.3 \\ \bottomrule
\end{tabular}\end{table}
Bare: \begin{tabular}{cc} a & b \\ \hline c & d \end{tabular}""")}) / "p.tex", limits=LIMITS)
    results, bare = paper.tables
    assert (results.id, results.label, results.number, results.caption) == ("tab1", "tab:r", "1", "Results")
    assert results.rows == [["Model", "Score", ""], ["", "BLEU", "PPL"], ["Base", "27.3", "4.9"],
                            ["Big", "$28.4$", "4.3"]]
    assert (bare.caption, bare.number, bare.rows) == (None, None, [["a", "b"], ["c", "d"]])


def test_layout_tabular_holding_tables(tmp_path: Path) -> None:
    paper = parse_latex_file(_write(tmp_path, {"p.tex": _doc(r"""\section{S}
\begin{table}\caption{Two runs}\label{tab:runs}
\begin{tabular}{cc}
Run A: \begin{tabular}{lc} lr & acc \\ 0.1 & 90 \end{tabular} &
Run B: \begin{tabular}{lc} lr & acc \\ 0.2 & 91 \end{tabular} \\
\end{tabular}\end{table}
Text with a cell: \begin{minipage}{2cm}\end{minipage} x \& y""")}) / "p.tex", limits=LIMITS)
    assert [(t.label, t.number, t.rows) for t in paper.tables] == [
        ("tab:runs", "1", [["lr", "acc"], ["0.1", "90"]]), ("tab:runs", "1", [["lr", "acc"], ["0.2", "91"]])
    ]
    assert paper.sections[0].text == "Text with a cell:\n\nx & y"


def test_algorithm2e_and_algorithmic(tmp_path: Path) -> None:
    paper = parse_latex_file(_write(tmp_path, {"p.tex": _doc(r"""\section{S}
\begin{algorithm}\caption{Train}\label{alg:a}
\begin{algorithmic}[1]\Require data $D$
\For{$e=1$ to $E$}\If{$e>1$}\State decay \Comment{halve}\Else\State keep\EndIf\EndFor
\State \Return $\theta$\end{algorithmic}\end{algorithm}
\begin{algorithm}\KwIn{$x$}\eIf{$x>0$}{$y \gets x$\;}{$y \gets 0$\;}\Return{$y$}\caption{Relu}\end{algorithm}""")}) /
        "p.tex", limits=LIMITS)
    first, second = paper.algorithms
    assert (first.label, first.caption) == ("alg:a", "Train")
    assert first.lines == ["Require: data $D$", "for $e=1$ to $E$ do", "  if $e>1$ then", "    decay ▷ halve",
                           "  else", "    keep", "  end if", "end for", "return $\\theta$"]
    assert second.lines == ["Input: $x$", "if $x>0$ then", "  $y \\gets x$", "else", "  $y \\gets 0$", "end",
                            "return $y$"]


def test_main_file_detection(tmp_path: Path) -> None:
    doc = _doc(r"\section{A}x")
    _write(tmp_path / "tie", {"main.tex": doc, "appendix.tex": doc, "notes.tex": "no document here"})
    assert parse_latex_folder(tmp_path / "tie", limits=LIMITS).main_file == "main.tex"
    _write(tmp_path / "inputs", {"a.tex": doc, "b.tex": _doc(r"\input{s1}\input{s2}"), "s1.tex": r"\section{One}",
                                 "s2.tex": r"\section{Two}"})
    paper = parse_latex_folder(tmp_path / "inputs", limits=LIMITS)
    assert paper.main_file == "b.tex" and [s.title for s in paper.sections] == ["One", "Two"]
    _write(tmp_path / "none", {"x.tex": r"\section{Only a fragment}", "y.tex": "% \\documentclass{article}"})
    with pytest.raises(IngestError, match=r"none: no main LaTeX file"):
        parse_latex_folder(tmp_path / "none", limits=LIMITS)
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="no .tex files"):
        parse_latex_folder(tmp_path / "empty", limits=LIMITS)


def test_import_subimport_and_subfile(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.tex": _doc(r"\import{chapters/}{one}\subfile{parts/two}"),
        "chapters/one.tex": r"\section{One}\input{inner}",  # \import makes \input relative to chapters/
        "chapters/inner.tex": "Inner text.",
        "parts/two.tex": "\\documentclass[../main.tex]{subfiles}\n\\begin{document}\n\\section{Two}Sub.\n"
        "\\end{document}",
    })
    paper = parse_latex_folder(tmp_path, limits=LIMITS)
    assert [(s.title, s.text) for s in paper.sections] == [("One", "Inner text."), ("Two", "Sub.")]
    assert paper.warnings == ["no \\title found"]


def test_empty_and_garbage_files_are_input_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.tex").write_text("% only a comment\n")
    with pytest.raises(IngestError, match="no LaTeX"):
        parse_latex_file(tmp_path / "empty.tex", limits=LIMITS)
    (tmp_path / "garbage.tex").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(IngestError):
        load_paper(tmp_path / "garbage.tex")
    with pytest.raises(IngestError, match="no such file"):
        load_paper(tmp_path / "missing.tex")


# ------------------------------------------------------------------------------ hostile sources

SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT"


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.tex"
    secret.write_text(f"\\section{{Leak}}{SECRET}")
    (tmp_path / "root").mkdir()
    return tmp_path / "root"


@pytest.mark.parametrize(
    "command",
    [r"\input{/etc/passwd}", r"\input{../secret}", r"\include{../secret}", r"\input{sub/../../secret}",
     r"\begin{input}{../secret}\end{input}", r"\input{~/.bashrc}", r"\input{|cat /etc/passwd}",
     r"\newcommand{\sneaky}{\input}\sneaky{../secret}", r"\import{../}{secret}",
     r"\InputIfFileExists{/etc/passwd}{}{}"],
)
def test_inputs_outside_the_root_are_refused(outside: Path, command: str) -> None:
    (outside / "sub").mkdir()
    (outside / "main.tex").write_text(_doc(f"\\section{{S}}Before. {command} After."))
    paper = parse_latex_folder(outside, limits=LIMITS)
    text = _all_text(paper)
    assert SECRET not in text and "root:" not in text and "Leak" not in text
    assert "Before." in text and "After." in text
    assert any("refused" in w for w in paper.warnings), paper.warnings


def test_symlinks_leading_out_are_refused(outside: Path) -> None:
    (outside / "link.tex").symlink_to(outside.parent / "secret.tex")
    (outside / "dev.tex").symlink_to("/dev/zero")
    (outside / "main.tex").write_text(_doc(r"\section{S}A \input{link} B \input{dev.tex} C"))
    paper = parse_latex_folder(outside, limits=LIMITS)
    assert SECRET not in _all_text(paper) and paper.sections[0].text == "A B C"
    assert sum("links outside" in w for w in paper.warnings) == 2


def test_fifo_is_not_opened(outside: Path) -> None:
    os.mkfifo(outside / "pipe.tex")  # opening it would block forever
    (outside / "main.tex").write_text(_doc(r"\section{S}A \input{pipe} B"))
    paper = parse_latex_folder(outside, limits=LIMITS)
    assert paper.sections[0].text == "A B" and any("not a regular file" in w for w in paper.warnings)


def test_cyclic_and_missing_inputs(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.tex": _doc(r"\section{S}\input{a} \input{missing} end"),
        "a.tex": r"A-start \input{a} \input{b} A-end",
        "b.tex": r"B \input{a}",
    })
    start = time.perf_counter()
    paper = parse_latex_folder(tmp_path, limits=LIMITS)
    assert time.perf_counter() - start < 2.0
    assert paper.sections[0].text == "A-start B A-end end"
    assert any("includes itself" in w for w in paper.warnings)
    assert any("missing" in w and "not found" in w for w in paper.warnings)


def test_macro_bomb_in_a_paper_is_contained(tmp_path: Path) -> None:
    defs = r"\def\z{ab}" + "".join(
        "\\def\\b{0}{{\\b{1}\\b{1}}}".format(chr(97 + i), chr(96 + i) if i else "z") for i in range(24)
    )
    (tmp_path / "bomb.tex").write_text(_doc(r"\section{S}Boom: \bx. Done.", defs))
    start = time.perf_counter()
    paper = parse_latex_file(tmp_path / "bomb.tex", limits=LIMITS)
    assert time.perf_counter() - start < 10.0
    assert any("blow-up" in w for w in paper.warnings)
    assert paper.sections[0].text.endswith("Done.")


def test_transformer_source_archive_end_to_end(tmp_path: Path) -> None:
    folder = require_shared("transformer")
    archive = tmp_path / "1706.03762.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(folder.glob("*.tex")):
            tar.add(path, arcname=f"transformer/{path.name}")
    paper = load_paper(archive)
    assert paper.title == "Attention Is All You Need" and paper.main_file == "ms.tex"
    assert [e.number for e in paper.equations if e.number] == ["1", "2", "3"]


def test_undefined_macros_in_equations_are_reported(tmp_path: Path) -> None:
    paper = parse_latex_file(_write(tmp_path, {"p.tex": _doc(
        r"\section{S}\begin{equation} \bbx = \softmax(\mathbf{W} \bbh) + \dmodel \end{equation}",
        r"\DeclareMathOperator{\softmax}{softmax}\newcommand{\dmodel}{d}",
    )}) / "p.tex", limits=LIMITS)
    assert paper.equations[0].latex == r"\bbx = \operatorname{softmax}(\mathbf{W} \bbh) + d"
    (warning,) = [w for w in paper.warnings if "defined nowhere" in w]
    assert warning.endswith(r"\bbx, \bbh")


def test_endinput_listings_and_pdf_strings(tmp_path: Path) -> None:
    _write(tmp_path, {
        "part.tex": "Part text.\n\\endinput\nNever read.",
        "p.tex": _doc(
            "\\section{Min-\\texorpdfstring{$p$}{p} sampling}\\input{part}\n"
            "\\begin{lstlisting}[language=Python]\ndef f(x):  # 50% off\n    return x\n\\end{lstlisting}\nAfter."
        ),
    })
    paper = parse_latex_file(tmp_path / "p.tex", limits=LIMITS)
    (section,) = paper.sections
    assert section.title == "Min-$p$ sampling"
    assert section.text == "Part text.\n\ndef f(x):  # 50% off\n    return x\n\nAfter."


FUZZ_PIECES = [
    r"\section{", r"\subsection*{", r"\paragraph{", "}", "{", r"\begin{equation}", r"\end{equation}",
    r"\begin{align}", r"\end{align}", r"\\", "&", "$", "$$", r"\[", r"\]", r"\(", r"\)", r"\label{a}",
    r"\ref{a}", r"\eqref{b}", r"\tag{x}", r"\nonumber", r"\begin{table}", r"\end{table}",
    r"\begin{tabular}{cc}", r"\end{tabular}", r"\caption{", r"\multicolumn{2}{c}{", r"\newcommand{\x}[1]{#1#1}",
    r"\x{", r"\def\y#1.{", r"\y", ".", r"\iffalse", r"\fi", r"\else", r"\newif\ifz", r"\ifz",
    r"\begin{algorithm}", r"\end{algorithm}", r"\begin{algorithmic}", r"\end{algorithmic}", r"\State", r"\If{",
    r"\For{", r"\KwIn{", r"\;", r"\begin{subequations}", r"\end{subequations}", r"\appendix", r"\begin{figure}",
    r"\end{figure}", r"\item", "%", "\n", "\n\n", " word ", r"\alpha", r"\footnote{", r"\cite{k}",
    r"\begin{split}", r"\end{split}", r"\numberwithin{equation}{section}", r"\renewcommand{\theequation}{",
    r"\input{", "../", r"\begin{comment}", r"\end{comment}", r"\verb|", "|", r"\title{", r"\author{", r"\And",
    r"\begin{abstract}", r"\end{abstract}", r"\newenvironment{e}{[}{]}", r"\begin{e}", r"\end{e}", r"\let\q\x",
    r"\captionof{table}{", r"\captionsetup{type=figure}", r"\newtheorem{thm}{T}[section]", r"\begin{thm}",
    r"\eqno(", r"\begin{restatable}{thm}{m}", r"\tcp*{", r"\eIf{", "#", "#1", "~", "--", "''",
]


def test_random_latex_never_crashes_or_hangs(tmp_path: Path) -> None:
    """Seeded garbage built from LaTeX's own pieces: a Paper or an IngestError, always quickly."""
    rng = random.Random(20240611)
    path = tmp_path / "f.tex"
    slowest = 0.0
    for _ in range(120):
        body = "".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 120)))
        path.write_text("\\documentclass{article}\n\\begin{document}\n" + body + "\n\\end{document}\n")
        start = time.perf_counter()
        try:
            parse_latex_file(path, limits=LIMITS).to_dict()
        except IngestError:
            pass
        slowest = max(slowest, time.perf_counter() - start)
    assert slowest < 5.0


def test_strip_comments_follows_tex() -> None:
    source = (
        "a % note\n  b\\% c\n"  # the comment swallows the line end and the next line's indent
        "\\verb|%| kept\n"
        "end\n\\begin{comment}\nhidden\n\\end{comment} dropped too\nafter\n"
        "X \\begin{comment} gone \\end{comment} Y\n"
        "\\excludecomment{draft}\n\\begin{draft}\nnot content\n\\end{draft}\n"
        "\\begin{verbatim}\n% literal\n\\end{verbatim}\n"
        "% \\begin{comment}\nvisible\n"
    )
    assert strip_comments(source) == (
        "a b\\% c\n\\verb|%| kept\nend\nafter\nX  Y\n\\excludecomment{draft}\n"
        "\\begin{verbatim}\n% literal\n\\end{verbatim}\nvisible\n"
    )
