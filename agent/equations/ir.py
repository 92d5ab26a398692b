"""The meaning of an equation: typed expression nodes over tensors with named axes.

A value's type :class:`Ty` has three parts, laid out in this order in memory:
``batch`` (leading dims: ``...`` or named letters from a hint), ``idx`` (axes named by index
letters such as ``i`` in ``a_i``, element-wise along them) and ``pos`` (the dims of linear
algebra: none for a scalar, one for a vector, two for a matrix). Sizes are :class:`Dim` nodes,
unified as the equation is typed (``QK^T`` makes Q's and K's last dims one dim).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ELLIPSIS = "..."


class Dim:
    """A dimension size, unified by union-find. ``expr`` relates it to others: ``("mul", [2, d])``
    (a dim twice ``d``, e.g. the input of a split) or ``("sum", [d1, d2])`` (a concatenation)."""

    _count = 0

    def __init__(self, name: str | None = None, size: int | None = None) -> None:
        Dim._count += 1
        self.id = Dim._count
        self.parent: Dim = self
        self.name = name
        self.size = size
        self.expr: tuple[str, list[Any]] | None = None
        self.hard = False  # named by a shape hint: a clash with another hint name is an error

    def find(self) -> Dim:
        root = self
        while root.parent is not root:
            root = root.parent
        node = self
        while node.parent is not root:
            node.parent, node = root, node.parent
        return root

    def __repr__(self) -> str:
        root = self.find()
        return f"Dim({root.name or root.id})"


def same(a: Dim, b: Dim) -> bool:
    return a.find() is b.find()


Batch = tuple  # () or (ELLIPSIS,) or (Dim, ...)


@dataclass
class Ty:
    batch: Batch = ()
    idx: tuple[str, ...] = ()
    pos: tuple[Dim, ...] = ()
    row: bool = False  # a transposed vector

    @property
    def rank(self) -> int:
        return len(self.pos)

    def is_scalar(self) -> bool:
        return not self.batch and not self.idx and not self.pos


# ---------------------------------------------------------------------------------------------
# Expression nodes. ``ty`` is filled in by agent.equations.shapes.
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Expr:
    ty: Ty | None = field(default=None, init=False, repr=False)


@dataclass(eq=False)
class Input(Expr):
    """An occurrence of an input symbol; ``letters`` bind its leading index slots."""

    name: str
    letters: tuple[str, ...] = ()


@dataclass(eq=False)
class Local(Expr):
    """An occurrence of an intermediate defined by an earlier statement."""

    name: str
    letters: tuple[str, ...] = ()


@dataclass(eq=False)
class Const(Expr):
    value: float
    text: str = ""


@dataclass(eq=False)
class Size(Expr):
    """A symbol that is the size of a dimension (``d_k`` from a shape hint, ``n`` bounding a sum)."""

    name: str


@dataclass(eq=False)
class Binary(Expr):
    """Element-wise ``+ - * / ^`` with broadcasting; ``style`` records how ``*`` was written."""

    op: str
    left: Expr
    right: Expr
    style: str = ""


@dataclass(eq=False)
class Neg(Expr):
    body: Expr


@dataclass(eq=False)
class Product(Expr):
    """A written product (juxtaposition, ``\\cdot``, ``\\times``) of two non-scalar operands.

    Typing sets ``kind``: ``matmul``, ``dot`` (vector . vector) or ``outer``.
    """

    left: Expr
    right: Expr
    style: str = "juxt"
    kind: str = ""


@dataclass(eq=False)
class Transpose(Expr):
    body: Expr


@dataclass(eq=False)
class Call(Expr):
    """A built-in function (:mod:`agent.equations.functions`); ``axis`` for softmax-like ones."""

    fn: str
    args: list[Expr]
    axis: str | None = None  # index letter, or None for the last positional axis
    param: Expr | None = None  # swish beta


@dataclass(eq=False)
class Reduce(Expr):
    """``\\sum_i``, ``\\prod_i``, ``\\max_i``, ``\\min_i`` over index letter ``letter``."""

    op: str
    letter: str
    body: Expr
    mean: bool = False  # 1/n sum written as a mean


@dataclass(eq=False)
class Norm(Expr):
    body: Expr
    p: str = "2"  # "1", "2", "inf", "F"


@dataclass(eq=False)
class Concat(Expr):
    parts: list[Expr]


@dataclass(eq=False)
class Bind(Expr):
    """``f(x)_i``: the leading positional axes of ``body`` become index axes ``letters``."""

    body: Expr
    letters: tuple[str, ...]


@dataclass(eq=False)
class CallEq(Expr):
    """A call of an earlier compiled equation from the context."""

    eq: Any  # agent.types.CompiledEquation
    args: list[Expr]
    param_tys: list[Ty] = field(default_factory=list)
    out_ty: Ty | None = None


@dataclass
class Assign:
    """``targets = value``; two targets split the last axis in halves (``[Q_1; Q_2] = XW^Q``)."""

    targets: list[str]
    letters: tuple[str, ...]
    value: Expr
    latex: str = ""
    ty: Ty | None = None  # type of each target


@dataclass
class SymbolInfo:
    """What is known about an input symbol before typing."""

    name: str
    latex: str = ""
    bold: bool = False  # written bold without indices: the whole symbol is a vector/matrix
    bold_element: bool = False  # written bold with indices (\mathbf{h}_t): each element is a vector
    upper: bool = False
    greek: bool = False
    slots: int = 0  # index slots (``a_i`` has one)
    rank: int | None = None  # positional rank decided by hint or usage
    batch: bool = False  # leading ``...``
    hint: str | None = None
    order: int = 0
    function_arg: int | None = None  # position among the left-hand side's function arguments
    dims: list[Dim] = field(default_factory=list)  # slots then pos, after typing
    batch_dims: Batch = ()


@dataclass
class Program:
    """A compiled equation before lowering: statements, input symbols, sizes and outputs."""

    name: str
    statements: list[Assign]
    symbols: dict[str, SymbolInfo]
    inputs: list[str]
    outputs: list[str]
    sizes: dict[str, Dim] = field(default_factory=dict)  # size symbol -> Dim
    index_dims: dict[str, Dim] = field(default_factory=dict)
    locals: dict[str, Ty] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    latex: str = ""
