"""The syntax tree of a LaTeX equation, as written (before names, indices and shapes are decided).

The parser (:mod:`agent.equations.parser`) builds these nodes; :mod:`agent.equations.resolve`
gives them meaning (a subscript is a name or an index, a superscript a power or a label, a
juxtaposition a product or a matrix product).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Node:
    """Base class of syntax nodes."""


@dataclass
class Num(Node):
    value: float
    text: str


@dataclass
class Sym(Node):
    """One symbol: a letter, a Greek letter, an upright word or a constant.

    ``kind`` is ``letter`` (italic single letter), ``greek``, ``word`` (upright multi-letter
    or a known function word) or ``const`` (``\\pi``, ``\\infty``).
    """

    name: str
    kind: str = "letter"
    bold: bool = False
    font: str | None = None  # "cal", "bb", ... (dropped from the name)
    accents: tuple[str, ...] = ()  # "hat", "bar", ... applied in order
    cmd: bool = False  # written as a command (\exp, \max)


@dataclass
class Script(Node):
    """A base with a subscript and/or superscript and primes: ``x_i^2``, ``W^{Q}_1``, ``P'``."""

    base: Node
    sub: Node | None = None
    sup: Node | None = None
    primes: int = 0


@dataclass
class Accent(Node):
    """An accent over something that is not a bare symbol: ``\\overline{\\mathrm{head}_i}``."""

    kind: str
    body: Node


@dataclass
class Group(Node):
    """A parenthesised or bracketed expression (``delim`` is the opening delimiter)."""

    body: Node
    delim: str = "("


@dataclass
class Seq(Node):
    """A delimited list: ``(pos, 2i)``, ``[Q_1 ; Q_2]``; ``sep`` is ``,`` or ``;``."""

    items: list[Node]
    sep: str = ","
    delim: str = "("


@dataclass
class BinOp(Node):
    """``op``: ``+ - * / cdot times odot otimes circ juxt``."""

    op: str
    left: Node
    right: Node


@dataclass
class Neg(Node):
    body: Node


@dataclass
class Frac(Node):
    num: Node
    den: Node


@dataclass
class Sqrt(Node):
    body: Node
    index: Node | None = None


@dataclass
class Apply(Node):
    """``head(args)``. ``maybe_product`` when the head is a single letter: ``t(a+b)`` may be a product."""

    head: Node
    args: list[Node]
    maybe_product: bool = False


@dataclass
class FuncOp(Node):
    """A function command applied without parentheses: ``\\log x``, ``\\max_j x_j``."""

    name: str
    arg: Node
    sub: Node | None = None
    sup: Node | None = None


@dataclass
class Abs(Node):
    body: Node


@dataclass
class Norm(Node):
    body: Node
    sub: Node | None = None
    sup: Node | None = None


@dataclass
class BigOp(Node):
    """``\\sum`` or ``\\prod`` with optional limits."""

    op: str
    body: Node
    sub: Node | None = None
    sup: Node | None = None


@dataclass
class Inner(Node):
    """``\\langle a, b \\rangle``."""

    left: Node
    right: Node


@dataclass
class Rel(Node):
    """A relation inside a script: ``i=1`` under a sum, ``v \\in V``."""

    op: str
    left: Node
    right: Node


@dataclass
class Dots(Node):
    """``\\cdots``, ``\\ldots``, ``...``."""


@dataclass
class Statement:
    """One equation of a system: ``lhs = rhs`` (``lhs`` None for a bare expression)."""

    lhs: Node | None
    rhs: Node
    text: str = ""
    notes: list[str] = field(default_factory=list)
