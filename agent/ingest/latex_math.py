"""Display math and the numbers LaTeX prints for it, sections, tables, figures and algorithms.

:class:`Counters` keeps the counters the way LaTeX (with amsmath) steps them: ``equation``
(reset per section only under ``\\numberwithin``), ``subequations`` (1a, 1b), ``\\tag`` and
``\\nonumber``, sections (``\\appendix`` switches to A, B, ...), tables, figures, algorithms.
:func:`display_lines` turns one display environment into its numbered lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.ingest.latex_scan import read_group, read_optional, replace_envs, split_top

SECTION_LEVELS = {"section": 1, "subsection": 2, "subsubsection": 3, "paragraph": 4, "subparagraph": 5}
SECNUMDEPTH = 3  # article: \paragraph headings carry no number
NUMBERED_BY_LINE = frozenset({"align", "flalign", "alignat", "gather", "eqnarray", "xalignat", "xxalignat"})
ONE_NUMBER = frozenset({"equation", "multline"})
UNNUMBERED = frozenset({"displaymath", "math", "dmath*", "\\[", "$$"})
MATH_ENVS = frozenset(
    {e for base in NUMBERED_BY_LINE | ONE_NUMBER for e in (base, base + "*")} | {"displaymath", "dmath", "dmath*"}
)


def _alpha(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA (as \\Alph would, extended past Z)."""
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("A") + rem) + out
    return out or "0"


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while n >= value:
            out += letters
            n -= value
    return out


_STYLES = {
    "arabic": str,
    "Alph": _alpha,
    "alph": lambda n: _alpha(n).lower(),
    "roman": _roman,
    "Roman": lambda n: _roman(n).upper(),
    "fnsymbol": lambda n: "*†‡§¶‖"[(n - 1) % 6] if n > 0 else "",
}
_FORMAT_TOKEN = re.compile(
    r"\\(arabic|Alph|alph|roman|Roman|fnsymbol)\s*\{\s*(\w+)\s*\}|\\the([A-Za-z]+)|[{}]|\\[A-Za-z@]+"
)
_DEFAULT_FORMATS = {
    "section": "\\arabic{section}",
    "subsection": "\\thesection.\\arabic{subsection}",
    "subsubsection": "\\thesubsection.\\arabic{subsubsection}",
    "paragraph": "\\thesubsubsection.\\arabic{paragraph}",
    "subparagraph": "\\theparagraph.\\arabic{subparagraph}",
    "subfigure": "\\alph{subfigure}",
    "subtable": "\\alph{subtable}",
}


@dataclass
class Counters:
    """LaTeX's counters for one document: values, printed formats (``\\theX``) and resets."""

    values: dict[str, int] = field(
        default_factory=lambda: {
            **{c: 0 for c in (*SECTION_LEVELS, "equation", "table", "figure", "algorithm")},
            "secnumdepth": 3,
        }
    )
    formats: dict[str, str] = field(default_factory=lambda: dict(_DEFAULT_FORMATS))
    resets: dict[str, set[str]] = field(
        default_factory=lambda: {
            "section": {"subsection"},
            "subsection": {"subsubsection"},
            "subsubsection": {"paragraph"},
            "paragraph": {"subparagraph"},
        }
    )
    subequation: tuple[str, int] | None = None  # (parent number, letters used)

    # ----------------------------------------------------------------------------- printing
    def format(self, counter: str, _depth: int = 0) -> str:
        """What ``\\the<counter>`` prints now."""
        template = self.formats.get(counter, f"\\arabic{{{counter}}}")
        if _depth > 8:
            return str(self.values.get(counter, 0))

        def replace(m: re.Match[str]) -> str:
            if m.group(1):
                return _STYLES[m.group(1)](self.values.get(m.group(2), 0))
            if m.group(3):
                name = m.group(3)
                if name in self.values or name in self.formats:
                    return self.format(name, _depth + 1)
            return ""

        return _FORMAT_TOKEN.sub(replace, template).strip()

    def set_format(self, counter: str, template: str) -> None:
        """``\\renewcommand{\\the<counter>}{template}``."""
        self.formats[counter] = template

    # ----------------------------------------------------------------------------- stepping
    def step(self, counter: str) -> str:
        """Step ``counter`` (resetting the counters within it) and return what LaTeX prints."""
        if counter == "equation" and self.subequation is not None:
            parent, used = self.subequation
            self.subequation = (parent, used + 1)
            return parent + chr(ord("a") + used % 26)
        self.values[counter] = self.values.get(counter, 0) + 1
        self._reset_within(counter)
        return self.format(counter)

    def _reset_within(self, counter: str, _depth: int = 0) -> None:
        for child in self.resets.get(counter, ()):
            self.values[child] = 0
            if _depth < 8:
                self._reset_within(child, _depth + 1)

    def step_section(self, level: int) -> str | None:
        """Step the heading counter of ``level`` (1 = section); None when LaTeX prints no number."""
        if level > self.values.get("secnumdepth", SECNUMDEPTH):
            return None
        name = next(n for n, lvl in SECTION_LEVELS.items() if lvl == level)
        return self.step(name)

    def start_appendix(self) -> None:
        """``\\appendix`` (article): sections restart, printed A, B, ..."""
        self.values["section"] = 0
        self._reset_within("section")
        self.formats["section"] = "\\Alph{section}"

    def set_within(self, counter: str, parent: str, *, reset_only: bool = False) -> None:
        """``\\numberwithin{counter}{parent}`` (``reset_only``: ``\\counterwithin*``)."""
        self.values.setdefault(counter, 0)
        self.values.setdefault(parent, 0)
        self.resets.setdefault(parent, set()).add(counter)
        if not reset_only:
            self.formats[counter] = f"\\the{parent}.\\arabic{{{counter}}}"

    def current(self, counter: str) -> str:
        if counter == "equation" and self.subequation is not None:
            parent, used = self.subequation
            return parent + chr(ord("a") + max(used - 1, 0) % 26)
        return self.format(counter)

    def begin_subequations(self) -> str:
        parent = self.step("equation")
        self.subequation = (parent, 0)
        return parent

    def end_subequations(self) -> None:
        self.subequation = None

    def apply(self, command: str, counter: str, value: str = "1") -> None:
        """``\\setcounter``/``\\addtocounter``/``\\stepcounter``/``\\refstepcounter`` on ``counter``."""
        if counter not in self.values:
            return
        if command in ("stepcounter", "refstepcounter"):
            self.step(counter)
            return
        try:
            number = int(value.strip() or "0")
        except ValueError:
            return
        if command == "setcounter":
            self.values[counter] = number
        elif command == "addtocounter":
            self.values[counter] += number


@dataclass
class MathLine:
    """One line of a display: what an :class:`agent.types.Equation` is made of."""

    latex: str
    number: str | None
    label: str | None
    environment: str


_LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
_NONUMBER = re.compile(r"\\(?:nonumber|notag)(?![A-Za-z@])")
_TAG = re.compile(r"\\tag\*?\s*(?=\{)")
_EQNO = re.compile(r"\\l?eqno(?![A-Za-z@])(.*)$", re.S)
_COUNTER_CMD = re.compile(r"\\(setcounter|addtocounter|stepcounter|refstepcounter)\s*\{\s*equation\s*\}")
_INTERTEXT = re.compile(r"\\(?:short)?intertext\s*(?=\{)")
_RELAX = re.compile(r"\\relax(?![A-Za-z@])")
_SPACING = ("\\,", "\\;", "\\:", "\\!", "\\>", "\\quad", "\\qquad")


def _remove_groups(pattern: re.Pattern[str], text: str) -> tuple[str, list[str]]:
    """Remove each ``<pattern>{...}`` from text; returns the text and the group contents."""
    found: list[str] = []
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() < pos:
            continue
        group = read_group(text, m.end())
        if group is None:
            continue
        out.append(text[pos : m.start()])
        found.append(group[0])
        pos = group[1]
    out.append(text[pos:])
    return "".join(out), found


def clean_math(latex: str, single_line: bool = True) -> str:
    """Whitespace collapsed, spacing and punctuation at the ends removed, top-level ``&`` dropped."""
    if single_line:
        latex = " ".join(part.strip() for part in split_top(latex, "&"))
    latex = " ".join(_RELAX.sub("", latex).split())
    while True:  # trailing spacing commands, line breaks and punctuation ("... V ,", "\\quad.")
        previous = latex
        latex = latex.rstrip(" ~")
        for tail in (*_SPACING, "\\\\"):
            if latex.endswith(tail) and not latex.endswith("\\" + tail):
                latex = latex[: -len(tail)]
                break
        else:
            if latex[-1:] in (".", ",", ";") and latex[-2:-1] != "\\":
                latex = latex[:-1]
        if latex == previous:
            break
    while True:
        stripped = latex.lstrip(" ~")
        for head in _SPACING:
            if stripped.startswith(head) and not stripped[len(head) : len(head) + 1].isalpha():
                stripped = stripped[len(head) :]
                break
        if stripped == latex:
            break
        latex = stripped
    return latex.strip()


def _line_markers(line: str, counters: Counters) -> tuple[str, str | None, str | None, bool]:
    """Strip ``\\label``, ``\\tag``, ``\\nonumber`` and equation-counter commands from one line.

    Returns (remaining latex, label, tag text, nonumber). Counter commands take effect here, in
    order, so ``\\addtocounter{equation}{1}\\tag{\\theequation}`` prints the stepped number.
    """
    label = None
    labels = _LABEL.findall(line)
    if labels:
        label = labels[0].strip()
        line = _LABEL.sub("", line)
    for m in list(_COUNTER_CMD.finditer(line)):
        command = m.group(1)
        value = "1"
        if command in ("setcounter", "addtocounter"):
            group = read_group(line, m.end())
            value = group[0] if group else "0"
        counters.apply(command, "equation", value)
    line = _strip_counter_cmds(line)
    line, tags = _remove_groups(_TAG, line)
    tag = None
    if tags:
        tag = " ".join(tags[-1].replace("\\theequation", counters.current("equation")).split())
    eqno = _EQNO.search(line)
    if eqno:
        tag = tag or eqno.group(1).strip().strip("()").strip() or None
        line = line[: eqno.start()]
    nonumber = bool(_NONUMBER.search(line))
    line = _NONUMBER.sub("", line)
    line, _ = _remove_groups(_INTERTEXT, line)
    return line, label, tag, nonumber


def _strip_counter_cmds(line: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _COUNTER_CMD.finditer(line):
        out.append(line[pos : m.start()])
        pos = m.end()
        if m.group(1) in ("setcounter", "addtocounter"):
            group = read_group(line, pos)
            if group:
                pos = group[1]
    out.append(line[pos:])
    return "".join(out)


def _env_args(env: str, content: str) -> str:
    """Drop the arguments an environment takes before its body (``alignat{2}``)."""
    base = env.rstrip("*")
    if base in ("alignat", "xalignat", "xxalignat"):
        group = read_group(content, 0)
        if group:
            return content[group[1] :]
    if base in ("dmath",):
        _, end = read_optional(content, 0)
        return content[end:]
    return content


def display_lines(env: str, content: str, counters: Counters) -> list[MathLine]:
    """The lines of one display (``env`` is ``equation``, ``align*``, ``\\[``, ``$$``, ...).

    Every line of a numbered multi-line environment takes a number, even an empty last line
    after a trailing ``\\\\`` (as LaTeX does), unless it has ``\\nonumber``/``\\notag`` or a
    ``\\tag``; lines that hold no math are not returned.
    """
    base = env.rstrip("*")
    starred = env.endswith("*") or env in UNNUMBERED
    content = _env_args(env, content)
    if base in NUMBERED_BY_LINE:
        lines: list[MathLine] = []
        for raw in split_top(content, "\\\\"):
            text, label, tag, nonumber = _line_markers(raw, counters)
            number = tag if tag is not None else (None if (nonumber or starred) else counters.step("equation"))
            latex = clean_math(text)
            if latex:
                lines.append(MathLine(latex, number, label, env))
        return lines
    text, label, tag, nonumber = _line_markers(content, counters)
    if base == "multline":
        text = " ".join(part.strip() for part in split_top(text, "\\\\"))
    else:
        text = replace_envs(text, "split", lambda inner: " ".join(clean_math(p) for p in split_top(inner, "\\\\")))
    number = tag if tag is not None else (None if (nonumber or starred) else counters.step("equation"))
    latex = clean_math(text, single_line=base == "multline")
    if not latex:
        return []
    return [MathLine(latex, number, label, env)]


KNOWN_MATH_COMMANDS = frozenset(
    """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu xi pi
    varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma
    Upsilon Phi Psi Omega digamma mathbf mathrm mathit mathsf mathtt mathcal mathbb mathfrak mathscr mathbbm
    boldsymbol bm text textrm textbf textit texttt textsf textnormal textup emph operatorname mathop mathbin
    mathrel mathord mathopen mathclose mathnormal mbox hbox rm bf it sf tt cal scriptstyle displaystyle textstyle
    scriptscriptstyle boldmath unboldmath frac dfrac tfrac cfrac genfrac sqrt binom dbinom tbinom over choose
    stackrel overset underset overline underline overbrace underbrace widehat widetilde hat tilde bar vec dot
    ddot dddot breve check acute grave mathring boxed substack sideset left right big Big bigg Bigg bigl bigr
    Bigl Bigr biggl biggr Biggl Biggr bigm Bigm middle lvert rvert lVert rVert langle rangle lceil rceil lfloor
    rfloor vert Vert backslash lbrace rbrace lbrack rbrack sum prod coprod int iint iiint oint bigcup bigcap
    bigoplus bigotimes bigodot bigvee bigwedge bigsqcup lim liminf limsup sup inf max min arg exp log ln lg sin
    cos tan sec csc cot sinh cosh tanh coth arcsin arccos arctan det dim ker deg gcd hom Pr mod bmod pmod leq le
    geq ge neq ne equiv approx sim simeq cong propto ll gg lll ggg subset subseteq supset supseteq subsetneq
    supsetneq in notin ni mid nmid parallel perp models vdash dashv prec succ preceq succeq asymp doteq coloneqq
    eqqcolon triangleq lesssim gtrsim leqslant geqslant approxeq backsim pm mp times div cdot ast star circ
    bullet oplus ominus otimes oslash odot cup cap sqcup sqcap vee wedge setminus smallsetminus wr diamond
    dagger ddagger amalg land lor neg lnot to gets rightarrow leftarrow Rightarrow Leftarrow leftrightarrow
    Leftrightarrow mapsto longrightarrow longleftarrow Longrightarrow Longleftarrow longleftrightarrow
    Longleftrightarrow longmapsto uparrow downarrow Uparrow Downarrow updownarrow nearrow searrow swarrow
    nwarrow implies impliedby iff hookrightarrow hookleftarrow rightharpoonup leftharpoonup xrightarrow
    xleftarrow rightleftharpoons leftrightarrows rightrightarrows infty partial nabla forall exists nexists
    emptyset varnothing ell hbar imath jmath aleph Re Im wp top bot angle triangle triangledown Box square
    blacksquare prime backprime dots ldots cdots vdots ddots dotsb dotsc dotsi dotsm dotso colon because
    therefore surd checkmark S P intercal quad qquad enspace thinspace medspace thickspace negthinspace
    negmedspace hspace vspace hfill kern mkern mskip phantom hphantom vphantom smash begin end nonumber notag
    tag label intertext shortintertext hline cline color textcolor colorbox limits nolimits displaylimits not
    cancel xcancel mathstrut strut relax rlap llap mathrlap mathllap mathclap eqref ref cite lgroup rgroup
    Vvert vartriangle varpropto complement mho eth beth gimel daleth circledast circledcirc boxplus boxminus
    boxtimes boxdot ltimes rtimes leftthreetimes rightthreetimes curlyvee curlywedge uplus sqsubset sqsupset
    sqsubseteq sqsupseteq vartriangleleft vartriangleright trianglelefteq trianglerighteq lhd rhd unlhd unrhd
    bowtie Join smile frown diagup diagdown centerdot dotplus divideontimes eqsim lessdot gtrdot lessgtr gtrless
    nleq ngeq nless ngtr nsim ncong nsubseteq nsupseteq nparallel nprec nsucc lneq gneq neg iota textsuperscript
    textsubscript overrightarrow overleftarrow underrightarrow underleftarrow widecheck mathsfit operatornamewithlimits
    varinjlim varprojlim injlim projlim arcsec arccot sgn trace tr diag rank softmax argmax argmin log
    text quad underbracket overbracket bracevert arrowvert Arrowvert lmoustache rmoustache ulcorner urcorner
    llcorner lrcorner varDelta varGamma varLambda varOmega varPhi varPi varPsi varSigma varTheta varUpsilon varXi
    hslash eqcirc circeq triangleright triangleleft blacktriangle blacktriangledown blacktriangleleft
    blacktriangleright bigstar lozenge blacklozenge sphericalangle measuredangle nexists varkappa upharpoonright
    mathtt boldsymbol pmb displaystyle cr matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix cases array
    aligned gathered alignedat split multlined dcases rcases tiny scriptsize footnotesize small normalsize large
    Large LARGE huge Huge mathversion ensuremath raisebox rotatebox scalebox resizebox makebox framebox fbox
    underset overset textsc textmd textsl textbackslash dag ddag lq rq mathds nicefrac bcancel hdots Tilde Hat
    Bar Vec Dot Ddot Check Breve Acute Grave break allowbreak nobreak addlinespace""".split()
)
_CONTROL_WORD = re.compile(r"\\([A-Za-z]+)")


def unknown_commands(latex: list[str]) -> list[str]:
    """Control words in ``latex`` that are neither standard LaTeX/amsmath math nor defined by the paper
    (the paper's own macros are expanded before this is asked): in order of first use."""
    seen: dict[str, None] = {}
    for text in latex:
        for name in _CONTROL_WORD.findall(text):
            if name not in KNOWN_MATH_COMMANDS:
                seen.setdefault("\\" + name, None)
    return list(seen)
