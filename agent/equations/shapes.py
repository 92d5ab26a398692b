"""Shapes: hint strings, the rank each unhinted symbol gets from its use, dimension names and sizes.

Hints are einops-style strings (``"... n d"``); ``...`` marks leading batch dims, ``(2 d)`` a
dim twice ``d``. Without a hint a symbol is a scalar unless the equation uses it as a vector or a
matrix: a bold symbol (``\\mathbf{x}`` vector, ``\\mathbf{W}`` matrix), a transposed one, a capital
letter juxtaposed with a matrix (``XW``, ``QK^T``), a lower-case letter juxtaposed with a matrix
(``xW``: a row vector), the argument of a norm, an inner product or a softmax. The first argument
of a function on the left-hand side (``\\mathrm{DyT}(x)``) gets leading batch dims ``...``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

from agent.equations import ir
from agent.errors import UnsupportedNotation, UserError

_HINT_TOKEN = re.compile(r"\.\.\.|\([^)]*\)|[A-Za-z_][A-Za-z0-9_]*|\d+|\S")


def parse_shapes_option(text: str | None) -> dict[str, str]:
    """``"Q=... n d; K=... m d"`` to ``{"Q": "... n d", "K": "... m d"}`` (the CLI's ``--shapes``)."""
    from agent.equations.names import python_name

    shapes: dict[str, str] = {}
    if not text:
        return shapes
    for part in re.split(r"[;\n]", text):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise UserError(f"--shapes: expected NAME=SHAPE, got {part!r}")
        name, shape = part.split("=", 1)
        key = name.strip()
        word = re.match(r"([A-Za-z]{2,})(?=[_^'{]|$)", key)
        if word and not key.isidentifier():  # mu^l, lambda_q: a Greek name or an upright word
            from agent.equations.tokens import GREEK

            prefix = "\\" + word.group(1) + " " if word.group(1) in GREEK else "\\mathrm{" + word.group(1) + "}"
            key = prefix + key[len(word.group(1)):]
        if not key.isidentifier():
            from agent.equations.parser import Parser
            from agent.equations.tokens import tokenize

            node = Parser(tokenize(key)).postfix()
            from agent.equations.meaning import Resolver
            from agent.equations.resolve import Analysis

            labels = Analysis(label_letters=set(string.ascii_lowercase))
            key = Resolver(labels, [], set(), []).symbol_parts(node)[0]
        shapes[python_name(key)] = shape.strip()
    return shapes


def parse_hint(text: str, letters: dict[str, ir.Dim]) -> tuple[bool, list[ir.Dim]]:
    """A shape string to (has ``...``, dims); letters are looked up (or created) in ``letters``."""
    tokens = _HINT_TOKEN.findall(text.strip())
    ellipsis = False
    dims: list[ir.Dim] = []
    for k, tok in enumerate(tokens):
        if tok == "...":
            if k != 0:
                raise UserError(f"shape {text!r}: '...' must come first")
            ellipsis = True
        elif tok.startswith("("):
            factors: list[object] = []
            for inner in tok[1:-1].split():
                factors.append(int(inner) if inner.isdigit() else _letter_dim(inner, letters))
            dim = ir.Dim()
            dim.expr = ("mul", factors)
            dims.append(dim)
        elif tok.isdigit():
            dims.append(ir.Dim(size=int(tok)))
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tok):
            dims.append(_letter_dim(tok, letters))
        else:
            raise UserError(f"shape {text!r}: unexpected {tok!r}")
    return ellipsis, dims


def _letter_dim(name: str, letters: dict[str, ir.Dim]) -> ir.Dim:
    if name not in letters:
        letters[name] = ir.Dim(name=name)
        letters[name].hard = True
    return letters[name]


def hint_letters(text: str) -> set[str]:
    return {t for t in _HINT_TOKEN.findall(text) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t)} | {
        x for t in _HINT_TOKEN.findall(text) if t.startswith("(") for x in t[1:-1].split() if not x.isdigit()}


# ---------------------------------------------------------------------------------------------
# Rank from usage
# ---------------------------------------------------------------------------------------------


def children(node: ir.Expr) -> Iterator[ir.Expr]:
    for value in vars(node).values():
        if isinstance(value, ir.Expr):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, ir.Expr))


def nodes(node: ir.Expr) -> Iterator[ir.Expr]:
    yield node
    for child in children(node):
        yield from nodes(child)


class RankInference:
    """Decide the positional rank (0 scalar, 1 vector, 2 matrix) of symbols without a hint."""

    def __init__(self, symbols: dict[str, ir.SymbolInfo], statements: list[ir.Assign]) -> None:
        self.symbols = symbols
        self.statements = statements
        self.local_rank: dict[str, int | None] = {}
        self.weak = False  # the weak rules (a softmax argument is a vector) run after the strong ones

    def run(self) -> None:
        for info in self.symbols.values():
            if info.rank is None and info.bold_element:
                info.rank = 2 if info.upper else 1
            elif info.rank is None and info.bold:
                info.rank = max(0, (2 if info.upper else 1) - info.slots)
        for weak in (False, True, False):
            self.weak = weak
            for _ in range(8):
                changed = False
                for stmt in self.statements:
                    for node in nodes(stmt.value):
                        changed |= self.visit(node)
                    rank = self.estimate(stmt.value)
                    for target in stmt.targets:
                        if self.local_rank.get(target) != rank:
                            self.local_rank[target] = rank
                            changed = True
                if not changed:
                    break
        self.function_args()
        for info in self.symbols.values():
            if info.rank is None:
                info.rank = 0

    def function_args(self) -> None:
        args = sorted((i for i in self.symbols.values() if i.function_arg is not None),
                      key=lambda i: i.function_arg or 0)
        if not args:
            return
        first = args[0]
        if first.hint is None:
            if first.rank is None:
                first.rank = 0
            if first.slots == 0:
                first.batch = True
        for info in args[1:]:
            if info.hint is None and first.rank == 2 and info.rank == 2 and not info.name.startswith("W") \
                    and info.slots == 0:
                info.batch = True

    def _unknown(self, node: ir.Expr) -> ir.SymbolInfo | None:
        while isinstance(node, ir.Transpose):
            node = node.body
        if isinstance(node, ir.Input):
            info = self.symbols[node.name]
            return info if info.rank is None else None
        return None

    def _set(self, info: ir.SymbolInfo, rank: int) -> bool:
        if info.rank is None:
            info.rank = rank
            return True
        return False

    def visit(self, node: ir.Expr) -> bool:
        changed = False
        if isinstance(node, ir.Transpose) and (info := self._unknown(node.body)) is not None:
            changed |= self._set(info, 2 if info.upper else 1)
        elif isinstance(node, ir.Norm) and (info := self._unknown(node.body)) is not None:
            changed |= self._set(info, 1)
        elif isinstance(node, ir.Product):
            if node.style == "inner":
                for side in (node.left, node.right):
                    if (info := self._unknown(side)) is not None:
                        changed |= self._set(info, 1)
            elif node.style in ("juxt", "times"):
                changed |= self._product(node.left, node.right)
        elif self.weak and isinstance(node, ir.Call) and node.axis is None \
                and node.fn in ("softmax", "log_softmax", "layer_norm", "rms_norm"):
            leaf = self._leftmost(node.args[0])
            if leaf is not None and (info := self._unknown(leaf)) is not None and not leaf.letters:
                changed |= self._set(info, 1)
        return changed

    def _leftmost(self, node: ir.Expr) -> ir.Input | None:
        while True:
            if isinstance(node, ir.Input):
                return node
            if isinstance(node, ir.Binary | ir.Product):
                node = node.left
            elif isinstance(node, ir.Neg | ir.Transpose):
                node = node.body
            else:
                return None

    def _product(self, left: ir.Expr, right: ir.Expr) -> bool:
        lr, rr = self.estimate(left), self.estimate(right)
        lu, ru = self._unknown(left), self._unknown(right)
        changed = False
        latin = [u is not None and not u.greek and u.slots == 0 for u in (lu, ru)]  # \Delta W is not a product
        if lu is not None and ru is not None and all(latin):
            if lu.upper and ru.upper:
                changed |= self._set(lu, 2)
                changed |= self._set(ru, 2)
            elif lu.upper != ru.upper:  # xW (a row vector times a matrix) or Wx
                changed |= self._set(lu, 2 if lu.upper else 1)
                changed |= self._set(ru, 2 if ru.upper else 1)
        if isinstance(left, ir.Transpose) and lr == 1 and ru is not None and not ru.greek:
            changed |= self._set(ru, 2 if ru.upper else 1)  # u^T v
        for unknown, other in ((lu, rr), (ru, lr)):
            if unknown is None or other is None or other == 0 or unknown.greek:
                continue
            if unknown.upper:
                changed |= self._set(unknown, 2)
            elif other == 2:
                changed |= self._set(unknown, 1)
        return changed

    def estimate(self, node: ir.Expr) -> int | None:
        """The positional rank of an expression, None while it depends on undecided symbols."""
        if isinstance(node, ir.Input):
            info = self.symbols[node.name]
            return None if info.rank is None else info.rank + info.slots - len(node.letters)
        if isinstance(node, ir.Local):
            return self.local_rank.get(node.name)
        if isinstance(node, ir.Const | ir.Size):
            return 0
        if isinstance(node, ir.Binary):
            ranks = [self.estimate(node.left), self.estimate(node.right)]
            known = [r for r in ranks if r is not None]
            return max(known) if known else None
        if isinstance(node, ir.Neg | ir.Transpose):
            return self.estimate(node.body)
        if isinstance(node, ir.Product):
            a, b = self.estimate(node.left), self.estimate(node.right)
            if a == 0 or b == 0:
                return b if a == 0 else a
            if a is None or b is None:
                return None
            if node.style in ("inner", "cdot") and a == 1 and b == 1:
                return 0
            return max(a + b - 2, 1) if a + b > 2 else 0
        if isinstance(node, ir.Call):
            ranks = [self.estimate(a) for a in node.args]
            known = [r for r in ranks if r is not None]
            return max(known) if known else None
        if isinstance(node, ir.Reduce):
            return self.estimate(node.body)
        if isinstance(node, ir.Norm):
            return 0
        if isinstance(node, ir.Concat):
            return self.estimate(node.parts[0])
        if isinstance(node, ir.Bind):
            inner = self.estimate(node.body)
            return None if inner is None else max(inner - len(node.letters), 0)
        if isinstance(node, ir.CallEq):
            shape = getattr(node.eq, "output_shape", "") or ""
            return len([t for t in shape.split() if t != "..."])
        return None


# ---------------------------------------------------------------------------------------------
# Names and sizes of dims
# ---------------------------------------------------------------------------------------------

NAME_POOL = ["n", "m", "d", "e", "f", "g", "k", "p", "q", "r", "s", "u", "v", "w", "c", "h", "a", "b"]
SIZE_POOL = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]  # never 2, the batch size: a mix-up cannot broadcast


def name_dims(dims: list[ir.Dim], reserved: set[str]) -> None:
    """Give every root dim a distinct einops name, keeping hint letters and size symbols."""
    used: set[str] = set(reserved)
    roots: list[ir.Dim] = []
    for dim in dims:
        root = dim.find()
        if root not in roots:
            roots.append(root)
    roots.sort(key=lambda r: not r.hard)  # names from shape hints win over derived ones
    for root in roots:
        if root.name and root.name not in used:
            used.add(root.name)
        elif root.name:
            root.name = _fresh(root.name, used)
    for root in roots:
        if not root.name:
            root.name = next((x for x in NAME_POOL if x not in used), None) or _fresh("d", used)
            used.add(root.name)


def _fresh(base: str, used: set[str]) -> str:
    k = 2
    while f"{base}{k}" in used:
        k += 1
    used.add(f"{base}{k}")
    return f"{base}{k}"


def assign_sizes(dims: list[ir.Dim], offset: int = 0) -> dict[int, int]:
    """Concrete sizes for verification: distinct small sizes, derived dims computed. Keyed by root id."""
    sizes: dict[int, int] = {}
    roots: list[ir.Dim] = []
    pending = list(dims)
    while pending:
        root = pending.pop(0).find()
        if root not in roots:
            roots.append(root)
            if root.expr is not None:
                pending += [p for p in root.expr[1] if isinstance(p, ir.Dim)]
    free = [r for r in roots if r.expr is None and r.size is None]
    for k, root in enumerate(free):
        sizes[root.id] = SIZE_POOL[(k + offset) % len(SIZE_POOL)]
    for root in roots:
        if root.size is not None:
            sizes[root.id] = root.size

    def size_of(dim: ir.Dim, depth: int = 0) -> int:
        root = dim.find()
        if root.id in sizes:
            return sizes[root.id]
        if depth > 20 or root.expr is None:
            raise UnsupportedNotation("unsupported dimension constraint (a cycle between sizes)")
        kind, parts = root.expr
        values = [p if isinstance(p, int) else size_of(p, depth + 1) for p in parts]
        total = 1
        if kind == "mul":
            for v in values:
                total *= v
        else:
            total = sum(values)
        sizes[root.id] = total
        return total

    for root in roots:
        size_of(root)
    return sizes
