"""Recording a document's definitions: ``\\newcommand`` and relatives, ``\\def`` with its
parameter text, ``\\let``, ``\\DeclareMathOperator``, ``\\DeclarePairedDelimiter``,
``\\newenvironment``, ``\\newtheorem`` and ``\\newif``. Bodies are stored unexpanded."""

from __future__ import annotations

import re

from agent.ingest.macro_stream import Macro, TokenStream, parse_body, tokenize

# Commands whose meaning the rest of ingest relies on: a paper's (re)definition is ignored.
PROTECTED = frozenset(
    "\\" + n
    for n in (
        "section subsection subsubsection paragraph subparagraph chapter part appendix begin end item "
        "label ref eqref autoref cref Cref pageref cite citep citet caption captionof footnote "
        "input include subfile import subimport title author maketitle thanks and AND And left right "
        "partial tag nonumber notag newcommand renewcommand providecommand def gdef edef xdef let "
        "DeclareMathOperator newenvironment renewenvironment url href abstract emph textbf textit "
        "multicolumn multirow hline toprule midrule bottomrule State STATE If EndIf For EndFor"
    ).split()
)
PROTECTED_ENVS = frozenset(
    "document abstract equation equation* align align* gather gather* multline multline* eqnarray "
    "eqnarray* flalign flalign* alignat alignat* split subequations table table* figure figure* "
    "tabular tabular* algorithm algorithm* algorithmic itemize enumerate description thebibliography".split()
)
_COUNTER_FORMAT = re.compile(
    r"\\the(?:equation|(?:sub)*section|(?:sub)?paragraph|figure|table|algorithm|footnote|page|chapter|part"
    r"|enum[iv]+|sub(?:figure|table)|mpfootnote|lstlisting|ALG@line|ALC@line|subequation)$"
)


class MacroDefinitions(TokenStream):
    """The definitions read so far, and the handlers that read new ones from the stream."""

    def __init__(self, warnings: list[str] | None = None) -> None:
        super().__init__(warnings)
        self.macros: dict[str, Macro] = {}
        self.environments: dict[str, Macro] = {}
        self.switches: dict[str, bool] = {}  # \newif\iffoo -> {"foo": False}
        self._setters: dict[str, tuple[str, bool]] = {}  # \footrue -> ("foo", True)
        self.theorems: dict[str, str] = {}  # \newtheorem{thm}{Theorem}
        self.theorem_counters: dict[str, tuple[str, str | None]] = {}  # thm -> (counter, within)

    def _store(self, macro: Macro, command: str) -> None:
        name = macro.name
        if _COUNTER_FORMAT.match(name):  # left in the text, in place, for the numbering
            body = [t if isinstance(t, str) else f"#{t}" for t in macro.body]
            self._out.extend(["\\renewcommand", "{", name, "}", "{", *body, "}"])
            self._last_cw = False
            return
        if name in PROTECTED or name[1:2] == "@":
            return
        if self._in_style_file() and (command == "\\renewcommand" or name in macro.body):
            return  # a style file restyling LaTeX's own commands (\\normalsize ...), not the paper's notation
        if command == "\\providecommand" and name in self.macros:
            return
        self.macros[name] = macro

    def _in_style_file(self) -> bool:
        """True while the definitions come from a local ``.sty`` (read by ``\\usepackage``)."""
        for frame in reversed(self._stack):
            if frame.path is not None:
                return frame.path.suffix == ".sty"
        return False

    def _newcommand(self, command: str) -> None:
        if self._peek() == "*":
            self._next()
        name = self._read_name()
        nargs_tokens = self._read_optional()
        default = self._read_optional()
        body = self._read_arg()
        if name is None or body is None:
            self._warn(f"{command}: could not read the definition; ignored")
            return
        try:
            nargs = int("".join(nargs_tokens).strip()) if nargs_tokens else 0
        except ValueError:
            nargs = 0
        self._store(Macro(name, parse_body(body[0]), nargs=min(nargs, 9), default=default), command)

    def _def(self, command: str) -> None:
        self._peek()
        name = self._next()
        if name is None or not name.startswith("\\"):
            return
        params: list[str] = []
        while True:
            t = self._next()
            if t is None:
                return
            if t == "{":
                break
            params.append(t)
            if len(params) > 50:
                return
        body = self._read_group_tokens() or []
        parsed = parse_body(params)
        while parsed and isinstance(parsed[0], str) and parsed[0].isspace():
            parsed.pop(0)
        self._store(Macro(name, parse_body(body), params=parsed or None), command)

    def _document_command(self, command: str) -> None:
        name = self._read_name()
        spec = self._read_arg()
        body = self._read_arg()
        if name is None or spec is None or body is None:
            return
        letters = [t for t in "".join(spec[0]).split() if t]
        kinds = re.findall(r"[mosO]\{[^{}]*\}|[mosO]", "".join(letters))
        default: list[str] | None = None
        if kinds and kinds[0][0] in "oO":
            default = tokenize(kinds[0][2:-1]) if kinds[0][0] == "O" else []
        if any(k[0] == "s" for k in kinds):
            self._warn(f"{command}{{{name}}}: starred argument spec not supported; treated as mandatory")
        self._store(Macro(name, parse_body(body[0]), nargs=len(kinds), default=default), command)

    def _let(self, command: str) -> None:
        name = self._next()
        if name is None or not name.startswith("\\"):
            return
        target = self._peek()
        if target == "=":
            self._next()
            target = self._peek()
        target = self._next()
        if target is None:
            return
        if target in self.macros:
            copy = self.macros[target]
            self._store(
                Macro(name, copy.body, copy.nargs, copy.default, copy.params, copy.alias, copy.paired, copy.end_body),
                command,
            )
        else:
            self._store(Macro(name, [], alias=target), command)

    def _math_operator(self, command: str) -> None:
        star = self._peek() == "*"
        if star:
            self._next()
        name = self._read_name()
        text = self._read_arg()
        if name is None or text is None:
            return
        op = "\\operatorname*" if star else "\\operatorname"
        self._store(Macro(name, [op, "{", *text[0], "}"]), command)

    def _paired_delimiter(self, command: str) -> None:
        name = self._read_name()
        left = self._read_arg()
        right = self._read_arg()
        if name is None or left is None or right is None:
            return
        self._store(Macro(name, [1, 2, 3], nargs=1, paired=("".join(left[0]), "".join(right[0]))), command)

    def _newenvironment(self, command: str) -> None:
        if self._peek() == "*":
            self._next()
        name_arg = self._read_arg()
        nargs_tokens = self._read_optional()
        default = self._read_optional()
        begin = self._read_arg()
        end = self._read_arg()
        if name_arg is None or begin is None or end is None:
            return
        name = "".join(name_arg[0]).strip()
        if name in PROTECTED_ENVS:
            return
        try:
            nargs = int("".join(nargs_tokens).strip()) if nargs_tokens else 0
        except ValueError:
            nargs = 0
        self.environments[name] = Macro(
            name, parse_body(begin[0]), nargs=min(nargs, 9), default=default, end_body=parse_body(end[0])
        )

    def _newtheorem(self, command: str) -> None:
        starred = self._peek() == "*"
        if starred:
            self._next()
        name = self._read_text_arg()
        shared = self._read_optional()
        title = self._read_text_arg()
        within = self._read_optional()
        if not name:
            return
        self.theorems[name] = title
        if not starred:
            counter = "".join(shared).strip() if shared else name
            parent = "".join(within).strip() if within else None
            self.theorem_counters[name] = (counter, parent)

    def _newif(self, command: str) -> None:
        t = self._next()
        if t and t.startswith("\\if") and len(t) > 3:
            name = t[3:]
            self.switches[name] = False
            self._setters["\\" + name + "true"] = (name, True)
            self._setters["\\" + name + "false"] = (name, False)
