"""``batch_independent``, ``causal`` and ``reference``: properties checked in float64, eval mode."""

from __future__ import annotations

from typing import Any

import torch

from agent.validate.checks.common import CheckFailed, ModuleContext, check, flatten, fmt, load_object, short_error
from agent.validate.checks.sizes import small_sizes
from agent.validate.patterns import axis_index

TOL = 1e-9


def _replace(ctx: ModuleContext, inputs: dict[str, torch.Tensor], fresh: dict[str, torch.Tensor], axis: str,
             index: Any) -> dict[str, torch.Tensor]:
    """Copy of ``inputs`` whose entries along ``axis`` at ``index`` come from ``fresh``."""
    out = {}
    for spec in ctx.spec["inputs"]:
        name = spec["name"]
        dim = axis_index(spec["shape"], axis)
        tensor = inputs[name].clone()
        if dim is not None:
            where = [slice(None)] * tensor.dim()
            where[dim] = index
            tensor[tuple(where)] = fresh[name][tuple(where)]
        out[name] = tensor
    return out


def _outputs_with(ctx: ModuleContext, outputs: list[torch.Tensor], axis: str) -> list[tuple[int, int]]:
    """(output index, dim of ``axis``) for every declared output that has the axis."""
    found = []
    for i, pattern in enumerate(ctx.spec.get("output") or []):
        dim = axis_index(pattern, axis)
        if dim is not None and i < len(outputs):
            found.append((i, dim))
    return found


def _worst(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max()) if a.numel() else 0.0


def _scale(tensors: list[torch.Tensor]) -> float:
    return max((float(t.abs().max()) for t in tensors if t.numel()), default=1.0)


def _run(ctx: ModuleContext, module: torch.nn.Module, inputs: dict[str, torch.Tensor],
         sizes: dict[str, int]) -> list[torch.Tensor]:
    with torch.no_grad():
        return [t.double() if t.is_floating_point() else t for t in ctx.call(module, inputs, sizes)]


@check("batch_independent")
def batch_independent(ctx: ModuleContext) -> str:
    axis = ctx.spec["batch_dim"]
    module = ctx.build().double().eval()
    sizes = small_sizes(ctx.spec, **{axis: 4})
    batch = sizes[axis]
    inputs = ctx.inputs(sizes, dtype=torch.float64, seed=31)
    fresh = ctx.inputs(sizes, dtype=torch.float64, seed=32)
    base = _run(ctx, module, inputs, sizes)
    tol = TOL * (1.0 + _scale(base))
    for j in (batch - 1, 0):
        changed = _run(ctx, module, _replace(ctx, inputs, fresh, axis, j), sizes)
        for out_i, dim in _outputs_with(ctx, base, axis):
            for i in range(batch):
                if i == j:
                    continue
                diff = _worst(base[out_i].select(dim, i), changed[out_i].select(dim, i))
                if diff > tol:
                    raise CheckFailed(
                        f"output for sample {i} changed by {fmt(diff)} when only sample {j}'s input changed "
                        f"({ctx.where(sizes)}, float64, eval mode): the module mixes the batch (a reduction, "
                        "softmax or einsum over the batch axis, or a reshape merging batch with another axis)")
    return f"samples independent ({ctx.where(sizes)}, float64, eval mode)"


@check("causal")
def causal(ctx: ModuleContext) -> str:
    axis = ctx.spec["seq_dim"]
    batch_axis = ctx.spec["batch_dim"]
    module = ctx.build().double().eval()
    sizes = small_sizes(ctx.spec, **{axis: 6, batch_axis: 2})
    length = sizes[axis]
    inputs = ctx.inputs(sizes, dtype=torch.float64, seed=41)
    fresh = ctx.inputs(sizes, dtype=torch.float64, seed=42)
    base = _run(ctx, module, inputs, sizes)
    tol = TOL * (1.0 + _scale(base))
    for t in sorted({0, length // 2, length - 2}):
        if t < 0 or t + 1 >= length:
            continue
        changed = _run(ctx, module, _replace(ctx, inputs, fresh, axis, slice(t + 1, None)), sizes)
        for out_i, dim in _outputs_with(ctx, base, axis):
            diff = _worst(base[out_i].narrow(dim, 0, t + 1), changed[out_i].narrow(dim, 0, t + 1))
            if diff > tol:
                raise CheckFailed(
                    f"output at positions <= {t} changed by {fmt(diff)} when only inputs after position {t} "
                    f"changed ({ctx.where(sizes)}, float64, eval mode): future positions leak (mask missing or "
                    "off by one, a fill value that is not -inf, or a reduction over the sequence)")
    return f"no output depends on later positions ({ctx.where(sizes)}, float64, eval mode)"


@check("reference")
def reference(ctx: ModuleContext) -> str:
    try:
        ref = load_object(ctx.spec["reference"])
    except Exception as exc:
        raise CheckFailed(f"reference {ctx.spec['reference']} cannot be imported: {short_error(exc)}") from exc
    module = ctx.build().double().eval()
    sizes = small_sizes(ctx.spec, **{ctx.spec["batch_dim"]: 2})
    inputs = ctx.inputs(sizes, dtype=torch.float64, seed=51)
    got = _run(ctx, module, inputs, sizes)
    try:
        with torch.no_grad():
            expected = [t.double() if t.is_floating_point() else t
                        for t in flatten(ref(module, **{k: v.clone() for k, v in inputs.items()}))]
    except Exception as exc:
        raise CheckFailed(f"reference {ctx.spec['reference']} raised {short_error(exc)} at {ctx.where(sizes)}") from exc
    if not expected:
        raise CheckFailed(f"reference {ctx.spec['reference']} returned no tensor")
    rtol, atol = ctx.spec["rtol"], ctx.spec["atol"]
    for i, (a, b) in enumerate(zip(got, expected)):
        name = f"output {i}" if len(expected) > 1 else "the output"
        if a.shape != b.shape:
            raise CheckFailed(f"{name} has shape {tuple(a.shape)}, the reference {tuple(b.shape)} "
                              f"at {ctx.where(sizes)}")
        if not a.is_floating_point():
            if not torch.equal(a, b):
                raise CheckFailed(f"{name} differs from the reference at {ctx.where(sizes)}")
            continue
        excess = (a - b).abs() - (atol + rtol * b.abs())
        excess = torch.nan_to_num(excess, nan=float("inf"))
        if bool((excess > 0).any()):
            worst = int(excess.flatten().argmax())
            index = tuple(int(k) for k in torch.unravel_index(torch.tensor(worst), a.shape))
            diff = float(torch.nan_to_num((a - b).abs(), nan=float("inf")).max())
            raise CheckFailed(
                f"{name} differs from {ctx.spec['reference']}(module, **inputs) by up to {fmt(diff)} "
                f"(max |expected| {fmt(float(b.abs().max()))}, rtol {rtol:g}, atol {atol:g}) at {ctx.where(sizes)}; "
                f"worst at index {index}: got {float(a[index]):.8g}, expected {float(b[index]):.8g}")
    return f"equals {ctx.spec['reference']} within rtol {rtol:g}, atol {atol:g} ({ctx.where(sizes)}, float64)"
