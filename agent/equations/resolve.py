"""Give parsed statements their meaning: names, indices, functions, intermediates.

Decisions made here (DESIGN.md, "Equations API"): an index bound by a sum or product, or
standing on both sides of the equation, indexes the tensor instead of naming it; a subscript
that is an expression (``z_{t+1}``) names; a capital-letter or text superscript labels, a number
or expression superscript is a power, ``^T`` transposes; a function on the left-hand side names
the function and its first arguments; a symbol defined by an earlier statement is an
intermediate; a name defined by an equation in the context is a call of that equation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from agent.equations import ast
from agent.equations.names import base_name, join, python_name, script_text
from agent.errors import UnsupportedNotation


@dataclass
class Bound:
    """The range of a sum index: its size symbol or number, when the limits say."""

    size_name: str | None = None
    size: int | None = None


@dataclass
class Analysis:
    index_letters: set[str] = field(default_factory=set)
    bounds: dict[str, Bound] = field(default_factory=dict)
    label_letters: set[str] = field(default_factory=set)


def walk(node: ast.Node | None, in_sub: bool = False) -> Iterator[tuple[ast.Node, bool]]:
    """Every node below ``node`` with whether it sits inside a subscript."""
    if node is None:
        return
    yield node, in_sub
    if isinstance(node, ast.Script):
        yield from walk(node.base, in_sub)
        yield from walk(node.sub, True)
        yield from walk(node.sup, in_sub)
    elif isinstance(node, ast.BigOp):
        yield from walk(node.body, in_sub)
        yield from walk(node.sup, in_sub)
    elif isinstance(node, ast.FuncOp):
        yield from walk(node.arg, in_sub)
    else:
        for value in vars(node).values():
            if isinstance(value, ast.Node):
                yield from walk(value, in_sub)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.Node):
                        yield from walk(item, in_sub)


def _letter(node: ast.Node | None) -> str | None:
    """The name of a plain one-letter (or Greek) symbol, else None."""
    if isinstance(node, ast.Sym) and node.kind in ("letter", "greek") and not node.accents:
        return node.name if (len(node.name) == 1 or node.kind == "greek") else None
    if isinstance(node, ast.Sym) and node.kind == "word" and len(node.name) == 1:
        return node.name
    return None


def index_candidates(sub: ast.Node | None) -> list[str] | None:
    """Letters of a subscript made only of single letters (``i``, ``ij``, ``m,n``), else None."""
    if sub is None:
        return None
    if (letter := _letter(sub)) is not None:
        return [letter]
    if isinstance(sub, ast.BinOp) and sub.op == "juxt":
        left, right = index_candidates(sub.left), index_candidates(sub.right)
        return None if left is None or right is None else left + right
    if isinstance(sub, ast.Seq) and sub.items:
        out: list[str] = []
        for item in sub.items:
            got = index_candidates(item)
            if got is None:
                return None
            out += got
        return out
    return None


def _sum_letters(sub: ast.Node | None, sup: ast.Node | None) -> list[tuple[str, Bound]]:
    """Index letters bound by a sum's limits, with their range."""
    if sub is None:
        raise UnsupportedNotation("unsupported LaTeX construct: a sum without an index")
    if isinstance(sub, ast.Rel):
        if sub.op != "=":
            raise UnsupportedNotation(f"unsupported LaTeX construct: a sum over a set ('{sub.op}' in the limits)")
        letter = _letter(sub.left)
        if letter is None:
            raise UnsupportedNotation("unsupported LaTeX construct: sum index is not a single letter")
        return [(letter, _range(letter, sub.right, sup))]
    letters = index_candidates(sub)
    if letters is None:
        raise UnsupportedNotation("unsupported LaTeX construct: sum index is not a single letter")
    if sup is not None:
        if len(letters) != 1:
            raise UnsupportedNotation("unsupported LaTeX construct: one upper limit for several indices")
        return [(letters[0], _range(letters[0], None, sup))]
    return [(letter, Bound()) for letter in letters]


def _range(letter: str, lower: ast.Node | None, upper: ast.Node | None) -> Bound:
    low = lower.value if isinstance(lower, ast.Num) else (None if lower is None else "expr")
    if upper is None:
        if low in (None, 0, 1):
            return Bound()
        raise UnsupportedNotation(
            f"unsupported LaTeX construct: sum over {letter} from a lower limit other than 0 or 1")
    if low in (1, None):
        if isinstance(upper, ast.Num) and upper.value == int(upper.value):
            return Bound(size=int(upper.value))
        name = _size_name(upper)
        if name is not None:
            return Bound(size_name=name)
    if low == 0 and isinstance(upper, ast.BinOp) and upper.op == "-" and isinstance(upper.right, ast.Num) \
            and upper.right.value == 1:
        name = _size_name(upper.left)
        if name is not None:
            return Bound(size_name=name)
    raise UnsupportedNotation(f"unsupported LaTeX construct: sum over {letter} over a partial range")


def _size_name(node: ast.Node) -> str | None:
    if isinstance(node, ast.Sym) and node.kind in ("letter", "greek", "word"):
        return python_name(base_name(node))
    if isinstance(node, ast.Script) and isinstance(node.base, ast.Sym) and node.sup is None:
        text = script_text(node.sub)
        return None if text is None else python_name(join(base_name(node.base), text))
    return None


def analyse(statements: list[ast.Statement]) -> Analysis:
    """Find the index letters of a system of statements (DESIGN rule) and the labelling superscripts."""
    result = Analysis()
    value_letters: set[str] = set()  # letters used as plain values (outside subscripts)
    sub_letters: set[str] = set()  # letters used as whole subscript items
    arith_sub_letters: set[str] = set()  # letters inside arithmetic subscripts (t+1)
    lhs_letters: list[str] = []
    sup_bases: dict[str, set[str]] = {}
    bound: set[str] = set()
    sup_symbols = {id(n.sup) for stmt in statements for side in (stmt.lhs, stmt.rhs)
                   for n, _ in walk(side) if isinstance(n, ast.Script | ast.BigOp) and isinstance(n.sup, ast.Sym)}
    for stmt in statements:
        for side_is_lhs, side in ((True, stmt.lhs), (False, stmt.rhs)):
            if side is None:
                continue
            if side_is_lhs:
                target = side.base if isinstance(side, ast.Script) else side
                if isinstance(side, ast.Script) and isinstance(target, (ast.Sym, ast.Apply)):
                    lhs_letters += index_candidates(side.sub) or []
            for node, in_sub in walk(side):
                if isinstance(node, ast.BigOp):
                    for letter, rng in _sum_letters(node.sub, node.sup):
                        bound.add(letter)
                        if letter in result.bounds and result.bounds[letter] != rng and rng != Bound():
                            raise UnsupportedNotation(f"index {letter} has two different ranges")
                        if rng != Bound() or letter not in result.bounds:
                            result.bounds[letter] = rng
                elif isinstance(node, ast.FuncOp) and node.name in ("max", "min") and node.sub is not None:
                    for letter in index_candidates(node.sub) or []:
                        bound.add(letter)
                        result.bounds.setdefault(letter, Bound())
                elif isinstance(node, ast.Script):
                    base = node.base
                    if isinstance(base, ast.Sym) and isinstance(node.sup, ast.Sym) and node.sup.kind == "letter" \
                            and node.sup.name.islower() and node.sup.name != "e":
                        sup_bases.setdefault(node.sup.name, set()).add(base.name)
                    if side_is_lhs and node is side:
                        continue
                    letters = index_candidates(node.sub)
                    if letters is not None:
                        sub_letters.update(letters)
                    elif node.sub is not None:
                        for inner, _ in walk(node.sub):
                            if (letter := _letter(inner)) is not None:
                                arith_sub_letters.add(letter)
                elif not in_sub and not side_is_lhs and id(node) not in sup_symbols \
                        and (letter := _letter(node)) is not None:
                    value_letters.add(letter)
    # Letters of sum limits are sizes, not values; the bound index itself sits in the sum's subscript.
    for letter in sorted(bound):
        if letter in value_letters:
            raise UnsupportedNotation(f"unsupported LaTeX construct: index {letter} used as a value")
    free = {x for x in lhs_letters if x in sub_letters and x not in arith_sub_letters and x not in value_letters
            and len(x) == 1 and "a" <= x <= "z"}
    result.index_letters = (bound | free) - arith_sub_letters
    for letter in bound & arith_sub_letters:
        raise UnsupportedNotation(f"unsupported LaTeX construct: shifted index such as {letter}-1 in a subscript")
    for letter, rng in result.bounds.items():
        if rng.size_name in result.index_letters:
            raise UnsupportedNotation(
                f"unsupported LaTeX construct: sum over {letter} up to the index {rng.size_name} (a partial range)")
    for letter, bases in sup_bases.items():
        if len(bases) >= 2 and letter not in value_letters and letter not in result.index_letters:
            result.label_letters.add(letter)
    return result

