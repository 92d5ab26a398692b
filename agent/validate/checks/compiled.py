"""``compile`` (opt-in): ``torch.compile`` output matches eager (one draw of sizes: a compile of a
small model takes tens of seconds on a CPU, most of it in the C++ compiler)."""

from __future__ import annotations

import torch

from agent.validate.checks.common import CheckFailed, ModuleContext, check, flatten, fmt, max_diff, short_error
from agent.validate.checks.sizes import small_sizes


@check("compile")
def compile_check(ctx: ModuleContext) -> str:
    module = ctx.build().eval()
    method = ctx.spec.get("method")
    backend = ctx.options.get("compile_backend", "inductor")
    try:
        compiled = torch.compile(getattr(module, method) if method else module, backend=backend)
    except Exception as exc:
        raise CheckFailed(f"torch.compile raised {short_error(exc)}") from exc
    batch = ctx.spec["batch_dim"]
    draws = [small_sizes(ctx.spec, **{batch: 2})]
    for i, sizes in enumerate(draws):
        inputs = ctx.inputs(sizes, seed=61 + i)
        with torch.no_grad():
            eager = ctx.call(module, inputs, sizes)
            try:
                got = compiled(**inputs)
            except Exception as exc:
                raise CheckFailed(f"the compiled module raised {short_error(exc)} at {ctx.where(sizes)}") from exc
        for j, (a, b) in enumerate(zip(flatten(got), eager)):
            diff = max_diff(a, b)
            scale = float(b.abs().max()) if b.numel() and b.is_floating_point() else 1.0
            if diff > 1e-4 * (1.0 + scale):
                raise CheckFailed(f"compiled output {j} differs from eager by {fmt(diff)} at {ctx.where(sizes)}")
    where = ", ".join(ctx.where(s) for s in draws)
    return f"torch.compile (backend {backend}) matches eager ({where}, float32, eval mode)"
