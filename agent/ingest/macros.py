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

from collections.abc import Callable
from pathlib import Path

from agent.ingest.macro_defs import PROTECTED, PROTECTED_ENVS
from agent.ingest.macro_inputs import INPUT_COMMANDS, InputFollower
from agent.ingest.macro_stream import Body, Frame, Macro, one_group, tokenize
from agent.types import IngestLimits

__all__ = ["PROTECTED", "PROTECTED_ENVS", "Body", "Macro", "MacroExpander", "expand_macros", "tokenize"]

_DEF_COMMANDS = frozenset({"\\def", "\\gdef", "\\edef", "\\xdef"})
_NEWCOMMANDS = frozenset(
    {"\\newcommand", "\\renewcommand", "\\providecommand", "\\DeclareRobustCommand", "\\newcommand*"}
)
_DOCUMENT_COMMANDS = frozenset(
    {"\\NewDocumentCommand", "\\RenewDocumentCommand", "\\ProvideDocumentCommand", "\\DeclareDocumentCommand"}
)
_PREFIXES = frozenset({"\\long", "\\global", "\\protected", "\\outer"})
_NOT_CONDITIONALS = frozenset({"\\ifthenelse", "\\iflanguage", "\\ifcsname"})
_PUNCT_AFTER_XSPACE = set(".,;:!?)]}'/-~\"") | {"\\footnote", "\\\\", "\\xspace", "\\/", "\\ "}


class _Stop(Exception):
    """``\\end{document}`` was reached."""


class MacroExpander(InputFollower):
    """Expands a document's own macros and follows its ``\\input``'s.

    Args:
        limits: ``max_macro_depth`` bounds the nesting of expansions.
        warnings: list that receives one line per problem (cycles, refusals, missing files).
        resolve: ``(name, base, command) -> Path | None`` for ``\\input`` and friends; None
            disables file inclusion (the commands are then left in the text).
        read: ``Path -> str | None``, the comment-stripped text of a resolved file.
        max_tokens: cap on tokens produced by expansions; default: 100k + 10 per source token.
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
        super().__init__(warnings)
        self.limits = limits or IngestLimits()
        self.resolve = resolve
        self.read = read
        self.max_tokens = max_tokens
        self.stop_at_end_document = True
        self._conds: list[str] = []  # "known" (we resolved it) or "pass" (left in the text)
        self._produced = 0
        self._budget = 0
        self._expanding = True
        self._files = 0

    # ----------------------------------------------------------------------------------- api
    def expand(self, text: str, base: Path | None = None, path: Path | None = None) -> str:
        """Expand ``text`` (already comment-stripped); definitions persist across calls."""
        tokens = tokenize(text)
        self._budget = self.max_tokens or (100_000 + 10 * len(tokens))
        self._produced = 0
        self._expanding = True
        self._last_cw = False
        self._stack = [Frame(tokens, (), base, path)]
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
        for name in INPUT_COMMANDS:
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
                "\\usepackage": self._usepackage,
                "\\RequirePackage": self._usepackage,
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

    def _push_body(self, body: Body, args: list[tuple[list[str], tuple[str, ...]]], chain: tuple[str, ...]) -> None:
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
                f"macro expansion produced more than {self._budget} tokens (a macro blow-up?); stopped expanding macros"
            )
            self._expanding = False
            self._emit(chain[-1] if chain else "")
            return
        base = self._current_base()
        for tokens, part_chain in reversed(parts):
            self._stack.append(Frame(list(tokens), part_chain, base))

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
        if not ok:  # give the tokens back; they count against the budget, so retries cannot loop long
            self._produced += len(consumed)
            if self._produced > self._budget:
                self._expanding = False
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
                if len(arg) >= 2 and arg[0] == "{" and arg[-1] == "}" and one_group(arg):
                    arg = arg[1:-1]
                return arg
        return None

    # ---------------------------------------------------------------------------- definitions

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


def expand_macros(text: str, *, limits: IngestLimits | None = None, warnings: list[str] | None = None) -> str:
    """Expand the macros ``text`` defines for itself (no file inclusion). Handy for fragments."""
    return MacroExpander(limits=limits, warnings=warnings).expand(text)
