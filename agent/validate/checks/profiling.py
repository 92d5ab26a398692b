"""``profile``: parameters, FLOPs (torch.utils.flop_counter), forward and forward+backward latency
and peak memory. Reported, never judged: when it cannot measure, the check is skipped."""

from __future__ import annotations

import resource
import statistics
import time
from typing import Any

import torch

from agent.validate.checks.common import CheckFailed, CheckSkipped, ModuleContext, check, short_error
from agent.validate.checks.sizes import small_sizes

REPEATS = 5


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(fn: Any, device: str) -> float:
    times = []
    for _ in range(REPEATS):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


@check("profile")
def profile(ctx: ModuleContext) -> tuple[str, dict[str, Any]]:
    from torch.utils.flop_counter import FlopCounterMode

    try:
        module = ctx.build()
        sizes = small_sizes(ctx.spec, **{ctx.spec["batch_dim"]: 4})
        inputs = ctx.inputs(sizes, seed=71)
        device = ctx.device
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()

        def forward() -> None:
            with torch.no_grad():
                ctx.call(module.eval(), inputs, sizes)

        def train_step() -> None:
            module.train().zero_grad(set_to_none=True)
            outs = [o for o in ctx.call(module, inputs, sizes) if o.is_floating_point() and o.requires_grad]
            if outs:
                sum(o.float().sum() for o in outs).backward()

        with FlopCounterMode(display=False) as fwd_counter:
            forward()
        with FlopCounterMode(display=False) as step_counter:
            train_step()
        forward()
        train_step()  # warm-up
        data = {
            "sizes": ctx.where(sizes),
            "device": device,
            "parameters": sum(p.numel() for p in module.parameters()),
            "trainable": sum(p.numel() for p in module.parameters() if p.requires_grad),
            "forward_flops": int(fwd_counter.get_total_flops()),
            "train_step_flops": int(step_counter.get_total_flops()),
            "forward_ms": round(_timed(forward, device), 3),
            "train_step_ms": round(_timed(train_step, device), 3),
        }
        if device.startswith("cuda"):
            data["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        else:
            data["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except (CheckFailed, Exception) as exc:  # reported, not judged
        raise CheckSkipped(f"could not profile: {exc if isinstance(exc, CheckFailed) else short_error(exc)}") from exc
    if "peak_memory_mb" in data:
        memory = f"peak GPU {data['peak_memory_mb']} MB"
    else:
        memory = f"peak RSS {data['peak_rss_mb']} MB"
    detail = (f"{data['parameters']:,} params; {data['forward_flops'] / 1e6:.3g} MFLOP forward, "
              f"{data['train_step_flops'] / 1e6:.3g} MFLOP fwd+bwd; {data['forward_ms']} ms forward, "
              f"{data['train_step_ms']} ms fwd+bwd; {memory} ({data['sizes']}, {device})")
    return detail, data
