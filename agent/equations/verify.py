"""The numeric check: random float64 inputs, the compiled torch function against the reference.

Two trials with different dimension sizes and batch shapes. Inputs are standard normal; when the
reference itself is not finite there (a log or square root of a negative), they are redrawn
positive. ``verified`` only when every output matches element by element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agent.equations import ir
from agent.equations.reference import Reference, TooLarge
from agent.equations.shapes import assign_sizes

RTOL = 1e-7
ATOL = 1e-9
POSITIVE_NOTE = "checked on positive inputs (the equation is not finite for all reals)"
TRIALS = ((0, (2,)), (2, (2, 2)))  # (size offset, batch shape for "...")


@dataclass
class Verification:
    verified: bool
    max_error: float | None
    notes: list[str] = field(default_factory=list)


def all_dims(program: ir.Program) -> list[ir.Dim]:
    dims: list[ir.Dim] = []
    for info in program.symbols.values():
        dims += info.dims + [b for b in info.batch_dims if b != ir.ELLIPSIS]
    dims += list(program.index_dims.values()) + list(program.sizes.values())
    for ty in program.locals.values():
        dims += list(ty.pos) + [b for b in ty.batch if b != ir.ELLIPSIS]
    for stmt in program.statements:
        stack: list[Any] = [stmt.value]
        while stack:
            node = stack.pop()
            if node.ty is not None:
                dims += list(node.ty.pos) + [b for b in node.ty.batch if b != ir.ELLIPSIS]
            for value in vars(node).values():
                if isinstance(value, ir.Expr):
                    stack.append(value)
                elif isinstance(value, list):
                    stack += [v for v in value if isinstance(v, ir.Expr)]
    return dims


def make_inputs(ref: Reference, program: ir.Program, rng: np.random.Generator, positive: bool) -> dict[str, Any]:
    arrays: dict[str, Any] = {}
    for name in program.inputs:
        info = program.symbols[name]
        batch: tuple[int, ...] = ()
        for b in info.batch_dims:
            batch += ref.batch_shape if b == ir.ELLIPSIS else (ref.size(b),)
        shape = batch + tuple(ref.size(d) for d in info.dims)
        if positive:
            arrays[name] = rng.uniform(0.5, 1.5, size=shape)
        else:
            arrays[name] = rng.standard_normal(size=shape)
    return arrays


def compare(got: Any, want: np.ndarray) -> tuple[bool, float, str]:
    import torch

    if isinstance(got, (int, float)):
        got = torch.tensor(float(got), dtype=torch.float64)
    if not isinstance(got, torch.Tensor):
        return False, float("inf"), f"the function returned {type(got).__name__}, not a tensor"
    arr = got.detach().to(torch.float64).numpy()
    if arr.shape != want.shape:
        return False, float("inf"), f"output shape {tuple(arr.shape)} differs from the reference {want.shape}"
    both_nan = np.isnan(arr) & np.isnan(want)
    same_inf = np.isinf(arr) & np.isinf(want) & (np.sign(arr) == np.sign(want))
    diff = np.where(both_nan | same_inf, 0.0, np.abs(arr - want))
    diff = np.where(np.isnan(diff), np.inf, diff)
    err = float(diff.max()) if diff.size else 0.0
    ok = bool(np.all(diff <= ATOL + RTOL * np.abs(np.where(np.isfinite(want), want, 0.0))))
    return ok, err, ""


def verify(program: ir.Program, fn: Callable[..., Any], seed: int = 0) -> Verification:
    """Run ``fn`` and the reference on random inputs; compare every output element."""
    import torch

    dims = all_dims(program)
    rng = np.random.default_rng(seed)
    max_error = 0.0
    notes: list[str] = []
    for offset, batch_shape in TRIALS:
        ref = Reference(program, assign_sizes(dims, offset), batch_shape)
        inputs = make_inputs(ref, program, rng, positive=False)
        try:
            want = ref.run(inputs)
            if not all(np.all(np.isfinite(w)) for w in want):
                ref = Reference(program, ref.sizes, batch_shape)
                inputs = make_inputs(ref, program, rng, positive=True)
                want = ref.run(inputs)
                if POSITIVE_NOTE not in notes:
                    notes.append(POSITIVE_NOTE)
        except TooLarge as exc:
            return Verification(False, None, notes + [f"not checked: the element-wise reference is too large ({exc})"])
        args = [torch.from_numpy(inputs[name]) for name in program.inputs]
        with torch.no_grad():
            got = fn(*args)
        outs = list(got) if isinstance(got, tuple) else [got]
        if len(outs) != len(want):
            return Verification(False, None, notes + ["the function returned the wrong number of outputs"])
        for g, w in zip(outs, want, strict=True):
            ok, err, why = compare(g, w)
            max_error = max(max_error, err)
            if not ok:
                return Verification(False, max_error, notes + [why or f"max error {err:.3g} vs the reference"])
    return Verification(True, max_error, notes)
