"""Text normalisation for hyperparameter extraction.

Both kinds of paper text are brought to one plain form before any pattern runs:

* LaTeX (``Section.text`` from the LaTeX parser): inline math ``$...$`` is flattened
  (``$d_{\\text{model}}=512$`` -> ``d_model=512``, ``$\\beta_1$`` -> ``β_1``), citations and
  references are dropped, other commands lose their backslash;
* PDF text: Unicode compatibility forms are folded (``ϵ`` -> ``ε``, ligatures), hyphenated line
  breaks are joined and newlines become spaces.

Numbers are then rewritten to plain literals (:func:`canonicalize_numbers`): ``3 \\times 10^{-4}``,
``3·10−4`` and ``3e-4`` all become ``3e-4``; ``10k`` becomes ``10000`` and ``100,000`` becomes
``100000``, so the patterns in :mod:`agent.ingest.hparam_patterns` only see one spelling.
"""

from __future__ import annotations

import re
import unicodedata

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Sigma": "Σ", "Phi": "Φ",
    "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip

# Commands whose single argument is kept as plain text.
_WRAPPERS = (
    "text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal", "mathrm", "mathit",
    "mathbf", "mathsf", "mathtt", "mathcal", "mathbb", "mathnormal", "operatorname", "boldsymbol",
    "bm", "mbox", "emph", "hbox", "ensuremath", "mathop", "underline", "boldmath", "num",
    "footnotesize", "small", "scriptsize", "tiny", "large", "textsc", "textup", "mathscr",
)
_SYMBOLS = {
    "times": "×", "cdot": "·", "approx": "≈", "sim": "~", "simeq": "≈", "in": "∈", "leq": "≤",
    "le": "≤", "geq": "≥", "ge": "≥", "ll": "≪", "gg": "≫", "to": "→", "rightarrow": "→",
    "infty": "∞", "top": "T", "prime": "'", "ldots": "...", "cdots": "...", "dots": "...",
    "percent": "%", "pm": "±",
}  # fmt: skip
_DROP = ("left", "right", "big", "Big", "bigg", "Bigg", "displaystyle", "textstyle", "limits", "nonumber")
_CITE_RE = re.compile(r"\\(?:cite[a-zA-Z]*|nocite|footnotemark|label)\*?(?:\[[^\]]*\])*\{[^{}]*\}")
_REF_RE = re.compile(r"\\(?:ref|eqref|autoref|cref|Cref|pageref|nameref|vref)\*?\{[^{}]*\}")
_MATH_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)", re.S)
_THOUSANDS_RE = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d]|\.\d|,\d)")
_ZEROS_RE = re.compile(r"(?<![\d.,])(\d{1,3}), (000)(?![\d,])")
_SPACED_GROUPS_RE = re.compile(r"(?<![\d.])(\d{1,3})((?:[\u2009\u202f\u00a0]\d{3})+)(?![\d])")

# ---------------------------------------------------------------------------------------------
# LaTeX


def _strip_command_args(text: str, name: str) -> str:
    """Replace ``\\name{arg}`` (nested braces allowed) by ``arg``, everywhere in ``text``."""
    pattern = re.compile(r"\\" + name + r"\*?\s*\{")
    while True:
        m = pattern.search(text)
        if not m:
            return text
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        text = text[: m.start()] + " " * (name == "text") + text[m.end() : i - 1] + text[i:]


def _frac(text: str) -> str:
    """``\\frac{a}{b}`` -> ``(a)/(b)`` for brace-delimited arguments (innermost first)."""
    pat = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
    while True:
        new = pat.sub(lambda m: f"({m.group(1)})/({m.group(2)})", text)
        if new == text:
            return new
        text = new


def flatten_math(math: str) -> str:
    """Flatten the LaTeX of an inline formula into plain text.

    ``d_{\\text{model}}=512`` -> ``d_model=512``; ``\\beta_1 = 0.9`` -> ``β_1 = 0.9``;
    ``3 \\times 10^{-4}`` -> ``3 × 10^-4``; ``warmup\\_steps`` -> ``warmup_steps``.
    """
    return _restore_braces(_flatten_math(math))


def _restore_braces(text: str) -> str:
    return text.replace(_LBRACE, "{").replace(_RBRACE, "}")


_LBRACE, _RBRACE = "\x01", "\x02"  # literal \{ \} while grouping braces are removed


_DIGIT_SPACE_RE = re.compile(r"(\d)\s*\\[,;:!]\s*(\d)")
_QUAD_RE = re.compile(r"\\(?:q?quad)\b")
_SPACING_RE = re.compile(r"\\[,;:!>]|~")
_SQRT_RE = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
_DROP_RE = re.compile(r"\\(" + "|".join(_DROP) + r")(?![a-zA-Z])")
_COMMAND_RE = re.compile(r"\\([a-zA-Z]+)")
_SCRIPT_RE = re.compile(r"([_^])\{([^{}]*)\}")
_SCRIPT_SPACE_RE = re.compile(r"\s*([_^])\s*")
_SPACES_RE = re.compile(r"\s+")


def _flatten_math(math: str) -> str:
    s = math
    s = s.replace("\\_", "_").replace("\\%", "%").replace("\\{", _LBRACE).replace("\\}", _RBRACE)
    s = s.replace("{,}", ",")
    if "\\" in s or "~" in s:
        s = _DIGIT_SPACE_RE.sub(r"\1\2", s)  # 4\,096 -> 4096
        s = _SPACING_RE.sub(" ", _QUAD_RE.sub(";", s))
        while "\\frac" in s or "\\sqrt" in s:
            new = _SQRT_RE.sub(r"sqrt(\1)", _frac(s))
            if new == s:
                break
            s = new
        for name in _WRAPPERS:
            if "\\" + name in s:
                s = _strip_command_args(s, name)
        s = _DROP_RE.sub("", s)
        s = _COMMAND_RE.sub(lambda m: GREEK.get(m[1]) or _SYMBOLS.get(m[1]) or m[1], s)
    if "{" in s:
        for _ in range(3):  # sub- and superscripts: drop the braces of simple groups
            s = _SCRIPT_RE.sub(lambda m: m.group(1) + _group(m.group(2)), s)
        s = s.replace("{", "").replace("}", "")
    s = _SCRIPT_SPACE_RE.sub(r"\1", s)
    return _SPACES_RE.sub(" ", s).strip()


def _group(inner: str) -> str:
    inner = inner.strip()
    if re.fullmatch(r"[\w\u0370-\u03ff.,\-−+']*", inner):
        return inner.replace(" ", "")
    return "(" + inner + ")"


def flatten_latex(text: str) -> str:
    """Flatten a LaTeX sentence (prose with inline math) into plain text."""
    s = _CITE_RE.sub("", text)
    s = _REF_RE.sub("#", s)
    s = _MATH_RE.sub(lambda m: " " + _flatten_math(m.group(1) or m.group(2) or m.group(3) or "") + " ", s)
    s = s.replace("\\%", "%").replace("\\&", "&").replace("\\_", "_").replace("~", " ")
    s = s.replace("---", "—").replace("--", "–").replace("``", '"').replace("''", '"')
    s = re.sub(r"(\d)\s*\\[,;:!]\s*(\d)", r"\1\2", s)
    s = re.sub(r"\\[,;:!>]", " ", s)
    for name in ("textbf", "textit", "emph", "texttt", "textsc", "textrm", "mbox", "footnote", "text"):
        if "\\" + name in s:
            s = _strip_command_args(s, name)
    s = re.sub(r"\\([a-zA-Z]+)\*?", lambda m: GREEK.get(m.group(1)) or _SYMBOLS.get(m.group(1), " "), s)
    s = s.replace("{", "").replace("}", "")
    s = re.sub(r"\s+([,.;:)])", r"\1", s)
    return _restore_braces(re.sub(r"\s+", " ", s).strip())


# ---------------------------------------------------------------------------------------------
# PDF / Unicode


def normalize_unicode(text: str) -> str:
    """Fold PDF text to plain form: NFKC (ligatures, ``ϵ`` -> ``ε``), joined hyphenation."""
    s = unicodedata.normalize("NFKC", text)
    s = s.replace("\u03f5", "ε").replace("\u2217", "*")
    s = re.sub(r"([a-z])-\n([a-z])", r"\1\2", s)
    s = re.sub(r"[ \t]*\n[ \t]*", " ", s)
    return re.sub(r"[ \t\u00a0]+", " ", s).strip()


def flatten(text: str, latex: bool) -> str:
    """Plain text of one sentence: LaTeX flattened, Unicode folded, numbers canonical."""
    s = flatten_latex(text) if latex else text
    return canonicalize_numbers(normalize_unicode(s))


# ---------------------------------------------------------------------------------------------
# Numbers

_MANT = r"(\d+(?:\.\d+)?)"
_MINUS = r"[-−]"
_SCI_PATTERNS = [
    # 3 × 10^-4, 3·10^{-4}, 3 x 10^-4
    (re.compile(_MANT + r"\s*[×·x*]\s*10\s*\^\s*\(?([-−+]?\d+)\)?(?![\d]|\.\d)"), lambda m: (m[1], m[2])),
    # 3 · 10−4 (PDF: superscript flattened, explicit minus)
    (re.compile(_MANT + r"\s*[×·]\s*10" + _MINUS + r"(\d{1,2})(?![\d]|\.\d)"), lambda m: (m[1], "-" + m[2])),
    # 1.0 · 1020 (PDF: positive superscript flattened; only with the centred dot)
    (re.compile(_MANT + r"\s*·\s*10([1-9]\d?)(?![\d]|\.\d)"), lambda m: (m[1], m[2])),
    # 10^-9, 10^{-9}
    (re.compile(r"(?<![\d.])10\s*\^\s*\(?([-−+]?\d+)\)?(?![\d]|\.\d)"), lambda m: ("1", m[1])),
    # 10−9 (PDF, Unicode minus) and "= 10-9"
    (re.compile(r"(?<![\d.\w-])10−(\d{1,2})(?![\d]|\.\d)"), lambda m: ("1", "-" + m[1])),
    (re.compile(r"(?<==)(\s*)10-(\d{1,2})(?![\d]|\.\d)"), lambda m: ("1", "-" + m[2])),
    # 3e-4, 3.0e−4, 1E-5
    (re.compile(r"(?<![\w.])" + _MANT + r"\s?[eE]\s?([-−+]?\d+)(?![\w.])"), lambda m: (m[1], m[2])),
]  # fmt: skip
_SUFFIX_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)([kKMBT])(?![\w])")
_SUFFIX = {"k": 1_000, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000, "T": 1_000_000_000_000}

NUMBER = r"(?<![\w.−/])(?<!\w-)-?\d+(?:\.\d+)?(?:e-?\d+)?%?(?![\w]|\.\d|,\d)"
NUMBER_RE = re.compile(NUMBER)


def _sci_literal(mant: str, exp: str) -> str:
    exp = exp.replace("−", "-").replace("+", "")
    value = float(f"{mant}e{exp}")
    if value == int(value) and abs(value) < 1e15 and int(exp) >= 0:
        return str(int(value))
    return f"{mant}e{int(exp)}"


def canonicalize_numbers(text: str) -> str:
    """Rewrite the numeric spellings of ``text`` into plain literals (see module docstring)."""
    s = text
    s = _ZEROS_RE.sub(lambda m: m[1] + m[2], s)
    s = _THOUSANDS_RE.sub(lambda m: m[1] + m[2].replace(",", ""), s)
    s = _SPACED_GROUPS_RE.sub(lambda m: m[1] + re.sub(r"\D", "", m[2]), s)
    for pattern, parts in _SCI_PATTERNS:
        s = pattern.sub(lambda m, parts=parts: _keep_space(m) + _sci_literal(*parts(m)), s)

    def suffix(m: re.Match[str]) -> str:
        value = float(m[1]) * _SUFFIX[m[2]]
        return str(int(value)) if value == int(value) else repr(value)

    return _SUFFIX_RE.sub(suffix, s)


def _keep_space(m: re.Match[str]) -> str:
    text = m.group(0)
    return text[: len(text) - len(text.lstrip())]


def parse_literal(literal: str) -> tuple[int | float, bool] | None:
    """Parse a canonical literal (``512``, ``0.1``, ``3e-4``, ``10%``) -> (value, is_percent)."""
    literal = literal.strip()
    percent = literal.endswith("%")
    body = literal.rstrip("%").strip()
    if not re.fullmatch(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", body):
        return None
    if re.fullmatch(r"-?\d+", body):
        return int(body), percent
    return float(body), percent


def parse_number(text: str) -> tuple[int | float, bool] | None:
    """Parse one number in any supported spelling (``3 \\times 10^{-4}``, ``10k``, ``1,000``)."""
    if "$" in text:
        text = flatten_latex(text)
    elif any(c in text for c in "\\{^"):
        text = flatten_math(text)
    flat = canonicalize_numbers(normalize_unicode(text))
    return parse_literal(flat)


# ---------------------------------------------------------------------------------------------
# Sentences

_ABBREV = re.compile(
    r"(?:\b(?:e\.g|i\.e|et al|etc|vs|cf|Fig|Figs|Eq|Eqs|Tab|Sec|Secs|Ref|Refs|Alg|App|approx|ca|resp|"
    r"No|no|Appx|Thm|Def|Prop|Lem|Dr|Mr|Ms|[A-Z])\.)$"
)


_DISPLAY = re.compile(r"\$\$.*?\$\$(?:[ \t]*\([\w.]+\))?", re.S)


def split_sentences(text: str) -> list[tuple[int, str]]:
    """Split prose into sentences, never inside ``$...$``; returns (start offset, sentence).

    A display equation (``$$...$$`` with its printed number) is a sentence of its own, so the
    prose after it does not start with the equation's tail.
    """
    out: list[tuple[int, str]] = []
    start = 0
    for match in _DISPLAY.finditer(text):
        out += [(start + offset, sentence) for offset, sentence in _split_prose(text[start : match.start()])]
        _emit(out, text, match.start(), match.end())
        start = match.end()
    out += [(start + offset, sentence) for offset, sentence in _split_prose(text[start:])]
    return out


def _split_prose(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    start, i, n, in_math = 0, 0, len(text), False
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            i += 2
            continue
        if ch == "$":
            in_math = not in_math
        elif ch == "\n" and not in_math and text.startswith("\n", i + 1):
            _emit(out, text, start, i)
            start = i + 1
        elif ch in ".!?" and not in_math:
            j = i + 1
            while j < n and text[j] in "\"')]}":
                j += 1
            if j >= n or text[j].isspace():
                k = j
                while k < n and text[k].isspace():
                    k += 1
                head = text[start : i + 1]
                if (k >= n or not text[k].islower()) and not _ABBREV.search(head):
                    _emit(out, text, start, j)
                    start = j
                    i = j
                    continue
        i += 1
    _emit(out, text, start, n)
    return out


def _emit(out: list[tuple[int, str]], text: str, a: int, b: int) -> None:
    chunk = text[a:b]
    stripped = chunk.strip()
    if stripped:
        out.append((a + len(chunk) - len(chunk.lstrip()), stripped))
