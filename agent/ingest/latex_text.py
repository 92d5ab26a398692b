"""LaTeX fragments (section bodies, captions, table cells) rendered as readable text.

Inline math stays LaTeX between ``$...$`` (``\\(...\\)`` is normalised to ``$...$``); font and
box commands keep their text; citations become ``[cite]``; ``\\ref``/``\\eqref`` become the number
when the label is known (else the label itself); layout commands vanish.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from agent.ingest.macros import tokenize

PARA = "\x02"  # paragraph break marker, resolved by normalise()
LINE = "\x03"  # line break marker
BLOCK = "\x01"  # \x01N\x01 marks a block (display equation, listing) the caller fills in
THEOREM_NUMBER = "PtcTheoremNumber"  # \PtcTheoremNumber{2.1} after \begin{theorem}: its printed number

MAX_NESTING = 40  # \footnote{\textcolor{..}{...}} nested deeper than this is read as plain words
RefRenderer = Callable[[str, str], str]  # (command without backslash, key) -> text

# name -> (optional args, mandatory args) consumed and dropped
_DROP: dict[str, tuple[int, int]] = {
    "label": (0, 1), "vspace": (0, 1), "hspace": (0, 1), "includegraphics": (1, 1),
    "setlength": (0, 2), "addtolength": (0, 2), "color": (1, 1), "definecolor": (0, 3),
    "usepackage": (1, 1), "RequirePackage": (1, 1), "bibliographystyle": (0, 1), "bibliography": (0, 1),
    "thispagestyle": (0, 1), "pagestyle": (0, 1), "setcounter": (0, 2), "addtocounter": (0, 2),
    "stepcounter": (0, 1), "refstepcounter": (0, 1), "newcounter": (1, 1), "nocite": (0, 1),
    "captionsetup": (1, 1), "hypersetup": (0, 1), "linespread": (0, 1), "fontsize": (0, 2),
    "rule": (1, 2), "phantom": (0, 1), "hphantom": (0, 1), "vphantom": (0, 1), "index": (0, 1),
    "cellcolor": (1, 1), "rowcolor": (1, 1), "columncolor": (1, 1), "graphicspath": (0, 1),
    "todo": (1, 1), "marginpar": (1, 1), "setlist": (1, 1), "theoremstyle": (0, 1),
    "twocolumn": (1, 0), "onecolumn": (0, 0), "linebreak": (1, 0), "pagebreak": (1, 0),
    "numberwithin": (0, 2), "counterwithin": (0, 2), "counterwithout": (0, 2), "thanks": (0, 1),
    "footnotemark": (1, 0), "includepdf": (1, 1), "input": (0, 1), "include": (0, 1),
    "bibitem": (1, 1), "newblock": (0, 0), "vskip": (0, 0), "hskip": (0, 0), "kern": (0, 0),
    "tag": (0, 1), "caption": (1, 1), "captionof": (1, 2), "subcaption": (1, 1), "email": (0, 1),
    "affiliation": (1, 1), "affil": (1, 1), "inst": (0, 1), "orcid": (0, 1), "icmlaffiliation": (0, 2),
    "icmlcorrespondingauthor": (0, 2), "icmlkeywords": (0, 1), "icmlsetsymbol": (0, 2),
    "icmltitlerunning": (0, 1), "runningtitle": (0, 1), "runningauthor": (0, 1), "date": (0, 1),
    "metadata": (1, 1), "contribution": (1, 1), "keywords": (0, 1), "newtheorem": (1, 2),
    "cline": (0, 1), "cmidrule": (1, 1), "arrayrulecolor": (1, 1), "specialrule": (0, 3),
}
_KEEP: dict[str, tuple[int, int, int]] = {  # name -> (optional, mandatory, index of the kept arg)
    "textcolor": (1, 2, 1), "colorbox": (1, 2, 1), "fcolorbox": (1, 3, 2), "href": (0, 2, 1),
    "hyperref": (1, 1, 0), "resizebox": (0, 3, 2), "scalebox": (1, 2, 1), "rotatebox": (1, 2, 1),
    "raisebox": (2, 2, 1), "adjustbox": (0, 2, 1), "parbox": (3, 2, 1), "makebox": (2, 1, 0),
    "framebox": (2, 1, 0), "multicolumn": (0, 3, 2), "texorpdfstring": (0, 2, 0),
}
_CITES = frozenset(
    "cite citep citet citealp citealt citeauthor citeyear citenum parencite textcite autocite footcite "
    "Citep Citet Cite Citeauthor citepalias citetalias shortcite".split()
)
_REFS = frozenset("ref eqref autoref Autoref cref Cref pageref nameref vref subref cpageref labelcref".split())
_SYMBOLS = {
    "%": "%", "&": "&", "#": "#", "$": "$", "_": "_", "{": "{", "}": "}", ",": " ", ";": " ", ":": " ",
    " ": " ", "\n": " ", "\t": " ", "!": "", "-": "", "/": "", "@": "", "|": "|",
}
_WORDS = {
    "textbackslash": "\\", "textasciitilde": "~", "textbar": "|", "S": "§", "P": "¶", "dag": "†",
    "dagger": "†", "ddag": "‡", "ddagger": "‡", "copyright": "©", "ldots": "...", "dots": "...",
    "textellipsis": "...", "LaTeX": "LaTeX", "TeX": "TeX", "LaTeXe": "LaTeX2e", "textendash": "–",
    "textemdash": "—", "textquotedblleft": '"', "textquotedblright": '"', "textquoteleft": "'",
    "textquoteright": "'", "quad": " ", "qquad": " ", "enspace": " ", "thinspace": " ", "space": " ",
    "i": "ı", "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "aa": "å", "AA": "Å", "textdegree": "°", "texttimes": "×", "checkmark": "✓",
    "cmark": "✓", "xmark": "✗", "textregistered": "®", "texttrademark": "™", "euro": "€",
    "textsuperscript": "", "newline": LINE, "par": PARA, "\\": LINE, "cr": LINE, "tabularnewline": LINE,
    "hline": "", "toprule": "", "midrule": "", "bottomrule": "", "addlinespace": "", "today": "",
}
_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}
_LIST_ENVS = frozenset({"itemize", "enumerate", "description", "compactitem", "compactenum", "enumerate*"})
_ENV_ARGS: dict[str, tuple[int, int]] = {
    "minipage": (1, 1), "multicols": (0, 1), "wrapfigure": (1, 2), "wraptable": (1, 2),
    "adjustbox": (0, 1), "tcolorbox": (1, 0), "mdframed": (1, 0), "subfigure": (1, 1),
    "subtable": (1, 1), "tabular": (1, 1), "tabularx": (0, 2), "tabular*": (1, 2), "spacing": (0, 1),
    "list": (0, 2), "thebibliography": (0, 1), "lstlisting": (1, 0), "minted": (1, 1),
}


class TextRenderer:
    """Render LaTeX fragments as text.

    Args:
        refs: renders ``\\ref``-like commands: ``refs("eqref", "eq:attn") -> "(1)"``.
        theorems: environment name -> printed title, for ``\\newtheorem`` environments.
    """

    def __init__(self, refs: RefRenderer | None = None, theorems: dict[str, str] | None = None) -> None:
        self.refs = refs or (lambda command, key: f"({key})" if command == "eqref" else key)
        self.theorems = theorems or {}
        self._nesting = 0

    def render(self, latex: str) -> str:
        """Readable text of ``latex``: whitespace normalised, paragraphs separated by blank lines."""
        if not _SPECIAL.search(latex):  # plain text (most table cells)
            return " ".join(latex.split())
        return normalise(self.raw(latex))

    def raw(self, latex: str) -> str:
        """Like :meth:`render` but with break markers (``PARA``, ``LINE``) left in place."""
        tokens = tokenize(latex)
        out: list[str] = []
        self._convert(tokens, 0, len(tokens), _match_braces(tokens), out)
        return "".join(out)

    # ------------------------------------------------------------------------------ internals
    def _convert(self, toks: list[str], i: int, end: int, match: dict[int, int], out: list[str]) -> None:
        while i < end:
            t = toks[i]
            c = t[0]
            if c == "\\" and len(t) > 1:
                i = self._command(toks, i, end, match, out)
                continue
            if c == "$":
                i = self._inline_math(toks, i, end, out)
                continue
            if c in "{}":
                i += 1
                continue
            if c == "~":
                out.append(" ")
            elif c == "&":  # an alignment tab outside math: a cell of a tabular met as text
                out.append(" | ")
            elif c == "-" and i + 1 < end and toks[i + 1] == "-":
                if i + 2 < end and toks[i + 2] == "-":
                    out.append("—")
                    i += 3
                    continue
                out.append("–")
                i += 2
                continue
            elif c == "`" and i + 1 < end and toks[i + 1] == "`":
                out.append('"')
                i += 2
                continue
            elif c == "'" and i + 1 < end and toks[i + 1] == "'":
                out.append('"')
                i += 2
                continue
            elif c == BLOCK:
                j = i + 1
                while j < end and toks[j] != BLOCK:
                    j += 1
                out.append("".join(toks[i : j + 1]))
                i = j + 1
                continue
            elif c in " \t\r\n":
                out.append(PARA if t.count("\n") >= 2 else " ")
            else:
                out.append(t)
            i += 1

    def _skip_space(self, toks: list[str], i: int, end: int) -> int:
        while i < end and toks[i].isspace():
            i += 1
        return i

    def _arg(self, toks: list[str], i: int, end: int, match: dict[int, int]) -> tuple[int, int, int]:
        """(start, stop, next index) of the argument at ``i``; start == stop when missing."""
        j = self._skip_space(toks, i, end)
        if j >= end or toks[j] == "}":
            return i, i, i
        if toks[j] == "{":
            close = min(match.get(j, end), end)
            return j + 1, close, close + 1
        return j, j + 1, j + 1

    def _optional(self, toks: list[str], i: int, end: int) -> tuple[int, int, int] | None:
        j = self._skip_space(toks, i, end)
        if j >= end or toks[j] != "[":
            return None
        depth = 0
        for k in range(j + 1, min(end, j + 2000)):
            t = toks[k]
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
            elif t == "]" and depth == 0:
                return j + 1, k, k + 1
        return None

    def _skip_args(self, toks: list[str], i: int, end: int, match: dict[int, int], spec: tuple[int, int]) -> int:
        n_opt, n_arg = spec
        if i < end and toks[i] == "*":
            i += 1
        for _ in range(n_opt):
            opt = self._optional(toks, i, end)
            if opt is not None:
                i = opt[2]
        for _ in range(n_arg):
            i = self._arg(toks, i, end, match)[2]
        return i

    def _text_of(self, toks: list[str], start: int, stop: int, match: dict[int, int]) -> str:
        if self._nesting >= MAX_NESTING:  # hostile nesting: plain words, no more recursion
            return " ".join(t for t in toks[start:stop] if t[0] != "\\" and t not in "{}$")
        self._nesting += 1
        try:
            sub: list[str] = []
            self._convert(toks, start, stop, match, sub)
            return "".join(sub)
        finally:
            self._nesting -= 1

    def _command(self, toks: list[str], i: int, end: int, match: dict[int, int], out: list[str]) -> int:
        t = toks[i]
        name = t[1:]
        i += 1
        if name in _SYMBOLS:
            out.append(_SYMBOLS[name])
            return i
        if name == "\\":  # line break, with optional * and [skip]
            if i < end and toks[i] == "*":
                i += 1
            opt = self._optional(toks, i, end)
            out.append(LINE)
            return opt[2] if opt else i
        if name in _WORDS:
            out.append(_WORDS[name])
            return i
        if name in ("(", ")"):
            if name == "(":
                close = i
                while close < end and toks[close] != "\\)":
                    close += 1
                out.append("$" + _math_text(toks[i:close]) + "$")
                return close + 1
            return i
        if name in _ACCENTS:
            start, stop, nxt = self._arg(toks, i, end, match)
            base = "".join(toks[start:stop]).strip()
            if base:
                first = {"\\i": "i", "\\j": "j"}.get(base, base)
                out.append(unicodedata.normalize("NFC", first[0] + _ACCENTS[name]) + first[1:])
            return nxt
        if name in _CITES:
            i = self._skip_args(toks, i, end, match, (2, 1))
            out.append("[cite]")
            return i
        if name in _REFS:
            if i < end and toks[i] == "*":
                i += 1
            start, stop, nxt = self._arg(toks, i, end, match)
            keys = [k.strip() for k in "".join(toks[start:stop]).split(",") if k.strip()]
            out.append(", ".join(self.refs(name, k) for k in keys))
            return nxt
        if name == "footnote" or name == "footnotetext":
            opt = self._optional(toks, i, end)
            if opt:
                i = opt[2]
            start, stop, nxt = self._arg(toks, i, end, match)
            text = self._text_of(toks, start, stop, match).strip()
            if text:
                out.append(f" ({text})")
            return nxt
        if name in _DROP:
            return self._skip_args(toks, i, end, match, _DROP[name])
        if name in _KEEP:
            n_opt, n_arg, keep = _KEEP[name]
            for _ in range(n_opt):
                opt = self._optional(toks, i, end)
                if opt is not None:
                    i = opt[2]
            for k in range(n_arg):
                start, stop, i = self._arg(toks, i, end, match)
                if k == keep:
                    out.append(self._text_of(toks, start, stop, match))
            return i
        if name == "multirow":  # \multirow[pos]{rows}{width}[fixup]{text}
            i = self._skip_args(toks, i, end, match, (1, 2))
            opt = self._optional(toks, i, end)
            start, stop, nxt = self._arg(toks, opt[2] if opt else i, end, match)
            out.append(self._text_of(toks, start, stop, match))
            return nxt
        if name in ("url", "nolinkurl", "path"):
            start, stop, nxt = self._arg(toks, i, end, match)
            out.append("".join(toks[start:stop]))
            return nxt
        if name in ("ensuremath",):
            start, stop, nxt = self._arg(toks, i, end, match)
            out.append("$" + _math_text(toks[start:stop]) + "$")
            return nxt
        if name == "item":
            opt = self._optional(toks, i, end)
            out.append(LINE + "- ")
            if opt:
                out.append(self._text_of(toks, opt[0], opt[1], match).strip() + " ")
                return opt[2]
            return i
        if name in ("begin", "end"):
            return self._environment(toks, i, end, match, out, name == "begin")
        if name.startswith("if") or name in ("else", "fi", "or"):
            return i
        if name[0].isalpha():
            # unknown command: its name disappears, its braced arguments read as text
            return self._skip_space_after(toks, i, end)
        return i

    def _skip_space_after(self, toks: list[str], i: int, end: int) -> int:
        if i < end and toks[i].isspace() and toks[i].count("\n") < 2:
            if i + 1 < end and toks[i + 1][0].isalnum():
                return i  # keep the word boundary
            return i + 1
        return i

    def _environment(
        self, toks: list[str], i: int, end: int, match: dict[int, int], out: list[str], begin: bool
    ) -> int:
        start, stop, nxt = self._arg(toks, i, end, match)
        name = "".join(toks[start:stop]).strip()
        if not begin:
            out.append(LINE if name in _LIST_ENVS else PARA)
            return nxt
        if name in _ENV_ARGS:
            nxt = self._skip_args(toks, nxt, end, match, _ENV_ARGS[name])
        if name in _LIST_ENVS:
            out.append(LINE)
            return nxt
        out.append(PARA)
        title = self.theorems.get(name) or {"proof": "Proof"}.get(name)
        j = self._skip_space(toks, nxt, end)
        if j < end and toks[j] == "\\" + THEOREM_NUMBER:
            start, stop, nxt = self._arg(toks, j + 1, end, match)
            title = f"{title or name} {''.join(toks[start:stop])}"
        if title:
            opt = self._optional(toks, nxt, end)
            if opt:
                title += " (" + self._text_of(toks, opt[0], opt[1], match).strip() + ")"
                nxt = opt[2]
            out.append(title + ". ")
        return nxt

    def _inline_math(self, toks: list[str], i: int, end: int, out: list[str]) -> int:
        display = i + 1 < end and toks[i + 1] == "$"
        j = i + (2 if display else 1)
        start = j
        while j < end and toks[j] != "$":
            j += 1
        out.append("$" + _math_text(toks[start:j]) + "$")
        j += 1
        if display and j < end and toks[j] == "$":
            j += 1
        return j


_SPECIAL = re.compile(r"[\\{}$~`'\-\n\x01]")
_LABEL_IN_MATH = re.compile(r"\\label\s*\{[^{}]*\}")


def _math_text(tokens: list[str]) -> str:
    text = "".join(tokens)
    if "\\label" in text:
        text = _LABEL_IN_MATH.sub("", text)
    return " ".join(text.split())


def _match_braces(tokens: list[str]) -> dict[int, int]:
    """Index of each ``{`` token -> index of its matching ``}`` (one pass, unclosed ones absent)."""
    match: dict[int, int] = {}
    stack: list[int] = []
    for k, t in enumerate(tokens):
        if t == "{":
            stack.append(k)
        elif t == "}" and stack:
            match[stack.pop()] = k
    return match


_SPACES = re.compile(r"[ \t\r\n]+")
_AROUND_BREAK = re.compile(r" *([\x02\x03]) *")
_MANY_PARA = re.compile(r"\x02[\x02\x03]*|\x03\x02[\x02\x03]*")
_SPACE_BEFORE_PUNCT = re.compile(r" +([.,;:!?)])(?=\s|$)")


def normalise(text: str) -> str:
    """Collapse whitespace; turn break markers into newlines (one blank line between paragraphs)."""
    text = _SPACES.sub(" ", text)
    text = _AROUND_BREAK.sub(r"\1", text)
    text = _MANY_PARA.sub("\n\n", text)
    text = re.sub(r"\x03+", "\n", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return text.strip()


def render_text(latex: str, refs: RefRenderer | None = None) -> str:
    """Convenience wrapper: ``TextRenderer(refs).render(latex)``."""
    return TextRenderer(refs).render(latex)
