"""An independent element-by-element float64 evaluator of the typed equation.

It shares nothing with the torch lowering: every output element is computed on its own with
Python floats and :mod:`math` — a matrix product is a loop over the contracted index, a softmax a
loop over its axis, a sum a loop over its index — from the same meaning (types) the compiler
decided. Values are memoised per (node, element) so nested reductions stay polynomial.

One exception: a call of an equation from the context evaluates that equation's own compiled
function, which was itself verified element by element when it was compiled (an unverified
callee is flagged in the notes).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from agent.equations import ir

Key = tuple[Any, ...]
MAX_ELEMENTS = 2_000_000  # element evaluations per check; beyond, the check is reported as not run


class TooLarge(Exception):
    """The element-wise evaluation would take too long."""


def _safe(fn: Callable[..., float]) -> Callable[..., float]:
    def wrapped(*args: float) -> float:
        try:
            value = fn(*args)
        except (OverflowError, ZeroDivisionError):
            return math.inf
        except ValueError:
            return math.nan
        if isinstance(value, complex):
            return math.nan
        return float(value)

    return wrapped


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _nan_or(a: float, b: float, value: float) -> float:
    return math.nan if math.isnan(a) or math.isnan(b) else value


def _softplus(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


ELEMENTWISE: dict[str, Callable[..., float]] = {name: _safe(fn) for name, fn in {
    "exp": math.exp, "log": math.log, "log2": math.log2, "log10": math.log10, "sqrt": math.sqrt,
    "tanh": math.tanh, "sin": math.sin, "cos": math.cos, "tan": math.tan, "sinh": math.sinh,
    "cosh": math.cosh, "abs": abs, "erf": math.erf, "sigmoid": _sigmoid, "relu": lambda x: max(0.0, x),
    "gelu": lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))), "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x, b: x * _sigmoid(b * x), "softplus": _softplus,
    "normal_cdf": lambda x: 0.5 * (1.0 + math.erf(x / math.sqrt(2.0))),
    "sign": lambda x: float((x > 0) - (x < 0)), "maximum": lambda a, b: _nan_or(a, b, max(a, b)),
    "minimum": lambda a, b: _nan_or(a, b, min(a, b)),
}.items()}
BINARY: dict[str, Callable[[float, float], float]] = {
    "+": _safe(lambda a, b: a + b), "-": _safe(lambda a, b: a - b), "*": _safe(lambda a, b: a * b),
    "/": _safe(lambda a, b: a / b if b != 0 else (math.nan if a == 0 else math.copysign(math.inf, a) *
                                                   math.copysign(1.0, b))),
    "^": _safe(lambda a, b: a ** b),
}


class Reference:
    """Evaluate a typed program on numpy inputs; sizes are keyed by root dim id."""

    def __init__(self, program: ir.Program, sizes: dict[int, int], batch_shape: tuple[int, ...]) -> None:
        self.program = program
        self.sizes = sizes
        self.batch_shape = batch_shape
        self.inputs: dict[str, np.ndarray] = {}
        self.values: dict[str, np.ndarray] = {}
        self.memo: dict[Key, float] = {}
        self.evaluations = 0

    def size(self, dim: ir.Dim) -> int:
        return self.sizes[dim.find().id]

    def index_size(self, letter: str) -> int:
        return self.size(self.program.index_dims[letter])

    def shape(self, ty: ir.Ty) -> tuple[int, ...]:
        batch: tuple[int, ...] = ()
        for b in ty.batch:
            batch += self.batch_shape if b == ir.ELLIPSIS else (self.size(b),)
        return batch + tuple(self.index_size(x) for x in ty.idx) + tuple(self.size(d) for d in ty.pos)

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.inputs = inputs
        for stmt in self.program.statements:
            assert stmt.ty is not None
            if len(stmt.targets) > 1:
                value = self.dense(stmt.value)
                for target, part in zip(stmt.targets, np.split(value, len(stmt.targets), axis=-1), strict=True):
                    self.values[target] = part
            else:
                self.values[stmt.targets[0]] = self.dense(stmt.value, target=stmt.ty)
        return [self.values[name] for name in self.program.outputs]

    def dense(self, node: ir.Expr, target: ir.Ty | None = None) -> np.ndarray:
        """All elements of ``node`` in the layout of ``target`` (batch, idx in target order, pos)."""
        ty = node.ty
        assert ty is not None
        target = target or ty
        out = np.empty(self.shape(target), dtype=np.float64)
        nb = len(self.shape(ir.Ty(target.batch)))
        ni = len(target.idx)
        for index in itertools.product(*(range(s) for s in out.shape)):
            batch = index[:nb]
            env = dict(zip(target.idx, index[nb:nb + ni], strict=True))
            out[index] = self.elem(node, batch, env, index[nb + ni:])
        return out

    # -- one element ------------------------------------------------------------------------------
    def elem(self, node: ir.Expr, batch: tuple[int, ...], env: dict[str, int], pos: tuple[int, ...]) -> float:
        ty = node.ty
        assert ty is not None
        b = batch if ty.batch else ()
        key = (id(node), b, tuple(env[x] for x in ty.idx), pos)
        if key in self.memo:
            return self.memo[key]
        self.evaluations += 1
        if self.evaluations > MAX_ELEMENTS:
            raise TooLarge(f"more than {MAX_ELEMENTS} element evaluations")
        method = getattr(self, "_" + type(node).__name__.lower())
        value = float(method(node, b, env, pos))
        self.memo[key] = value
        return value

    def child(self, node: ir.Expr, batch: tuple[int, ...], env: dict[str, int], pos: tuple[int, ...]) -> float:
        """A broadcast operand: its positional index is the trailing part of the parent's."""
        ty = node.ty
        assert ty is not None
        return self.elem(node, batch, env, pos[len(pos) - ty.rank:] if ty.rank else ())

    def _input(self, node: ir.Input, batch: tuple, env: dict, pos: tuple) -> float:
        arr = self.inputs[node.name]
        return arr[batch + tuple(env[x] for x in node.letters) + pos]

    def _local(self, node: ir.Local, batch: tuple, env: dict, pos: tuple) -> float:
        arr = self.values[node.name]
        return arr[batch + tuple(env[x] for x in node.letters) + pos]

    def _const(self, node: ir.Const, batch: tuple, env: dict, pos: tuple) -> float:
        return node.value

    def _size(self, node: ir.Size, batch: tuple, env: dict, pos: tuple) -> float:
        return float(self.size(self.program.sizes[node.name]))

    def _binary(self, node: ir.Binary, batch: tuple, env: dict, pos: tuple) -> float:
        a = self.child(node.left, batch, env, pos)
        c = self.child(node.right, batch, env, pos)
        return BINARY[node.op](a, c)

    def _neg(self, node: ir.Neg, batch: tuple, env: dict, pos: tuple) -> float:
        return -self.elem(node.body, batch, env, pos)

    def _product(self, node: ir.Product, batch: tuple, env: dict, pos: tuple) -> float:
        left, right = node.left, node.right
        if node.kind == "scale":
            return BINARY["*"](self.child(left, batch, env, pos), self.child(right, batch, env, pos))
        a, c = left.ty, right.ty
        assert a is not None and c is not None
        if node.kind == "outer":
            return self.elem(left, batch, env, (pos[0],)) * self.elem(right, batch, env, (pos[1],))
        n = self.size(a.pos[-1])
        total = 0.0
        for k in range(n):
            if node.kind == "dot":
                x, y = self.elem(left, batch, env, (k,)), self.elem(right, batch, env, (k,))
            else:
                x = self.elem(left, batch, env, (pos[0], k) if a.rank == 2 else (k,))
                y = self.elem(right, batch, env, (k, pos[-1]) if c.rank == 2 else (k,))
            total += x * y
        return total

    def _transpose(self, node: ir.Transpose, batch: tuple, env: dict, pos: tuple) -> float:
        return self.elem(node.body, batch, env, pos[::-1] if len(pos) == 2 else pos)

    def _call(self, node: ir.Call, batch: tuple, env: dict, pos: tuple) -> float:
        if node.fn in ("softmax", "log_softmax", "layer_norm", "rms_norm"):
            return self.axis_call(node, batch, env, pos)
        args = [self.child(a, batch, env, pos) for a in node.args]
        if node.param is not None:
            args.append(self.child(node.param, batch, env, pos))
        return ELEMENTWISE[node.fn](*args)

    def axis_call(self, node: ir.Call, batch: tuple, env: dict, pos: tuple) -> float:
        arg = node.args[0]
        if node.axis is None:
            n = self.size(arg.ty.pos[-1])  # type: ignore[union-attr]
            row = [self.elem(arg, batch, env, pos[:-1] + (j,)) for j in range(n)]
            here = pos[-1]
        else:
            n = self.index_size(node.axis)
            row = [self.elem(arg, batch, {**env, node.axis: j}, pos) for j in range(n)]
            here = env[node.axis]
        x = row[here]
        if node.fn in ("softmax", "log_softmax"):
            top = max(row)
            total = sum(math.exp(v - top) for v in row)
            return math.exp(x - top) / total if node.fn == "softmax" else x - top - math.log(total)
        if node.fn == "layer_norm":
            mean = sum(row) / n
            var = sum((v - mean) ** 2 for v in row) / n
            return (x - mean) / math.sqrt(var + 1e-5)
        mean_sq = sum(v * v for v in row) / n
        return x / math.sqrt(mean_sq + 1e-6)

    def _reduce(self, node: ir.Reduce, batch: tuple, env: dict, pos: tuple) -> float:
        n = self.index_size(node.letter)
        values = [self.elem(node.body, batch, {**env, node.letter: v}, pos) for v in range(n)]
        if node.op == "sum":
            total = math.fsum(values)
            return total / n if node.mean else total
        if node.op == "prod":
            return math.prod(values)
        return max(values) if node.op == "max" else min(values)

    def _norm(self, node: ir.Norm, batch: tuple, env: dict, pos: tuple) -> float:
        ty = node.body.ty
        assert ty is not None
        if ty.rank == 0:
            return abs(self.elem(node.body, batch, env, pos))
        shape = [self.size(d) for d in ty.pos]
        values = [self.elem(node.body, batch, env, tuple(p)) for p in itertools.product(*(range(s) for s in shape))]
        if node.p == "1":
            return math.fsum(abs(v) for v in values)
        if node.p == "inf":
            return max(abs(v) for v in values)
        return math.sqrt(math.fsum(v * v for v in values))

    def _concat(self, node: ir.Concat, batch: tuple, env: dict, pos: tuple) -> float:
        offset = 0
        for part in node.parts:
            width = self.size(part.ty.pos[-1])  # type: ignore[union-attr]
            if pos[-1] < offset + width:
                return self.elem(part, batch, env, pos[:-1] + (pos[-1] - offset,))
            offset += width
        raise IndexError("concatenation index out of range")

    def _bind(self, node: ir.Bind, batch: tuple, env: dict, pos: tuple) -> float:
        return self.elem(node.body, batch, env, tuple(env[x] for x in node.letters) + pos)

    def _calleq(self, node: ir.CallEq, batch: tuple, env: dict, pos: tuple) -> float:
        key = ("call", id(node))
        if key not in self.memo:
            import torch

            args = [torch.from_numpy(self.dense(a)) for a in node.args]
            with torch.no_grad():
                result = node.eq.fn(*args)
            self.memo[key] = torch.as_tensor(result, dtype=torch.float64).numpy()  # type: ignore[assignment]
        arr: Any = self.memo[key]
        ty = node.ty
        assert ty is not None
        return arr[batch + tuple(env[x] for x in ty.idx) + pos]
