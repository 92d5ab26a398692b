"""Lexer for display equations: LaTeX text to tokens, with real-paper noise removed.

Noise that carries no meaning is dropped here: ``\\label``, ``\\tag``, ``\\nonumber``, spacing
commands, ``\\left``/``\\right`` and ``\\big`` sizes, alignment ``&``, ``\\displaystyle``,
comments. Line breaks (``\\\\``) and ``\\quad`` survive as tokens because they separate the
equations of a system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.errors import UnsupportedNotation

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}
GREEK_VARIANTS = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
                  "varsigma": "sigma", "varpi": "pi", "varkappa": "kappa", "ell": "l", "imath": "i"}
# Function commands: \exp x, \log(x), \max(a, b), \max_j x_j.
FUNCTION_COMMANDS = {
    "exp", "log", "ln", "lg", "tanh", "sinh", "cosh", "sin", "cos", "tan", "arctan", "max", "min",
    "softmax", "sigmoid", "relu", "gelu", "erf", "sgn", "sign", "argmax", "argmin", "det", "Pr", "sup",
    "inf", "lim", "arg", "trace", "tr", "diag", "sech",
}
# Italic letter runs that are words when written out: sin(x), ReLU(x), Softmax(...).
FUNCTION_WORDS = {
    "sin", "cos", "tan", "exp", "log", "ln", "tanh", "max", "min", "softmax", "sigmoid", "relu", "gelu",
    "swish", "silu", "softplus", "logsoftmax", "sigm", "erf", "glu", "ffn", "attention", "concat",
}
WORD_FONTS = {"text", "mathrm", "textrm", "operatorname", "textit", "mathit", "textnormal", "textbf",
              "textsf", "texttt", "rm", "it", "mbox", "textup", "emph"}
BOLD = {"mathbf", "bm", "boldsymbol", "vec", "mathbfit", "pmb", "bf", "boldmath", "mathbold"}
FONTS = {"mathcal": "cal", "mathbb": "bb", "mathscr": "scr", "mathfrak": "frak", "mathsf": "sf",
         "mathtt": "tt", "mathnormal": None, "mathds": "bb", "mathrsfs": "scr"}
ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
           "widetilde": "tilde", "dot": "dot", "ddot": "ddot", "check": "check", "breve": "breve",
           "underline": "under", "acute": "acute", "grave": "grave", "mathring": "ring"}
SIZES = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
         "Biggl", "Biggr", "bigm", "Bigm", "middle"}
SKIP = {"displaystyle", "textstyle", "scriptstyle", "scriptscriptstyle", "nonumber", "notag", "numberthis",
        "relax", "limits", "nolimits", "quad_", "enspace", "thinspace", "medspace", "thickspace",
        "negthinspace", "negmedspace", "negthickspace", "mathstrut", "strut", "allowbreak", "nobreak",
        "centering", "cr", "hfill", "hfil", "newline", "small", "footnotesize", "normalsize", "large",
        "ensuremath", "mathop", "mathord", "mathrel", "mathbin", "smash", "lefteqn"}
SKIP_WITH_ARG = {"label", "tag", "tag*", "hspace", "hspace*", "vspace", "vspace*", "phantom", "hphantom",
                 "vphantom", "kern", "mkern", "hskip", "eqref", "ref", "cite", "citep", "citet", "color",
                 "textcolor*"}
TEXT_ENVIRONMENTS = {"equation", "equation*", "align", "align*", "aligned", "alignedat", "split", "gather",
                     "gather*", "gathered", "multline", "multline*", "eqnarray", "eqnarray*", "flalign",
                     "flalign*", "math", "displaymath", "subequations", "dmath", "dmath*"}
SYMBOL_COMMANDS = {
    "cdot": "cdot", "times": "times", "odot": "odot", "otimes": "otimes", "circ": "circ", "ast": "*",
    "div": "/", "pm": "pm", "mp": "mp", "oplus": "oplus", "star": "star",
    "leq": "<=", "le": "<=", "geq": ">=", "ge": ">=", "leqslant": "<=", "geqslant": ">=", "neq": "!=",
    "ne": "!=", "approx": "approx", "simeq": "approx", "propto": "propto", "sim": "sim", "in": "in",
    "notin": "notin", "subset": "subset", "subseteq": "subset", "equiv": "equiv", "coloneqq": ":=",
    "triangleq": ":=", "doteq": ":=", "eqqcolon": ":=", "defeq": ":=", "leftarrow": ":=", "gets": ":=",
    "to": "to", "rightarrow": "to", "mapsto": "to", "Rightarrow": "implies", "iff": "iff", "ll": "<<",
    "gg": ">>", "mid": "mid", "vert": "|", "lvert": "|", "rvert": "|", "Vert": "‖", "lVert": "‖",
    "rVert": "‖", "langle": "langle", "rangle": "rangle", "cdots": "dots", "ldots": "dots", "dots": "dots",
    "vdots": "dots", "ddots": "dots", "dotsc": "dots", "dotsb": "dots", "top": "top", "intercal": "top",
    "prime": "prime", "dagger": "dagger", "lbrace": "{", "rbrace": "}", "lbrack": "[", "rbrack": "]",
    "lfloor": "lfloor", "rfloor": "rfloor", "lceil": "lceil", "rceil": "rceil", "colon": ":", "forall":
    "forall", "exists": "exists", "cup": "cup", "cap": "cap", "setminus": "setminus", "land": "and",
    "lor": "or", "neg": "not", "nabla": "nabla", "partial": "partial", "infty": "infty",
}
UNICODE = {"−": "-", "·": r"\cdot ", "×": r"\times ", "⊙": r"\odot ", "⊗": r"\otimes ", "≤": r"\leq ",
           "≥": r"\geq ", "∈": r"\in ", "∑": r"\sum ", "∏": r"\prod ", "√": r"\sqrt ", "∞": r"\infty ",
           "…": r"\dots ", "⊤": r"\top ", "′": "'", "∥": r"\| ", "‖": r"\| ", "\u00a0": " "}


@dataclass(frozen=True)
class Token:
    """``kind``: NUM LETTER WORD CMD OP LBRACE RBRACE NEWLINE QUAD EOF."""

    kind: str
    value: str
    pos: int = 0
    upright: bool = False  # WORD from \mathrm/\text/\operatorname

    def is_op(self, *values: str) -> bool:
        return self.kind == "OP" and self.value in values


_COMMENT = re.compile(r"(?<!\\)%.*?$", re.MULTILINE)
_ENV = re.compile(r"\\(begin|end)\s*\{([^}]*)\}(\{[^}]*\})?")


def clean(latex: str) -> str:
    """Remove comments and equation environments; refuse environments that carry structure."""
    text = _COMMENT.sub("", latex)
    for char, repl in UNICODE.items():
        text = text.replace(char, repl)

    def env(match: re.Match[str]) -> str:
        name = match.group(2).strip()
        if name in TEXT_ENVIRONMENTS:
            return " "
        raise UnsupportedNotation(f"unsupported LaTeX construct \\begin{{{name}}}")

    return _ENV.sub(env, text)


def _read_group(text: str, i: int) -> tuple[str, int]:
    """Read a ``{...}`` group (or one character / command) starting at ``i``; return content and end."""
    n = len(text)
    while i < n and text[i] in " \t\n":
        i += 1
    if i >= n:
        return "", i
    if text[i] == "{":
        depth, j = 0, i
        while j < n:
            if text[j] == "\\":
                j += 2
                continue
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    return text[i + 1 : j], j + 1
            j += 1
        raise UnsupportedNotation("unbalanced braces in equation")
    if text[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", text[i:])
        assert m is not None
        return m.group(0), i + len(m.group(0))
    return text[i], i + 1


def tokenize(latex: str) -> list[Token]:
    """Split cleaned LaTeX into tokens (see :class:`Token`)."""
    text = clean(latex)
    tokens: list[Token] = []
    _lex(text, tokens, 0)
    tokens = _merge_runs(tokens)
    tokens = _merge_bars(tokens)
    tokens.append(Token("EOF", "", len(text)))
    return tokens


def _lex(text: str, out: list[Token], offset: int) -> None:
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\n\r~":
            i += 1
            continue
        if c == "\\":
            i = _lex_command(text, i, out, offset)
            continue
        if c.isalpha():
            out.append(Token("LETTER", c, offset + i))
            i += 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = re.match(r"\d*\.?\d+", text[i:])
            assert m is not None
            out.append(Token("NUM", m.group(0), offset + i))
            i += len(m.group(0))
            continue
        if c == "{":
            out.append(Token("LBRACE", c, offset + i))
        elif c == "}":
            out.append(Token("RBRACE", c, offset + i))
        elif c == "&":
            pass
        elif c in "+-*/=()[],;!'|<>:^_.?":
            out.append(Token("OP", c, offset + i))
        elif c in "$":
            pass
        else:
            raise UnsupportedNotation(f"unsupported character {c!r} in equation")
        i += 1


def _lex_command(text: str, i: int, out: list[Token], offset: int) -> int:
    n = len(text)
    if i + 1 < n and text[i + 1] == "\\":
        out.append(Token("NEWLINE", "\\\\", offset + i))
        i += 2
        m = re.match(r"\s*\[[^\]]*\]", text[i:])  # \\[2pt]
        return i + (len(m.group(0)) if m else 0)
    m = re.match(r"\\([A-Za-z]+\*?|.)", text[i:])
    if m is None:
        return i + 1
    name, end = m.group(1), i + len(m.group(0))
    if name.endswith("*") and name[:-1] not in ("tag", "hspace", "vspace", "operatorname"):
        name, end = name[:-1], end - 1
    if name in (",", ";", ":", "!", " ", ">", "/"):
        return end
    if name == "|":
        out.append(Token("OP", "‖", offset + i))
        return end
    if name in ("{", "}"):
        out.append(Token("OP", name, offset + i))
        return end
    if name == "_":
        out.append(Token("OP", "\\_", offset + i))
        return end
    if name in ("%", "#", "$"):
        return end
    if name in ("quad", "qquad"):
        out.append(Token("QUAD", name, offset + i))
        return end
    if name in SIZES:
        rest = text[end:].lstrip()
        skipped = len(text[end:]) - len(rest)
        if rest.startswith("."):  # \left. and \right.
            return end + skipped + 1
        return end
    if name in SKIP:
        return end
    if name.rstrip("*") in SKIP_WITH_ARG:
        _, end = _read_group(text, end)
        if name == "color" or name == "textcolor":
            pass
        return end
    if name == "intertext":
        _, end = _read_group(text, end)
        out.append(Token("NEWLINE", "intertext", offset + i))
        return end
    if name.rstrip("*") in WORD_FONTS:
        content, end = _read_group(text, end)
        _lex_word_group(content, out, offset + i)
        return end
    out.append(Token("CMD", name, offset + i))
    return end


def _lex_word_group(content: str, out: list[Token], pos: int) -> None:
    """``\\mathrm{...}``: letter runs inside become upright words, the rest is lexed normally."""
    stripped = content.strip()
    if not stripped:
        return
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*((-|\\_)[A-Za-z0-9]+)*", stripped):  # \mathit{warmup\_steps}
        out.append(Token("WORD", stripped.replace("\\_", "_").replace("-", "_"), pos, upright=True))
        return
    inner: list[Token] = []
    _lex(content, inner, pos)
    merged: list[Token] = []
    for tok in inner:
        if tok.kind == "LETTER" and merged and merged[-1].kind == "WORD" and merged[-1].upright \
                and merged[-1].pos + len(merged[-1].value) == tok.pos:
            merged[-1] = Token("WORD", merged[-1].value + tok.value, merged[-1].pos, upright=True)
        elif tok.kind == "LETTER":
            merged.append(Token("WORD", tok.value, tok.pos, upright=True))
        else:
            merged.append(tok)
    out.extend(merged)


def _merge_bars(tokens: list[Token]) -> list[Token]:
    """``||x||`` is a norm; ``{}`` is nothing."""
    out: list[Token] = []
    for tok in tokens:
        if tok.is_op("|") and out and out[-1].is_op("|") and out[-1].pos == tok.pos - 1:
            out[-1] = Token("OP", "‖", out[-1].pos)
        elif tok.kind == "RBRACE" and out and out[-1].kind == "LBRACE":
            out.pop()
        else:
            out.append(tok)
    return out


def _merge_runs(tokens: list[Token]) -> list[Token]:
    """Decide which italic letter runs are words: ``step\\_num``, ``sin(``, ``lrate =``, repeated runs."""
    runs: list[tuple[int, int]] = []  # [start, end) in tokens
    i = 0
    while i < len(tokens):
        if tokens[i].kind == "LETTER":
            j = i + 1
            while j < len(tokens) and (
                (tokens[j].kind == "LETTER" and tokens[j].pos == tokens[j - 1].pos + 1)
                or (tokens[j].is_op("\\_") and j + 1 < len(tokens) and tokens[j + 1].kind == "LETTER")
                or (tokens[j - 1].is_op("\\_") and tokens[j].kind == "LETTER")
            ):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    counts: dict[str, int] = {}
    for a, b in runs:
        word = "".join(t.value for t in tokens[a:b])
        counts[word] = counts.get(word, 0) + 1
    out: list[Token] = []
    last = 0
    for a, b in runs:
        out.extend(tokens[last:a])
        last = b
        word = "".join(t.value for t in tokens[a:b]).replace("\\_", "_")
        nxt = tokens[b] if b < len(tokens) else None
        is_word = (
            "_" in word
            or (len(word) > 1 and word.lower() in FUNCTION_WORDS and nxt is not None and nxt.is_op("("))
            or (len(word) > 1 and nxt is not None and nxt.is_op("=") and (a == 0 or _starts_statement(tokens, a)))
            or (len(word) >= 3 and counts[word] >= 2)
        )
        if is_word and b - a > 1:
            out.append(Token("WORD", word, tokens[a].pos))
        else:
            out.extend(tokens[a:b])
    out.extend(tokens[last:])
    return out


def _starts_statement(tokens: list[Token], i: int) -> bool:
    prev = tokens[i - 1]
    return prev.kind in ("NEWLINE", "QUAD") or prev.is_op(",", ";")
