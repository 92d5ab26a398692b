"""Small, linear-time scanners over LaTeX strings: balanced groups, environments, top-level splits.

Every function here walks the string with compiled regexes that jump from one special character
to the next, so none of them can backtrack catastrophically on hostile input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_BRACE = re.compile(r"\\.|[{}]", re.S)
_BRACKET = re.compile(r"\\.|[{}\[\]]", re.S)
_SPACE = re.compile(r"\s*")
# Top-level separators: `\\` (rows), `&` (cells); nested groups and environments are opaque.
_SPLIT = re.compile(r"\\begin\s*\{[^{}]*\}|\\end\s*\{[^{}]*\}|\\\\|\\tabularnewline\b|\\.|[{}&]", re.S)
_ROW_TAIL = re.compile(r"\s*(?:\*\s*)?(?:\[[^\[\]]{0,40}\])?")
_CONTROL = re.compile(r"\\(?:[A-Za-z@]+|.)", re.S)


def skip_ws(s: str, i: int) -> int:
    """Index of the first non-whitespace character at or after ``i``."""
    return _SPACE.match(s, i).end()


_MAP_FROM = 4096  # strings at least this long get one brace map instead of a scan per group
_OPTIONAL_MAX = 2000  # a [...] argument longer than this is not an optional argument
_map_cache: list[tuple[str, dict[int, int]]] = []  # the last few long strings and their brace maps


def _brace_map(s: str) -> dict[int, int]:
    """Every ``{`` of ``s`` -> its ``}``, in one pass. The maps of the last few long strings are
    kept, so a walk over one long body costs one pass however many groups it reads (and stays
    linear on hostile input)."""
    for cached, matches in _map_cache:
        if cached is s:
            return matches
    matches = {}
    stack: list[int] = []
    for m in _BRACE.finditer(s):
        c = m.group()
        if c == "{":
            stack.append(m.start())
        elif c == "}" and stack:
            matches[stack.pop()] = m.start()
    _map_cache.insert(0, (s, matches))
    del _map_cache[4:]
    return matches


def matching_brace(s: str, i: int) -> int:
    """Index of the ``}`` that closes the ``{`` at ``s[i]``; ``len(s)`` when it is never closed."""
    if len(s) >= _MAP_FROM:
        return _brace_map(s).get(i, len(s))
    depth = 0
    for m in _BRACE.finditer(s, i):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return m.start()
    return len(s)


def read_group(s: str, i: int) -> tuple[str, int] | None:
    """Read a ``{...}`` group starting at ``i`` (after optional spaces): (content, index after)."""
    j = skip_ws(s, i)
    if j >= len(s) or s[j] != "{":
        return None
    end = matching_brace(s, j)
    return s[j + 1 : end], min(end + 1, len(s))


def read_optional(s: str, i: int) -> tuple[str | None, int]:
    """Read a ``[...]`` argument at ``i`` (after spaces); brackets inside braces do not count."""
    j = skip_ws(s, i)
    if j >= len(s) or s[j] != "[":
        return None, i
    depth = 0
    for m in _BRACKET.finditer(s, j + 1, j + 1 + _OPTIONAL_MAX):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "]" and depth <= 0:
            return s[j + 1 : m.start()], m.end()
    return None, i


def read_arg(s: str, i: int) -> tuple[str, int] | None:
    """Read one TeX argument: a group, a control sequence, or a single character."""
    j = skip_ws(s, i)
    if j >= len(s):
        return None
    if s[j] == "{":
        return read_group(s, j)
    if s[j] == "}":
        return None
    if s[j] == "\\":
        m = _CONTROL.match(s, j)
        if m:
            return m.group(), m.end()
    return s[j], j + 1


def read_star(s: str, i: int) -> tuple[bool, int]:
    """Consume an optional ``*`` at ``i``."""
    j = skip_ws(s, i)
    if j < len(s) and s[j] == "*":
        return True, j + 1
    return False, i


@lru_cache(maxsize=256)
def _env_pattern(name: str) -> re.Pattern[str]:
    return re.compile(r"\\(begin|end)\s*\{" + re.escape(name) + r"\}")


def find_env_end(s: str, i: int, name: str) -> tuple[int, int]:
    """Find the ``\\end{name}`` that closes an environment whose body starts at ``i``.

    Returns (start of ``\\end{name}``, index after it); (len, len) when it is never closed.
    """
    depth = 1
    for m in _env_pattern(name).finditer(s, i):
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return m.start(), m.end()
    return len(s), len(s)


def split_top(s: str, sep: str) -> list[str]:
    """Split ``s`` on ``sep`` (``"\\\\"`` for rows, ``"&"`` for cells) outside groups and environments.

    For rows, the optional ``*`` and ``[2pt]`` after ``\\\\`` are dropped.
    """
    parts: list[str] = []
    depth = 0
    start = 0
    for m in _SPLIT.finditer(s):
        tok = m.group()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif tok.startswith("\\begin"):
            depth += 1
        elif tok.startswith("\\end"):
            depth -= 1
        elif depth == 0 and (
            (sep == "&" and tok == "&") or (sep == "\\\\" and (tok == "\\\\" or tok.startswith("\\tabularnewline")))
        ):
            parts.append(s[start : m.start()])
            start = m.end()
            if sep == "\\\\":
                start = _ROW_TAIL.match(s, start).end()
    parts.append(s[start:])
    return parts


def remove_command(s: str, name: str, nargs: int = 1, optional: bool = False) -> tuple[str, list[str]]:
    """Remove every ``\\name[opt]{arg}...`` from ``s``; returns (new string, first args found)."""
    pattern = re.compile(r"\\" + re.escape(name) + r"(?![A-Za-z@])\*?")
    out: list[str] = []
    found: list[str] = []
    pos = 0
    for m in pattern.finditer(s):
        if m.start() < pos:
            continue
        out.append(s[pos : m.start()])
        j = m.end()
        if optional:
            _, j = read_optional(s, j)
        first = None
        for _ in range(nargs):
            arg = read_arg(s, j)
            if arg is None:
                break
            if first is None:
                first = arg[0]
            j = arg[1]
        if first is not None:
            found.append(first)
        pos = j
    out.append(s[pos:])
    return "".join(out), found


def replace_envs(s: str, name: str, replace: Callable[[str], str]) -> str:
    """``s`` with each top-level ``\\begin{name}...\\end{name}`` replaced by ``replace(content)``.

    An environment that is never closed runs to the end of ``s``.
    """
    opening = re.compile(r"\\begin\s*\{" + re.escape(name) + r"\}")
    out: list[str] = []
    pos = 0
    while True:
        m = opening.search(s, pos)
        if m is None:
            break
        end_start, end = find_env_end(s, m.end(), name)
        out.append(s[pos : m.start()])
        out.append(replace(s[m.end() : end_start]))
        pos = end
    out.append(s[pos:])
    return "".join(out)


def first_env(s: str, name: str) -> str | None:
    """The content of the first ``\\begin{name}...\\end{name}`` in ``s``, or None."""
    m = re.search(r"\\begin\s*\{" + re.escape(name) + r"\}", s)
    if m is None:
        return None
    return s[m.end() : find_env_end(s, m.end(), name)[0]]
