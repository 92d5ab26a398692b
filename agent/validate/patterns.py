"""einops-style shape patterns of manifest inputs and outputs ("b n d", "b n (h d)", "b 3 h w").

A pattern is a space-separated list of axes. An axis is a name (a size drawn per run, or fixed by
``dims``), an integer literal, or a parenthesised group whose size is the product of its members.
The empty pattern is a scalar. Parsing is pure Python: the parent (manifest checks) and the
sandboxed worker (drawing sizes, matching outputs) share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOKEN = re.compile(r"\(|\)|[^\s()]+")

Atom = str | int


@dataclass(frozen=True)
class Axis:
    """One axis of a pattern: a tuple of atoms whose sizes multiply (one atom unless grouped)."""

    atoms: tuple[Atom, ...]

    @property
    def name(self) -> str | None:
        """The axis name when the axis is a single named atom, else None."""
        return self.atoms[0] if len(self.atoms) == 1 and isinstance(self.atoms[0], str) else None

    def size(self, sizes: dict[str, int]) -> int:
        total = 1
        for atom in self.atoms:
            total *= atom if isinstance(atom, int) else sizes[atom]
        return total

    def text(self) -> str:
        inner = " ".join(str(a) for a in self.atoms)
        return inner if len(self.atoms) == 1 else f"({inner})"


class PatternError(ValueError):
    """A pattern that does not parse; the message says why."""


def parse_pattern(pattern: str) -> list[Axis]:
    """Parse ``pattern`` into axes; raise :class:`PatternError` when it is malformed."""
    if not isinstance(pattern, str):
        raise PatternError(f"expected a string such as 'b n d', got {type(pattern).__name__}")
    axes: list[Axis] = []
    group: list[Atom] | None = None
    for token in _TOKEN.findall(pattern):
        if token == "(":
            if group is not None:
                raise PatternError(f"nested parentheses in {pattern!r}")
            group = []
        elif token == ")":
            if not group:
                raise PatternError(f"empty or unbalanced parentheses in {pattern!r}")
            axes.append(Axis(tuple(group)))
            group = None
        else:
            atom = _atom(token, pattern)
            if group is None:
                axes.append(Axis((atom,)))
            else:
                group.append(atom)
    if group is not None:
        raise PatternError(f"unclosed parenthesis in {pattern!r}")
    return axes


def _atom(token: str, pattern: str) -> Atom:
    if token == "...":
        raise PatternError(f"'...' in {pattern!r}: name every axis (e.g. 'b n d')")
    if token.isdigit():
        value = int(token)
        if value < 1:
            raise PatternError(f"axis size {token} in {pattern!r} must be positive")
        return value
    if not _NAME.match(token):
        raise PatternError(f"{token!r} in {pattern!r} is not an axis name or a size")
    return token


def pattern_names(pattern: str) -> list[str]:
    """Every axis name used in ``pattern``, in order of first appearance."""
    names: list[str] = []
    for axis in parse_pattern(pattern):
        for atom in axis.atoms:
            if isinstance(atom, str) and atom not in names:
                names.append(atom)
    return names


def expected_shape(pattern: str, sizes: dict[str, int]) -> tuple[int, ...]:
    """The concrete shape of ``pattern`` under ``sizes`` (every name must be bound)."""
    return tuple(axis.size(sizes) for axis in parse_pattern(pattern))


def axis_index(pattern: str, name: str) -> int | None:
    """Position of the single-named axis ``name`` in ``pattern``, or None."""
    for i, axis in enumerate(parse_pattern(pattern)):
        if axis.name == name:
            return i
    return None
