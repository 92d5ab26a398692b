"""``import`` (the target imports and builds) and ``shapes`` (outputs match the declared patterns)."""

from __future__ import annotations

from typing import Any

import torch

from agent.validate.checks.common import CheckFailed, ModuleContext, check, load_object, short_error
from agent.validate.checks.sizes import describe, shape_draws
from agent.validate.patterns import expected_shape


@check("import")
def import_module(ctx: ModuleContext) -> tuple[str, dict[str, Any]]:
    module = ctx.build()
    params = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    if ctx.spec.get("reference"):
        try:
            reference = load_object(ctx.spec["reference"])
        except Exception as exc:
            raise CheckFailed(f"reference {ctx.spec['reference']} cannot be imported: {short_error(exc)}") from exc
        if not callable(reference):
            raise CheckFailed(f"reference {ctx.spec['reference']} is not callable")
    init = ", ".join(f"{k}={v!r}" for k, v in ctx.spec["init"].items())
    detail = f"{type(module).__name__}({init}): {params:,} parameters ({trainable:,} trainable)"
    return detail, {"parameters": params, "trainable": trainable}


def _compare(ctx: ModuleContext, outputs: list[torch.Tensor], sizes: dict[str, int], label: str) -> None:
    patterns = ctx.spec.get("output") or []
    if len(outputs) < len(patterns):
        raise CheckFailed(f"forward returned {len(outputs)} tensor(s) but output declares {len(patterns)} "
                          f"at sizes {describe(sizes, ctx.spec)} ({label} draw)")
    for i, (tensor, pattern) in enumerate(zip(outputs, patterns)):
        want = expected_shape(pattern, sizes)
        got = tuple(tensor.shape)
        if got != want:
            which = f"output {i} " if len(patterns) > 1 else "output "
            raise CheckFailed(f"{which}has shape {got} but {pattern!r} means {want} "
                              f"at sizes {describe(sizes, ctx.spec)} ({label} draw)")


@check("shapes")
def shapes(ctx: ModuleContext) -> tuple[str, dict[str, Any]]:
    module = ctx.build().eval()
    draws = shape_draws(ctx.spec, ctx.seed)
    ran = []
    for i, (label, sizes) in enumerate(draws):
        inputs = ctx.inputs(sizes, seed=100 + i)
        with torch.no_grad():
            outputs = ctx.call(module, inputs, sizes, what=f"forward ({label} draw)")
        _compare(ctx, outputs, sizes, label)
        ran.append(describe(sizes, ctx.spec))
    declared = " + ".join(repr(p) for p in ctx.spec.get("output") or []) or "no output pattern declared"
    return f"{declared} held at {len(ran)} draws: " + "; ".join(ran), {"draws": ran}
