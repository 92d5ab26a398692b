"""``finite`` (no NaN/inf across input scales and under bf16 autocast) and ``determinism`` (same
input -> same output in eval mode, same seed -> same initialisation, inputs left untouched)."""

from __future__ import annotations

import torch

from agent.validate.checks.common import CheckFailed, ModuleContext, check, fmt, max_diff, short_error
from agent.validate.checks.sizes import small_sizes

SCALES = (("x1", 1.0), ("x100", 100.0), ("x1e-3", 1e-3), ("zeros", 0.0))


def _nonfinite(outputs: list[torch.Tensor]) -> str:
    for i, out in enumerate(outputs):
        if not out.is_floating_point():
            continue
        nan = int(torch.isnan(out).sum())
        inf = int(torch.isinf(out).sum())
        if nan or inf:
            name = f"output {i}" if len(outputs) > 1 else "the output"
            return f"{name} has {nan} NaN and {inf} inf of {out.numel()} values"
    return ""


@check("finite")
def finite(ctx: ModuleContext) -> str:
    module = ctx.build().eval()
    sizes = small_sizes(ctx.spec, **{ctx.spec["batch_dim"]: 2})
    done = []
    for label, scale in SCALES:
        inputs = ctx.inputs(sizes, scale=scale, seed=11)
        with torch.no_grad():
            outputs = ctx.call(module, inputs, sizes, what=f"forward at input scale {label}")
        problem = _nonfinite(outputs)
        if problem:
            raise CheckFailed(f"{problem} at input scale {label} (float32, eval mode, {ctx.where(sizes)}); "
                              "an unstabilised exp/softmax, a division without eps or a log of 0 is the usual cause")
        done.append(label)
    device = "cuda" if ctx.device.startswith("cuda") else "cpu"
    note = "bf16 autocast"
    try:
        with torch.no_grad(), torch.autocast(device_type=device, dtype=torch.bfloat16):
            outputs = ctx.call(module, ctx.inputs(sizes, seed=11), sizes, what="forward under bf16 autocast")
    except CheckFailed as exc:  # an op without bf16 support is reported, not judged
        note = f"bf16 autocast not supported here ({str(exc)[:160]})"
    else:
        problem = _nonfinite(outputs)
        if problem:
            raise CheckFailed(f"{problem} under bf16 autocast ({ctx.where(sizes)}) while float32 is finite: "
                              "compute the unstable part in float32")
    return f"finite at input scales {', '.join(done)} and {note} ({ctx.where(sizes)})"


@check("determinism")
def determinism(ctx: ModuleContext) -> str:
    module = ctx.build().eval()
    sizes = small_sizes(ctx.spec, **{ctx.spec["batch_dim"]: 2})
    inputs = ctx.inputs(sizes, seed=21)
    before = {k: v.clone() for k, v in inputs.items()}
    with torch.no_grad():
        first = ctx.call(module, inputs, sizes)
        changed = [k for k in inputs if not torch.equal(inputs[k], before[k])]
        if changed:
            raise CheckFailed(f"forward modified its input {changed[0]!r} in place ({ctx.where(sizes)})")
        second = ctx.call(module, inputs, sizes)
    for i, (a, b) in enumerate(zip(first, second)):
        diff = max_diff(a, b)
        scale = float(a.detach().abs().max()) if a.numel() and a.is_floating_point() else 1.0
        if diff > 1e-6 * (1.0 + scale):
            name = f"output {i}" if len(first) > 1 else "the output"
            raise CheckFailed(f"eval mode, same input twice: {name} differs by {fmt(diff)} ({ctx.where(sizes)}); "
                              "dropout active in eval (training=True), or random noise in forward")
    seed = ctx.seed + 12345
    one = ctx.build(seed=seed).state_dict()
    two = ctx.build(seed=seed).state_dict()
    if set(one) != set(two):
        raise CheckFailed("two builds with the same seed have different state_dict keys: "
                          f"{sorted(set(one) ^ set(two))[:6]}")
    for name, tensor in one.items():
        other = two[name]
        if tensor.shape != other.shape:
            raise CheckFailed(f"same seed, different shapes for {name}: {tuple(tensor.shape)} vs {tuple(other.shape)}")
        try:
            same = torch.equal(tensor, other)
        except Exception as exc:  # noqa: BLE001 - exotic tensor types
            raise CheckFailed(f"cannot compare {name}: {short_error(exc)}") from exc
        if not same:
            diff = max_diff(tensor, other) if tensor.is_floating_point() else float("nan")
            raise CheckFailed(f"same seed, different initial values of tensor {name!r} (max diff {fmt(diff)}): "
                              "initialisation uses an unseeded generator (random, numpy, time)")
    return f"eval outputs repeat exactly; same seed gives the same {len(one)} tensors ({ctx.where(sizes)})"
