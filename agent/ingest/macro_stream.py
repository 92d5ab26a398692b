"""The token stream under the macro expander: tokens, frames (a file, or one expansion's body),
and the primitives that read arguments across frame boundaries the way TeX reads them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TOKEN_RE = re.compile(r"\\(?:[A-Za-z@]+|.|\n|$)|[ \t\r\n]+|[A-Za-z]+|\d+|.", re.S)

Body = list[str | int]  # tokens; an int is a parameter reference (#1 -> 1)


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


def parse_body(tokens: list[str]) -> Body:
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


class Frame:
    """Tokens being read: a file (``path`` set) or one expansion. ``chain`` lists the macros whose
    expansion produced them (cycle and depth checks); ``base`` is where ``\\input`` resolves."""

    __slots__ = ("tokens", "pos", "chain", "base", "path")

    def __init__(self, tokens: list[str], chain: tuple[str, ...], base: Path | None, path: Path | None = None) -> None:
        self.tokens = tokens
        self.pos = 0
        self.chain = chain
        self.base = base
        self.path = path


def one_group(tokens: list[str]) -> bool:
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


class TokenStream:
    """A stack of token frames read as one stream, with an output list of tokens."""

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings = warnings if warnings is not None else []
        self._stack: list[Frame] = []
        self._out: list[str] = []
        self._last_cw = False

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
            self._stack.append(Frame(tokens, chain, base if base is not None else self._current_base()))

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
