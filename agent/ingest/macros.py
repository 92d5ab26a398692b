"""Expansion of user-defined LaTeX macros, token by token, the way TeX reads a document.

Definitions (``\\newcommand``, ``\\renewcommand``, ``\\providecommand``, ``\\def`` with simple
delimited parameters, ``\\let``, ``\\DeclareMathOperator``, ``\\DeclarePairedDelimiter``,
``\\newenvironment``, ``\\newif``) are recorded as they are met and expanded where they are used.
``\\input`` and friends are followed through :class:`agent.ingest.sources.SourceResolver` at the
point where they appear, so macros defined in an ``\\input`` file apply after it. ``\\iffalse``
blocks and known-false ``\\newif`` switches are skipped.

Safety: each expansion records the chain of macros it came from; re-entering a macro of its own
chain is a cycle (warning, left unexpanded), a chain longer than ``limits.max_macro_depth`` stops
too, and the total number of tokens produced by expansions is capped, so no input can hang or
blow up the expander.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.types import IngestLimits

TOKEN_RE = re.compile(r"\\(?:[A-Za-z@]+|.|\n|$)|[ \t\r\n]+|[A-Za-z]+|\d+|.", re.S)

Body = list[str | int]  # tokens; an int is a parameter reference (#1 -> 1)

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
_DEF_COMMANDS = frozenset({"\\def", "\\gdef", "\\edef", "\\xdef"})
_NEWCOMMANDS = frozenset(
    {"\\newcommand", "\\renewcommand", "\\providecommand", "\\DeclareRobustCommand", "\\newcommand*"}
)
_DOCUMENT_COMMANDS = frozenset(
    {"\\NewDocumentCommand", "\\RenewDocumentCommand", "\\ProvideDocumentCommand", "\\DeclareDocumentCommand"}
)
_INPUT_COMMANDS = {
    "\\input": "input",
    "\\include": "include",
    "\\subfile": "subfile",
    "\\import": "import",
    "\\subimport": "subimport",
    "\\inputfrom": "import",
    "\\subinputfrom": "subimport",
    "\\includefrom": "import",
    "\\subincludefrom": "subimport",
    "\\@input": "input",
    "\\@@input": "input",
    "\\InputIfFileExists": "input",
}
_PREFIXES = frozenset({"\\long", "\\global", "\\protected", "\\outer"})
_NOT_CONDITIONALS = frozenset({"\\ifthenelse", "\\iflanguage", "\\ifcsname"})
_PUNCT_AFTER_XSPACE = set(".,;:!?)]}'/-~\"") | {"\\footnote", "\\\\", "\\xspace", "\\/", "\\ "}
_COUNTER_FORMAT = re.compile(
    r"\\the(?:equation|(?:sub)*section|(?:sub)?paragraph|figure|table|algorithm|footnote|page|chapter|part"
    r"|enum[iv]+|sub(?:figure|table)|mpfootnote|lstlisting|ALG@line|ALC@line|subequation)$"
)
_BEGIN_DOCUMENT = re.compile(r"\\begin\s*\{document\}")
_END_DOCUMENT = re.compile(r"\\end\s*\{document\}")


def tokenize(text: str) -> list[str]:
    """Split LaTeX into tokens: control sequences, space runs, letter runs, digit runs, characters."""
    return TOKEN_RE.findall(text)


@dataclass
class Macro:
    """A user definition. ``params`` is set for ``\\def`` (delimiter tokens and parameter numbers);
    ``nargs``/``default`` for ``\\newcommand``; ``alias`` for ``\\let`` to a built-in."""

    name: str
    body: Body
    nargs: int = 0
    default: list[str] | None = None
    params: Body | None = None
    alias: str | None = None
    paired: tuple[str, str] | None = None  # \DeclarePairedDelimiter: (left, right)
    end_body: Body | None = None  # environments: the \end part


def _parse_body(tokens: list[str]) -> Body:
    """Turn ``#1``/``##`` in a definition body into parameter numbers / a literal ``#``."""
    body: Body = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "#" and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if nxt == "#":
                body.append("#")
                i += 2
                continue
            if nxt[:1].isdigit():
                body.append(int(nxt[0]))
                if len(nxt) > 1:
                    body.append(nxt[1:])
                i += 2
                continue
        body.append(t)
        i += 1
    return body


class _Frame:
    __slots__ = ("tokens", "pos", "chain", "base", "path")

    def __init__(
        self, tokens: list[str], chain: tuple[str, ...], base: Path | None, path: Path | None = None
    ) -> None:
        self.tokens = tokens
        self.pos = 0
        self.chain = chain
        self.base = base
        self.path = path


class _Stop(Exception):
    """``\\end{document}`` was reached."""


class MacroExpander:
    """Expands a document's own macros and follows its ``\\input``'s.

    Args:
        limits: ``max_macro_depth`` bounds the nesting of expansions.
        warnings: list that receives one line per problem (cycles, refusals, missing files).
        resolve: ``(name, base, command) -> Path | None`` for ``\\input`` and friends; None
            disables file inclusion (the commands are then left in the text).
        read: ``Path -> str | None``, the comment-stripped text of a resolved file.
        max_tokens: cap on tokens produced by expansions; default: 200k + 10 per source token.
    """

    def __init__(
        self,
        *,
        limits: IngestLimits | None = None,
        warnings: list[str] | None = None,
        resolve: Callable[[str, Path, str], Path | None] | None = None,
        read: Callable[[Path], str | None] | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self.limits = limits or IngestLimits()
        self.warnings = warnings if warnings is not None else []
        self.resolve = resolve
        self.read = read
        self.max_tokens = max_tokens
        self.macros: dict[str, Macro] = {}
        self.environments: dict[str, Macro] = {}
        self.switches: dict[str, bool] = {}  # \newif\iffoo -> {"foo": False}
        self._setters: dict[str, tuple[str, bool]] = {}  # \footrue -> ("foo", True)
        self.theorems: dict[str, str] = {}  # \newtheorem{thm}{Theorem}
        self.theorem_counters: dict[str, tuple[str, str | None]] = {}  # thm -> (counter, within)
        self.stop_at_end_document = True
        self._stack: list[_Frame] = []
        self._out: list[str] = []
        self._conds: list[str] = []  # "known" (we resolved it) or "pass" (left in the text)
        self._produced = 0
        self._budget = 0
        self._expanding = True
        self._files = 0
        self._last_cw = False

    # ----------------------------------------------------------------------------------- api
    def expand(self, text: str, base: Path | None = None, path: Path | None = None) -> str:
        """Expand ``text`` (already comment-stripped); definitions persist across calls."""
        tokens = tokenize(text)
        self._budget = self.max_tokens or (200_000 + 10 * len(tokens))
        self._produced = 0
        self._expanding = True
        self._last_cw = False
        self._stack = [_Frame(tokens, (), base, path)]
        self._out = []
        try:
            self._run()
        except _Stop:
            pass
        out = "".join(self._out)
        self._stack, self._out = [], []
        return out

    def expand_fragment(self, text: str) -> str:
        """Expand a fragment (an equation, a caption) with the definitions collected so far."""
        stop = self.stop_at_end_document
        self.stop_at_end_document = False
        try:
            return self.expand(text)
        finally:
            self.stop_at_end_document = stop

    # ------------------------------------------------------------------------------ plumbing
    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def _emit(self, t: str) -> None:
        """Append ``t`` to the output, keeping a control word apart from letters that follow it."""
        if self._last_cw and (t[0].isalpha() or t[0] == "@"):
            self._out.append(" ")
        self._out.append(t)
        self._last_cw = t[0] == "\\" and len(t) > 1 and t[-1].isalpha()

    def _next(self) -> str | None:
        stack = self._stack
        while stack:
            frame = stack[-1]
            if frame.pos < len(frame.tokens):
                t = frame.tokens[frame.pos]
                frame.pos += 1
                return t
            stack.pop()
        return None

    def _peek(self, skip_space: bool = True) -> str | None:
        """The next token (spaces skipped and consumed when ``skip_space``), not consumed."""
        stack = self._stack
        while stack:
            frame = stack[-1]
            while frame.pos < len(frame.tokens):
                t = frame.tokens[frame.pos]
                if skip_space and t.isspace():
                    frame.pos += 1
                    continue
                return t
            stack.pop()
        return None

    def _current_chain(self) -> tuple[str, ...]:
        stack = self._stack
        for frame in reversed(stack):
            if frame.pos < len(frame.tokens):
                return frame.chain
        return ()

    def _current_base(self) -> Path | None:
        for frame in reversed(self._stack):
            if frame.base is not None:
                return frame.base
        return None

    def _push(self, tokens: list[str], chain: tuple[str, ...], base: Path | None = None) -> None:
        if tokens:
            self._stack.append(_Frame(tokens, chain, base if base is not None else self._current_base()))

    def _read_group_tokens(self) -> list[str] | None:
        """After a ``{`` has been consumed: tokens up to the matching ``}`` (which is consumed)."""
        depth = 1
        toks: list[str] = []
        while True:
            t = self._next()
            if t is None:
                return toks
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
                if depth == 0:
                    return toks
            toks.append(t)

    def _read_arg(self) -> tuple[list[str], tuple[str, ...]] | None:
        """One undelimited argument (a group's content or a single token) and its chain."""
        t = self._peek()
        if t is None or t == "}":
            return None
        frame = self._stack[-1]
        if len(t) > 1 and t[0] != "\\":  # TeX reads one character of a letter or digit run
            frame.tokens[frame.pos] = t[1:]
            return [t[0]], frame.chain
        frame.pos += 1
        if t == "{":
            chain = self._current_chain()
            return self._read_group_tokens() or [], chain
        return [t], frame.chain

    def _read_optional(self) -> list[str] | None:
        """A ``[...]`` argument if one follows (brackets inside braces do not close it)."""
        if self._peek() != "[":
            return None
        self._next()
        depth = 0
        toks: list[str] = []
        while True:
            t = self._next()
            if t is None or (t == "]" and depth == 0):
                return toks
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
            toks.append(t)

    def _read_name(self) -> str | None:
        """A macro name given as ``\\foo`` or ``{\\foo}``."""
        t = self._peek()
        if t is None:
            return None
        self._next()
        if t == "{":
            toks = [x for x in self._read_group_tokens() or [] if not x.isspace()]
            return toks[0] if len(toks) == 1 and toks[0].startswith("\\") else None
        return t if t.startswith("\\") else None

    def _read_text_arg(self) -> str:
        arg = self._read_arg()
        return "".join(arg[0]).strip() if arg else ""

    # ------------------------------------------------------------------------------ main loop
    def _run(self) -> None:
        macros = self.macros
        handlers = self._handlers()
        stack = self._stack
        append = self._out.append
        while stack:
            frame = stack[-1]
            tokens = frame.tokens
            pos = frame.pos
            n = len(tokens)
            if self._last_cw and pos < n:
                t = tokens[pos]
                if t[0].isalpha() or t[0] == "@":
                    append(" ")
                self._last_cw = False
            while pos < n:  # fast path: plain tokens go straight to the output
                t = tokens[pos]
                if t[0] == "\\" and len(t) > 1:
                    break
                append(t)
                pos += 1
            if pos >= n:
                frame.pos = pos
                stack.pop()
                continue
            frame.pos = pos + 1
            handler = handlers.get(t)
            if handler is not None:
                handler(t)
            elif t in macros and self._expanding:
                self._expand(macros[t])
            elif t.startswith("\\if") and t not in _NOT_CONDITIONALS:
                self._conditional(t)
            elif t in self._setters:
                name, value = self._setters[t]
                self.switches[name] = value
            else:
                self._emit(t)

    def _handlers(self) -> dict[str, Callable[[str], None]]:
        table: dict[str, Callable[[str], None]] = {}
        for name in _NEWCOMMANDS:
            table[name] = self._newcommand
        for name in _DEF_COMMANDS:
            table[name] = self._def
        for name in _DOCUMENT_COMMANDS:
            table[name] = self._document_command
        for name in _INPUT_COMMANDS:
            table[name] = self._input
        for name in _PREFIXES:
            table[name] = lambda t: None
        table.update(
            {
                "\\let": self._let,
                "\\DeclareMathOperator": self._math_operator,
                "\\DeclarePairedDelimiter": self._paired_delimiter,
                "\\newenvironment": self._newenvironment,
                "\\renewenvironment": self._newenvironment,
                "\\newtheorem": self._newtheorem,
                "\\newif": self._newif,
                "\\else": self._else,
                "\\fi": self._fi,
                "\\begin": self._begin,
                "\\end": self._end,
                "\\xspace": self._xspace,
                "\\includeonly": lambda t: self._read_arg(),
                "\\endinput": self._endinput,
            }
        )
        return table

    # ------------------------------------------------------------------------------ expansion
    def _expand(self, macro: Macro) -> None:
        chain = self._current_chain_of_top()
        name = macro.name
        if macro.alias is not None:
            self._emit(macro.alias)
            return
        if name in chain:
            self._warn(f"macro {name} expands to itself (cycle {' -> '.join(chain + (name,))}); left unexpanded")
            self._emit(name)
            return
        if len(chain) >= self.limits.max_macro_depth:
            self._warn(f"macro {name}: expansion deeper than {self.limits.max_macro_depth}; left unexpanded")
            self._emit(name)
            return
        if name[1:2].isalpha():
            self._skip_space_after_name()
        if macro.paired is not None:
            args = self._paired_args(macro)
        elif macro.params is not None:
            args = self._def_args(macro)
        else:
            args = self._newcommand_args(macro)
        if args is None:
            self._warn(f"macro {name}: arguments missing or not matching its definition; left unexpanded")
            self._emit(name)
            return
        self._push_body(macro.body, args, chain + (name,))

    def _current_chain_of_top(self) -> tuple[str, ...]:
        # the token that named the macro was just consumed from the top frame
        return self._stack[-1].chain if self._stack else ()

    def _skip_space_after_name(self) -> None:
        if not self._stack:
            return
        frame = self._stack[-1]
        if frame.pos < len(frame.tokens):
            t = frame.tokens[frame.pos]
            if t.isspace() and t.count("\n") < 2:
                frame.pos += 1

    def _push_body(
        self, body: Body, args: list[tuple[list[str], tuple[str, ...]]], chain: tuple[str, ...]
    ) -> None:
        """Push the body with its arguments substituted; argument tokens keep their own chain."""
        parts: list[tuple[list[str], tuple[str, ...]]] = []
        segment: list[str] = []
        for item in body:
            if isinstance(item, int):
                if segment:
                    parts.append((segment, chain))
                    segment = []
                if 1 <= item <= len(args) and args[item - 1][0]:
                    parts.append(args[item - 1])
            else:
                segment.append(item)
        if segment:
            parts.append((segment, chain))
        size = sum(len(p[0]) for p in parts)
        self._produced += size
        if self._produced > self._budget:
            self._warn(
                f"macro expansion produced more than {self._budget} tokens (a macro blow-up?); "
                "stopped expanding macros"
            )
            self._expanding = False
            self._emit(chain[-1] if chain else "")
            return
        base = self._current_base()
        for tokens, part_chain in reversed(parts):
            self._stack.append(_Frame(list(tokens), part_chain, base))

    def _newcommand_args(self, macro: Macro) -> list[tuple[list[str], tuple[str, ...]]] | None:
        args: list[tuple[list[str], tuple[str, ...]]] = []
        count = macro.nargs
        if macro.default is not None and count > 0:
            opt = self._read_optional()
            args.append((opt if opt is not None else list(macro.default), self._current_chain()))
            count -= 1
        for _ in range(count):
            arg = self._read_arg()
            if arg is None:
                return None
            args.append(arg)
        return args

    def _paired_args(self, macro: Macro) -> list[tuple[list[str], tuple[str, ...]]] | None:
        assert macro.paired is not None
        left, right = macro.paired
        star = self._peek() == "*"
        if star:
            self._next()
        size = self._read_optional()
        arg = self._read_arg()
        if arg is None:
            return None
        if star:
            left, right = "\\left" + left, "\\right" + right
        elif size:
            sz = "".join(size).strip()
            left, right = sz + "l" + left, sz + "r" + right
        return [([left], ()), arg, ([right], ())]

    def _def_args(self, macro: Macro) -> list[tuple[list[str], tuple[str, ...]]] | None:
        """Match a ``\\def`` parameter text: literal delimiters and ``#n`` (delimited or not)."""
        assert macro.params is not None
        params = macro.params
        args: list[tuple[list[str], tuple[str, ...]]] = []
        consumed: list[str] = []
        i = 0
        ok = True
        while i < len(params):
            item = params[i]
            if not isinstance(item, int):
                t = self._next()
                if t is not None:
                    consumed.append(t)
                if t != item and not (t is not None and t.isspace() and item.isspace()):
                    ok = False
                    break
                i += 1
                continue
            delim: list[str] = []
            j = i + 1
            while j < len(params) and not isinstance(params[j], int):
                delim.append(params[j])  # type: ignore[arg-type]
                j += 1
            if not delim:
                arg = self._read_arg()
                if arg is None:
                    ok = False
                    break
                consumed.extend(["{", *arg[0], "}"])
                args.append(arg)
                i += 1
                continue
            chain = self._current_chain()
            got = self._read_delimited(delim, consumed)
            if got is None:
                ok = False
                break
            args.append((got, chain))
            i = j
        if not ok:
            self._push(consumed, self._current_chain())
            return None
        return args

    def _read_delimited(self, delim: list[str], consumed: list[str]) -> list[str] | None:
        toks: list[str] = []
        depth = 0
        limit = 5000
        while len(toks) <= limit:
            t = self._next()
            if t is None:
                return None
            consumed.append(t)
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
            toks.append(t)
            if depth == 0 and len(toks) >= len(delim) and toks[-len(delim) :] == delim:
                arg = toks[: -len(delim)]
                if len(arg) >= 2 and arg[0] == "{" and arg[-1] == "}" and _one_group(arg):
                    arg = arg[1:-1]
                return arg
        return None

    # ---------------------------------------------------------------------------- definitions
    def _store(self, macro: Macro, command: str) -> None:
        name = macro.name
        if _COUNTER_FORMAT.match(name):  # left in the text, in place, for the numbering
            body = [t if isinstance(t, str) else f"#{t}" for t in macro.body]
            self._out.extend(["\\renewcommand", "{", name, "}", "{", *body, "}"])
            self._last_cw = False
            return
        if name in PROTECTED or name[1:2] == "@":
            return
        if command == "\\providecommand" and name in self.macros:
            return
        self.macros[name] = macro

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
        self._store(Macro(name, _parse_body(body[0]), nargs=min(nargs, 9), default=default), command)

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
        parsed = _parse_body(params)
        while parsed and isinstance(parsed[0], str) and parsed[0].isspace():
            parsed.pop(0)
        self._store(Macro(name, _parse_body(body), params=parsed or None), command)

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
        self._store(Macro(name, _parse_body(body[0]), nargs=len(kinds), default=default), command)

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
            self._store(Macro(name, copy.body, copy.nargs, copy.default, copy.params, copy.alias,
                              copy.paired, copy.end_body), command)
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
            name, _parse_body(begin[0]), nargs=min(nargs, 9), default=default, end_body=_parse_body(end[0])
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

    # ---------------------------------------------------------------------------- conditionals
    def _conditional(self, t: str) -> None:
        name = t[3:]
        if t == "\\iffalse" or (name in self.switches and not self.switches[name]):
            if self._skip_branch(stop_at_else=True) == "\\else":
                self._conds.append("known")
        elif t == "\\iftrue" or name in self.switches:
            self._conds.append("known")
        else:
            self._conds.append("pass")
            self._emit(t)

    def _skip_branch(self, stop_at_else: bool) -> str | None:
        """Skip tokens to the matching ``\\else`` (when asked) or ``\\fi``; return which ended it."""
        depth = 0
        while True:
            t = self._next()
            if t is None:
                return None
            if t.startswith("\\if") and t not in _NOT_CONDITIONALS and t[1:].isalpha():
                depth += 1
            elif t == "\\fi":
                if depth == 0:
                    return t
                depth -= 1
            elif t == "\\else" and depth == 0 and stop_at_else:
                return t

    def _else(self, t: str) -> None:
        if self._conds and self._conds[-1] == "known":
            self._conds.pop()
            self._skip_branch(stop_at_else=False)
        else:
            self._emit(t)

    def _fi(self, t: str) -> None:
        if self._conds and self._conds.pop() == "known":
            return
        self._emit(t)

    def _xspace(self, t: str) -> None:
        nxt = self._peek(skip_space=False)
        if nxt is None or nxt.isspace() or nxt in _PUNCT_AFTER_XSPACE:
            return
        self._emit(" ")

    # -------------------------------------------------------------------------- environments
    def _env_name(self) -> tuple[str | None, list[str]]:
        """Read ``{name}`` after ``\\begin``/``\\end``; returns (name, tokens consumed)."""
        if self._peek() != "{":
            return None, []
        self._next()
        toks = self._read_group_tokens() or []
        return "".join(toks).strip(), toks

    def _begin(self, t: str) -> None:
        name, toks = self._env_name()
        if name in ("input", "include"):  # \begin{input}{x} runs \input{x}: same rules apply
            self._input("\\" + name)
            return
        env = self.environments.get(name or "")
        if env is not None and self._expanding:
            chain = self._current_chain_of_top()
            key = "env:" + env.name
            if key in chain or len(chain) >= self.limits.max_macro_depth:
                self._warn(f"environment {env.name}: recursive or too deep; left unexpanded")
            else:
                args = self._newcommand_args(env)
                if args is not None:
                    self._push_body(env.body, args, chain + (key,))
                    return
        self._emit_env(t, name, toks)

    def _end(self, t: str) -> None:
        name, toks = self._env_name()
        if name == "document" and self.stop_at_end_document:
            self._emit_env(t, name, toks)
            raise _Stop
        env = self.environments.get(name or "")
        if env is not None and env.end_body and self._expanding:
            chain = self._current_chain_of_top()
            key = "env:" + env.name
            if key not in chain and len(chain) < self.limits.max_macro_depth:
                self._push_body(env.end_body, [], chain + (key,))
                return
        if env is not None and not env.end_body:
            return
        self._emit_env(t, name, toks)

    def _emit_env(self, t: str, name: str | None, toks: list[str]) -> None:
        self._emit(t)
        if name is not None:
            self._out.extend(["{", *toks, "}"])
            self._last_cw = False

    # ---------------------------------------------------------------------------------- files
    def _input(self, t: str) -> None:
        command = _INPUT_COMMANDS.get(t, t.lstrip("\\"))
        base = self._current_base()
        if command in ("import", "subimport"):
            directory = self._read_text_arg()
            name = self._read_text_arg()
            if base is not None:
                root = base if command == "subimport" else self._root_base()
                base = (root / directory) if root is not None else None
        elif t == "\\input" and self._peek() != "{":
            name = self._read_bare_filename()
        else:
            name = self._read_text_arg()
        if t == "\\InputIfFileExists":
            self._read_arg()
            self._read_arg()
        if self.resolve is None or self.read is None or base is None:
            self._emit(t)
            self._out.extend(["{", name, "}"])
            return
        path = self.resolve(name, base, command)
        if path is None:
            return
        open_files = [f.path for f in self._stack if f.path is not None]
        if path in open_files:
            self._warn(f"\\{command}{{{name}}}: the file includes itself (cycle); skipped")
            return
        if len(open_files) >= 32:
            self._warn(f"\\{command}{{{name}}}: files nested more than 32 deep; skipped")
            return
        text = self.read(path)
        if text is None:
            return
        if command == "subfile":
            begin = _BEGIN_DOCUMENT.search(text)
            if begin:
                end = _END_DOCUMENT.search(text, begin.end())
                text = text[begin.end() : end.start() if end else len(text)]
        self._files += 1
        new_base = path.parent if command in ("import", "subimport", "subfile") else base
        self._stack.append(_Frame(tokenize(text), self._current_chain(), new_base, path))

    def _endinput(self, t: str) -> None:
        """``\\endinput``: the rest of the current file is not read."""
        for frame in reversed(self._stack):
            if frame.path is not None or frame is self._stack[0]:
                frame.pos = len(frame.tokens)
                return

    def _root_base(self) -> Path | None:
        for frame in self._stack:
            if frame.base is not None:
                return frame.base
        return None

    def _read_bare_filename(self) -> str:
        """``\\input file`` without braces: the name runs to the next space or control sequence."""
        parts: list[str] = []
        self._peek()
        while True:
            t = self._peek(skip_space=False)
            if t is None or t.isspace() or t.startswith("\\") or t in "{}":
                break
            parts.append(t)
            self._next()
        return "".join(parts)


def _one_group(tokens: list[str]) -> bool:
    """True when ``tokens`` is exactly one balanced ``{...}`` group."""
    depth = 0
    for k, t in enumerate(tokens):
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
            if depth == 0 and k != len(tokens) - 1:
                return False
    return depth == 0


def expand_macros(text: str, *, limits: IngestLimits | None = None, warnings: list[str] | None = None) -> str:
    """Expand the macros ``text`` defines for itself (no file inclusion). Handy for fragments."""
    return MacroExpander(limits=limits, warnings=warnings).expand(text)
