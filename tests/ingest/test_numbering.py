"""Equation, section, table and theorem numbers: the numbers LaTeX itself prints.

The expectations in TORTURE were read from the ``.aux`` file pdflatex (TeX Live 2022, amsmath)
wrote for this very document; ``test_torture_matches_pdflatex`` re-checks them against pdflatex
whenever it is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agent.ingest.latex import parse_latex_file
from agent.types import IngestLimits, Paper

TORTURE = r"""\documentclass{article}
\usepackage{amsmath}
\numberwithin{equation}{section}
\newcommand\numberthis{\addtocounter{equation}{1}\tag{\theequation}}
\newtheorem{thm}{Theorem}[section]
\newtheorem{lem}[thm]{Lemma}
\begin{document}
\section{Intro}\label{sec:intro}
\begin{equation}\label{eq:a} a = 1 \end{equation}
\begin{align}
b &= 2 \label{eq:b}\\
c &= 3 \nonumber\\
d &= 4 \label{eq:d}
\end{align}
\begin{align*}
e &= 5 \\
f &= 6 \numberthis \label{eq:f}
\end{align*}
\subsection{Details}\label{sec:details}
\begin{gather}
g = 7 \label{eq:g} \\
h = 8 \tag{H} \label{eq:h}
\end{gather}
\begin{subequations}\label{eq:sub}
\begin{align}
i &= 9 \label{eq:i}\\
j &= 10 \label{eq:j}
\end{align}
\end{subequations}
\begin{equation}\label{eq:split}
\begin{split}
k &= 11 \\
  &= 12
\end{split}
\end{equation}
\begin{thm}\label{thm:one} True. \end{thm}
\begin{lem}\label{lem:one} Also true. \end{lem}
\paragraph{Note}\label{par:note}
\begin{equation*} l = 13 \label{eq:star} \end{equation*}
\begin{multline}\label{eq:multi}
m = 14 \\ + 15
\end{multline}
\begin{align}
n &= 16 \\
o &= 17 \label{eq:o}\\
\end{align}
\begin{eqnarray}
p &=& 18 \label{eq:p}\\
q &=& 19 \nonumber
\end{eqnarray}
\[ r = 20 \]
\begin{equation} s = 21 \tag*{S*} \label{eq:tagstar} \end{equation}
\begin{table}\caption{First}\label{tab:one}\begin{tabular}{cc} a & b \\ \end{tabular}\end{table}
\section*{Unnumbered}\label{sec:star}
\begin{equation}\label{eq:after-star} t = 22 \end{equation}
\section{Second}\label{sec:second}
\begin{equation}\label{eq:second} u = 23 \end{equation}
\begin{figure}\centering
\begin{minipage}{0.4\textwidth}\caption{Fig one}\label{fig:one}\end{minipage}
\end{figure}
\begin{table}\caption{Second}\label{tab:two}\begin{tabular}{c} x \\ \end{tabular}\end{table}
\setcounter{equation}{9}
\begin{equation}\label{eq:set} v = 24 \end{equation}
\appendix
\section{Extra}\label{sec:extra}
\begin{equation}\label{eq:app} w = 25 \end{equation}
\subsection{More}\label{sec:more}
\begin{thm}\label{thm:app} Appendix theorem. \end{thm}
REFS: @REFS@
\end{document}
"""
LABELS = {  # label -> what \ref prints (from pdflatex's .aux)
    "sec:intro": "1", "eq:a": "1.1", "eq:b": "1.2", "eq:d": "1.3", "eq:f": "1.4", "sec:details": "1.1",
    "eq:g": "1.5", "eq:h": "H", "eq:sub": "1.6", "eq:i": "1.6a", "eq:j": "1.6b", "eq:split": "1.7",
    "thm:one": "1.1", "lem:one": "1.2", "par:note": "1.1", "eq:star": "1.1", "eq:multi": "1.8",
    "eq:o": "1.10", "eq:p": "1.12", "eq:tagstar": "S*", "tab:one": "1", "fig:one": "1", "sec:star": "1.1",
    "eq:after-star": "1.13", "sec:second": "2", "eq:second": "2.1", "tab:two": "2", "eq:set": "2.10",
    "sec:extra": "A", "eq:app": "A.1", "sec:more": "A.1", "thm:app": "A.1",
}


def _torture() -> str:
    return TORTURE.replace("@REFS@", " ".join(f"[{key}=\\ref{{{key}}}]" for key in LABELS))


def _parse(tmp_path: Path, source: str, name: str = "paper.tex") -> Paper:
    path = tmp_path / name
    path.write_text(source)
    return parse_latex_file(path, limits=IngestLimits())


def _refs(paper: Paper) -> dict[str, str]:
    text = "\n".join(s.text for s in paper.sections)
    return dict(re.findall(r"\[([^=\]]+)=([^\]]*)\]", text))


@pytest.fixture(scope="module")
def torture(tmp_path_factory: pytest.TempPathFactory) -> Paper:
    return _parse(tmp_path_factory.mktemp("torture"), _torture())


def test_every_label_prints_what_latex_prints(torture: Paper) -> None:
    assert _refs(torture) == LABELS


def test_equation_numbers_and_unnumbered_lines(torture: Paper) -> None:
    numbers = [(e.latex, e.number) for e in torture.equations]
    assert numbers == [
        ("a = 1", "1.1"), ("b = 2", "1.2"), ("c = 3", None), ("d = 4", "1.3"), ("e = 5", None), ("f = 6", "1.4"),
        ("g = 7", "1.5"), ("h = 8", "H"), ("i = 9", "1.6a"), ("j = 10", "1.6b"), ("k = 11 = 12", "1.7"),
        ("l = 13", None), ("m = 14 + 15", "1.8"), ("n = 16", "1.9"), ("o = 17", "1.10"), ("p = 18", "1.12"),
        ("q = 19", None), ("r = 20", None), ("s = 21", "S*"), ("t = 22", "1.13"), ("u = 23", "2.1"),
        ("v = 24", "2.10"), ("w = 25", "A.1"),
    ]
    assert [e.id for e in torture.equations[:3]] == ["eq1", "eq2", "eq3"]
    envs = {e.latex: e.environment for e in torture.equations}
    assert envs["a = 1"] == "equation" and envs["e = 5"] == "align*" and envs["r = 20"] == "\\["


def test_sections_tables_and_theorems(torture: Paper) -> None:
    assert [(s.number, s.title, s.level) for s in torture.sections] == [
        ("1", "Intro", 1), ("1.1", "Details", 2), (None, "Note", 4), (None, "Unnumbered", 1),
        ("2", "Second", 1), ("A", "Extra", 1), ("A.1", "More", 2),
    ]
    assert [(t.label, t.number, t.rows) for t in torture.tables] == [("tab:one", "1", [["a", "b"]]),
                                                                      ("tab:two", "2", [["x"]])]
    details = next(s for s in torture.sections if s.title == "Details")
    assert "Theorem 1.1. True." in details.text and "Lemma 1.2. Also true." in details.text
    assert torture.equation("1.7").section == "Details"


def test_torture_matches_pdflatex(tmp_path: Path) -> None:
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    tex = tmp_path / "torture.tex"
    tex.write_text(_torture())
    run = subprocess.run(["pdflatex", "-interaction=batchmode", "-draftmode", tex.name], cwd=tmp_path,
                         capture_output=True, timeout=120)
    aux = tmp_path / "torture.aux"
    if run.returncode != 0 or not aux.exists():
        pytest.skip("pdflatex could not compile the probe (amsmath missing?)")
    printed = dict(re.findall(r"\\newlabel\{([^{}]*)\}\{\{\{?([^{}]*?)\}?\}", aux.read_text()))
    assert printed == LABELS


def test_numbers_run_through_sections_without_numberwithin(tmp_path: Path) -> None:
    paper = _parse(tmp_path, r"""\documentclass{article}\usepackage{amsmath}\begin{document}
\section{A}\begin{equation}x\end{equation}\section{B}\begin{align}y\\z\end{align}
\appendix\section{C}\begin{equation}w\end{equation}\end{document}""")
    assert [e.number for e in paper.equations] == ["1", "2", "3", "4"]
    assert [s.number for s in paper.sections] == ["1", "2", "A"]


def test_counterwithin_and_theequation_formats(tmp_path: Path) -> None:
    paper = _parse(tmp_path, r"""\documentclass{article}\usepackage{amsmath}\counterwithin{equation}{section}
\begin{document}\section{A}\begin{equation}x\end{equation}
\setcounter{section}{0}\renewcommand{\thesection}{S\arabic{section}}
\section{Supp}\begin{equation}y\end{equation}
\renewcommand{\theequation}{R\arabic{equation}}\begin{equation}z\end{equation}\end{document}""")
    assert [e.number for e in paper.equations] == ["1.1", "S1.1", "R2"]
    assert [s.number for s in paper.sections] == ["1", "S1"]


def test_plain_tex_displays_and_eqno(tmp_path: Path) -> None:
    paper = _parse(tmp_path, r"""\documentclass{article}\begin{document}\section{S}
Plain display $$ a + b \eqno(7) $$ and $$c$$ and \begin{displaymath} d \end{displaymath}
then \begin{equation} e \end{equation}\end{document}""")
    assert [(e.latex, e.number) for e in paper.equations] == [("a + b", "7"), ("c", None), ("d", None), ("e", "1")]


def test_alignat_flalign_and_starred_environments(tmp_path: Path) -> None:
    paper = _parse(tmp_path, r"""\documentclass{article}\usepackage{amsmath}\begin{document}\section{S}
\begin{alignat}{2} a &= b &\quad c &= d \end{alignat}
\begin{flalign*} e &= f \end{flalign*}
\begin{gather*} g \\ h \tag{T} \end{gather*}
\begin{multline*} i \\ j \end{multline*}\end{document}""")
    assert [(e.latex, e.number, e.environment) for e in paper.equations] == [
        ("a = b \\quad c = d", "1", "alignat"), ("e = f", None, "flalign*"), ("g", None, "gather*"),
        ("h", "T", "gather*"), ("i j", None, "multline*"),
    ]


def test_subfigure_and_subcaption_labels(tmp_path: Path) -> None:
    paper = _parse(tmp_path, r"""\documentclass{article}\begin{document}\section{S}
\begin{figure}\begin{subfigure}{.5\linewidth}\caption{left}\label{fig:l}\end{subfigure}
\begin{subfigure}{.5\linewidth}\caption{right}\label{fig:r}\end{subfigure}\caption{Both}\label{fig:both}
\end{figure}
\begin{table}\caption{Two tables}\label{tab:pair}
\begin{minipage}{.5\linewidth}\subcaption{one}\label{tab:a}\begin{tabular}{c}1\\\end{tabular}\end{minipage}
\begin{minipage}{.5\linewidth}\subcaption{two}\label{tab:b}\begin{tabular}{c}2\\\end{tabular}\end{minipage}
\end{table}
[l=\ref{fig:l}] [r=\ref{fig:r}] [both=\ref{fig:both}] [a=\ref{tab:a}] [b=\ref{tab:b}] [pair=\ref{tab:pair}]
\end{document}""")
    assert _refs(paper) == {"l": "1a", "r": "1b", "both": "1", "a": "1a", "b": "1b", "pair": "1"}
    assert [f.caption for f in paper.figures] == ["Both"]
    assert [(t.number, t.label, t.caption, t.rows) for t in paper.tables] == [
        ("1a", "tab:a", "Two tables (one)", [["1"]]), ("1b", "tab:b", "Two tables (two)", [["2"]])
    ]


def test_forward_references_and_ref_styles(tmp_path: Path) -> None:
    paper = _parse(tmp_path, r"""\documentclass{article}\usepackage{amsmath}\begin{document}
\section{Intro}See \eqref{eq:later}, \autoref{eq:later}, \cref{sec:two}, Table~\ref{tab:t} and \ref{missing}.
\section{Two}\label{sec:two}\begin{equation}\label{eq:later} x \end{equation}
\begin{table}\caption{T}\label{tab:t}\begin{tabular}{c}1\\\end{tabular}\end{table}\end{document}""")
    assert paper.sections[0].text == "See (1), Equation (1), Section 2, Table 1 and missing."
