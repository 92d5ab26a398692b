"""Type every IR node: batch dims, index axes and positional dims, unified as they meet.

A product of two non-scalars becomes a matrix product, a dot product (``u^T v``, ``u \\cdot v``,
``\\langle u, v\\rangle``) or an outer product (``u v^T``); anything that would need a guess
(two plain vectors juxtaposed, a power of a matrix) is refused with the construct named.
"""

from __future__ import annotations

from agent.equations import ir
from agent.equations.resolve import Bound
from agent.equations.shapes import parse_hint
from agent.errors import UnsupportedNotation, UserError

ELL = ir.ELLIPSIS


def unify(a: ir.Dim, b: ir.Dim, what: str) -> None:
    ra, rb = a.find(), b.find()
    if ra is rb:
        return
    if ra.hard and rb.hard and ra.name != rb.name:
        raise UserError(f"shape mismatch in {what}: dims {ra.name} and {rb.name} must be equal")
    if ra.size is not None and rb.size is not None and ra.size != rb.size:
        raise UserError(f"shape mismatch in {what}: sizes {ra.size} and {rb.size}")
    if ra.expr is not None and rb.expr is not None:
        if ra.expr[0] != rb.expr[0] or len(ra.expr[1]) != len(rb.expr[1]):
            raise UnsupportedNotation(f"unsupported dimension constraint in {what}")
        for x, y in zip(ra.expr[1], rb.expr[1], strict=True):
            if isinstance(x, ir.Dim) and isinstance(y, ir.Dim):
                unify(x, y, what)
            elif x != y:
                raise UnsupportedNotation(f"unsupported dimension constraint in {what}")
    keep, drop = (ra, rb) if (ra.hard or not rb.hard) else (rb, ra)
    drop.parent = keep
    keep.name = keep.name or drop.name
    keep.hard = keep.hard or drop.hard
    keep.size = keep.size if keep.size is not None else drop.size
    keep.expr = keep.expr or drop.expr


def merge_batch(a: tuple, b: tuple, what: str) -> tuple:
    if not a:
        return b
    if not b:
        return a
    if len(a) != len(b):
        raise UserError(f"shape mismatch in {what}: different leading batch dims")
    for x, y in zip(a, b, strict=True):
        if (x == ELL) != (y == ELL):
            raise UserError(f"shape mismatch in {what}: '...' meets named batch dims")
        if x != ELL:
            unify(x, y, what)
    return a


class Typer:
    """Fill ``node.ty`` for every node of a program's statements."""

    def __init__(self, symbols: dict[str, ir.SymbolInfo], bounds: dict[str, Bound], notes: list[str]) -> None:
        self.symbols = symbols
        self.bounds = bounds
        self.notes = notes
        self.letters: dict[str, ir.Dim] = {}  # hint letters and size symbols
        self.index_dims: dict[str, ir.Dim] = {}
        self.local_tys: dict[str, tuple[ir.Ty, tuple[str, ...]]] = {}
        self.what = ""

    # -- inputs ----------------------------------------------------------------------------------
    def apply_hint(self, info: ir.SymbolInfo, hint: str, letters: dict[str, ir.Dim] | None = None) -> None:
        ellipsis, dims = parse_hint(hint, self.letters if letters is None else letters)
        info.hint = hint
        if len(dims) < info.slots:
            raise UserError(f"shape {hint!r} of {info.name} has fewer dims than its {info.slots} indices")
        rest = dims[info.slots:]
        batch: tuple = (ELL,) if ellipsis else ()
        if not ellipsis and len(rest) > 2 and info.slots == 0:
            batch, rest = tuple(rest[:-2]), rest[-2:]
        if len(rest) > 2:
            raise UnsupportedNotation(f"{info.name}: more than two dims besides its indices and '...'")
        info.batch_dims = batch
        info.rank = len(rest)
        info.dims = dims[: info.slots] + rest

    def make_dims(self, info: ir.SymbolInfo) -> None:
        if info.dims or info.hint is not None:
            return
        info.dims = [ir.Dim() for _ in range(info.slots + (info.rank or 0))]
        info.batch_dims = (ELL,) if info.batch else ()

    def size_dim(self, name: str) -> ir.Dim:
        if name not in self.letters:
            self.letters[name] = ir.Dim(name=name)
        return self.letters[name]

    def index_dim(self, letter: str) -> ir.Dim:
        if letter not in self.index_dims:
            bound = self.bounds.get(letter, Bound())
            if bound.size_name:
                dim = self.size_dim(bound.size_name)
            else:
                dim = ir.Dim(size=bound.size)
            self.index_dims[letter] = dim
        return self.index_dims[letter]

    # -- statements ------------------------------------------------------------------------------
    def statement(self, stmt: ir.Assign) -> None:
        self.what = stmt.latex or ", ".join(stmt.targets)
        value = self.ty(stmt.value)
        letters = stmt.letters
        extra = [x for x in value.idx if x not in letters]
        if extra:
            raise UserError(f"index {extra[0]} is free on the right-hand side of {stmt.targets[0]} "
                            "but not on the left (sum over it, or write it on the left)")
        missing = [x for x in letters if x not in value.idx]
        if missing:
            raise UnsupportedNotation(f"index {missing[0]} on the left-hand side does not appear on the right")
        ty = ir.Ty(value.batch, tuple(letters), value.pos, value.row)
        if len(stmt.targets) > 1:
            ty = self.split(ty, len(stmt.targets))
        stmt.ty = ty
        for target in stmt.targets:
            self.local_tys[target] = (ty, tuple(letters))

    def split(self, ty: ir.Ty, parts: int) -> ir.Ty:
        if ty.rank < 1:
            raise UnsupportedNotation(f"cannot split a scalar into {parts} parts in {self.what}")
        whole = ty.pos[-1].find()
        if whole.expr and whole.expr[0] == "mul" and parts in whole.expr[1] and len(whole.expr[1]) == 2:
            other = [p for p in whole.expr[1] if p != parts or isinstance(p, ir.Dim)]
            part = other[0] if isinstance(other[0], ir.Dim) else ir.Dim(size=int(other[0]))
        elif whole.expr and whole.expr[0] == "sum" and len(whole.expr[1]) == parts:
            first = whole.expr[1][0]
            for other in whole.expr[1][1:]:
                unify(first, other, self.what)
            part = first
        elif whole.expr is None and whole.size is None:
            part = ir.Dim()
            whole.expr = ("mul", [parts, part])
        elif whole.size is not None and whole.size % parts == 0:
            part = ir.Dim(size=whole.size // parts)
        else:
            raise UnsupportedNotation(f"cannot split dim {whole.name} into {parts} equal parts in {self.what}")
        return ir.Ty(ty.batch, ty.idx, (*ty.pos[:-1], part), ty.row)

    # -- expressions -----------------------------------------------------------------------------
    def ty(self, node: ir.Expr) -> ir.Ty:
        method = getattr(self, "_" + type(node).__name__.lower())
        result: ir.Ty = method(node)
        node.ty = result
        return result

    def _input(self, node: ir.Input) -> ir.Ty:
        info = self.symbols[node.name]
        k = len(node.letters)
        if k == 0:
            return ir.Ty(info.batch_dims, (), tuple(info.dims))
        if k != info.slots:
            raise UnsupportedNotation(f"{node.name} is written with {k} of its {info.slots} indices")
        for letter, dim in zip(node.letters, info.dims, strict=False):
            unify(self.index_dim(letter), dim, self.what)
        return ir.Ty(info.batch_dims, node.letters, tuple(info.dims[k:]))

    def _local(self, node: ir.Local) -> ir.Ty:
        ty, letters = self.local_tys[node.name]
        if not node.letters:
            pos = tuple(self.index_dim(x) for x in letters) + ty.pos
            return ir.Ty(ty.batch, (), pos, ty.row if not letters else False)
        if len(node.letters) != len(letters):
            raise UnsupportedNotation(f"{node.name} is written with {len(node.letters)} of its {len(letters)} indices")
        for new, old in zip(node.letters, letters, strict=True):
            unify(self.index_dim(new), self.index_dim(old), self.what)
        return ir.Ty(ty.batch, node.letters, ty.pos, ty.row)

    def _const(self, node: ir.Const) -> ir.Ty:
        return ir.Ty()

    def _size(self, node: ir.Size) -> ir.Ty:
        self.size_dim(node.name)
        return ir.Ty()

    def ew(self, a: ir.Ty, b: ir.Ty) -> ir.Ty:
        batch = merge_batch(a.batch, b.batch, self.what)
        idx = a.idx + tuple(x for x in b.idx if x not in a.idx)
        long, short = (a, b) if a.rank >= b.rank else (b, a)
        for x, y in zip(reversed(long.pos), reversed(short.pos), strict=False):
            unify(x, y, self.what)
        row = long.row if long.rank == 1 else False
        return ir.Ty(batch, idx, long.pos, row)

    def _binary(self, node: ir.Binary) -> ir.Ty:
        a, b = self.ty(node.left), self.ty(node.right)
        if node.op == "^" and a.rank >= 2:
            raise UnsupportedNotation(f"unsupported LaTeX construct: power of a matrix in {self.what}")
        return self.ew(a, b)

    def _neg(self, node: ir.Neg) -> ir.Ty:
        return self.ty(node.body)

    def _product(self, node: ir.Product) -> ir.Ty:
        a, b = self.ty(node.left), self.ty(node.right)
        if node.style != "inner" and (a.rank == 0 or b.rank == 0):
            node.kind = "scale"
            return self.ew(a, b)
        batch = merge_batch(a.batch, b.batch, self.what)
        idx = a.idx + tuple(x for x in b.idx if x not in a.idx)
        if node.style == "inner" or (node.style == "cdot" and a.rank == 1 and b.rank == 1):
            if a.rank != 1 or b.rank != 1:
                raise UnsupportedNotation(f"inner product of non-vectors in {self.what}")
            unify(a.pos[0], b.pos[0], self.what)
            node.kind = "dot"
            return ir.Ty(batch, idx, ())
        node.kind = "matmul"
        ra, rb = a.rank, b.rank
        if ra == 2 and rb == 2:
            unify(a.pos[1], b.pos[0], self.what)
            return ir.Ty(batch, idx, (a.pos[0], b.pos[1]))
        if ra == 1 and rb == 2:  # x W: x is a row vector, and so is the result
            unify(a.pos[0], b.pos[0], self.what)
            return ir.Ty(batch, idx, (b.pos[1],), True)
        if ra == 2 and rb == 1 and not b.row:
            unify(a.pos[1], b.pos[0], self.what)
            return ir.Ty(batch, idx, (a.pos[0],))
        if ra == 1 and rb == 1 and a.row and not b.row:
            unify(a.pos[0], b.pos[0], self.what)
            node.kind = "dot"
            return ir.Ty(batch, idx, ())
        if ra == 1 and rb == 1 and not a.row and not b.row and isinstance(node.right, ir.Product) \
                and node.right.kind == "matmul" and node.right.left.ty is not None and node.right.left.ty.rank == 2:
            unify(a.pos[0], b.pos[0], self.what)  # x (W v) = (x W) v: x is a row vector
            node.kind = "dot"
            return ir.Ty(batch, idx, ())
        if ra == 1 and rb == 1 and not a.row and b.row:
            node.kind = "outer"
            return ir.Ty(batch, idx, (a.pos[0], b.pos[0]))
        if node.style == "times" and ra == 1 and rb == 1:
            raise UnsupportedNotation(f"unsupported LaTeX construct: cross product \\times of vectors in {self.what}")
        raise UnsupportedNotation(
            f"ambiguous product of two vectors in {self.what} (write u^T v, u \\cdot v or \\odot, or give shapes)")

    def _transpose(self, node: ir.Transpose) -> ir.Ty:
        a = self.ty(node.body)
        if a.rank == 2:
            return ir.Ty(a.batch, a.idx, (a.pos[1], a.pos[0]))
        if a.rank == 1:
            return ir.Ty(a.batch, a.idx, a.pos, not a.row)
        self.notes.append(f"transpose of a scalar ignored in {self.what}")
        return a

    def _call(self, node: ir.Call) -> ir.Ty:
        tys = [self.ty(a) for a in node.args]
        if node.param is not None:
            tys.append(self.ty(node.param))
        result = tys[0]
        for other in tys[1:]:
            result = self.ew(result, other)
        if node.fn in ("softmax", "log_softmax"):
            if node.axis is not None:
                if node.axis not in result.idx:
                    raise UserError(f"{node.fn} over index {node.axis}, which its argument does not carry")
            elif result.rank == 0:
                if len(result.idx) == 1:
                    node.axis = result.idx[0]
                else:
                    raise UnsupportedNotation(
                        f"{node.fn} of a scalar in {self.what}: give its argument a vector shape (--shapes)")
        elif node.fn in ("layer_norm", "rms_norm") and result.rank == 0:
            raise UnsupportedNotation(f"{node.fn} of a scalar in {self.what}: give its argument a vector shape")
        return result

    def _reduce(self, node: ir.Reduce) -> ir.Ty:
        body = self.ty(node.body)
        if node.letter not in body.idx:
            raise UnsupportedNotation(f"unsupported LaTeX construct: {node.op} over {node.letter} of a term without "
                                      f"{node.letter}")
        self.index_dim(node.letter)
        return ir.Ty(body.batch, tuple(x for x in body.idx if x != node.letter), body.pos, body.row)

    def _norm(self, node: ir.Norm) -> ir.Ty:
        a = self.ty(node.body)
        if a.rank == 1 and node.p != "F":
            return ir.Ty(a.batch, a.idx, ())
        if a.rank == 2 and node.p == "F":
            return ir.Ty(a.batch, a.idx, ())
        if a.rank == 0:
            self.notes.append(f"norm of a scalar read as its absolute value in {self.what}")
            return a
        raise UnsupportedNotation(f"unsupported norm of a rank-{a.rank} value in {self.what} (use \\|X\\|_F)")

    def _concat(self, node: ir.Concat) -> ir.Ty:
        tys = [self.ty(p) for p in node.parts]
        first = tys[0]
        if first.rank == 0:
            raise UnsupportedNotation(f"concatenation of scalars in {self.what}")
        batch, idx = first.batch, first.idx
        for other in tys[1:]:
            if other.rank != first.rank or set(other.idx) != set(first.idx):
                raise UserError(f"shape mismatch in the concatenation in {self.what}")
            batch = merge_batch(batch, other.batch, self.what)
            for x, y in zip(first.pos[:-1], other.pos[:-1], strict=True):
                unify(x, y, self.what)
        last = ir.Dim()
        last.expr = ("sum", [t.pos[-1] for t in tys])
        return ir.Ty(batch, idx, (*first.pos[:-1], last))

    def _bind(self, node: ir.Bind) -> ir.Ty:
        body = self.ty(node.body)
        k = len(node.letters)
        if body.rank < k or set(node.letters) & set(body.idx):
            raise UnsupportedNotation(f"unsupported index on an expression in {self.what}")
        for letter, dim in zip(node.letters, body.pos, strict=False):
            unify(self.index_dim(letter), dim, self.what)
        return ir.Ty(body.batch, body.idx + node.letters, body.pos[k:])

    def _calleq(self, node: ir.CallEq) -> ir.Ty:
        eq = node.eq
        letters: dict[str, ir.Dim] = {}
        shapes = getattr(eq, "shapes", {})
        carried: tuple[tuple, tuple[str, ...]] | None = None
        node.param_tys = []
        for name, arg in zip(eq.inputs, node.args, strict=True):
            ellipsis, dims = parse_hint(shapes.get(name, ""), letters)
            for dim in dims:
                dim.hard = False
            a = self.ty(arg)
            if len(dims) != a.rank:
                raise UserError(f"{eq.name} expects {name} of shape ({shapes.get(name, '')}), "
                                f"got a rank-{a.rank} value in {self.what}")
            for x, y in zip(dims, a.pos, strict=True):
                unify(x, y, self.what)
            if a.batch or a.idx:
                if not ellipsis:
                    raise UserError(f"{eq.name} takes {name} without batch dims in {self.what}")
                if carried is None:
                    carried = (a.batch, a.idx)
                elif carried[1] != a.idx:
                    raise UnsupportedNotation(f"call of {eq.name} with differently indexed arguments")
                else:
                    merge_batch(carried[0], a.batch, self.what)
            node.param_tys.append(ir.Ty((ELL,) if ellipsis else (), (), tuple(dims)))
        out_ellipsis, out_dims = parse_hint(eq.output_shape or "", letters)
        for dim in out_dims:
            dim.hard = False
        batch, idx = carried if carried is not None else ((), ())
        node.out_ty = ir.Ty((ELL,) if out_ellipsis else (), (), tuple(out_dims))
        return ir.Ty(batch if out_ellipsis else (), idx if out_ellipsis else (), tuple(out_dims))
