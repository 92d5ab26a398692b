"""``ddp`` (opt-in): two processes train the LightningModule under DistributedDataParallel with the
gloo backend on the CPU for a few steps, each on different batches. The ranks must end with the
same parameters, and DDP must not find parameters without gradients (the unused-parameter error
a multi-GPU run would hit)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from agent.validate.checks.common import CheckFailed, check, fmt, short_error

WORLD = 2
STEPS = 3


class _Step(nn.Module):
    """Routes DDP's forward to ``training_step`` so gradient hooks see the real graph."""

    def __init__(self, lit: nn.Module) -> None:
        super().__init__()
        self.lit = lit

    def forward(self, batch: Any, index: int) -> torch.Tensor:
        out = self.lit.training_step(batch, index)
        return out["loss"] if isinstance(out, dict) else out


def _optimizer(configured: Any) -> torch.optim.Optimizer:
    if isinstance(configured, torch.optim.Optimizer):
        return configured
    if isinstance(configured, dict):
        return _optimizer(configured["optimizer"])
    if isinstance(configured, (list, tuple)) and configured:
        return _optimizer(configured[0])
    raise CheckFailed(f"configure_optimizers returned {type(configured).__name__}; no optimizer found")


def _rank_main(rank: int, spec: dict[str, Any], seed: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from agent.validate.checks.training import build, quiet

    torch.set_num_threads(1)
    quiet()
    report: dict[str, Any] = {"rank": rank}
    try:
        dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
        _, lit, dm = build(spec, seed)
        for hook in ("prepare_data", "setup"):
            fn = getattr(dm, hook, None)
            if fn is not None:
                fn() if hook == "prepare_data" else fn("fit")
        batches = []
        for i, batch in enumerate(dm.train_dataloader()):
            if i % WORLD == rank:
                batches.append(batch)
            if len(batches) == STEPS:
                break
        optimizer = _optimizer(lit.configure_optimizers())
        step = _Step(lit)
        names = [n.removeprefix("lit.") for n, p in step.named_parameters() if p.requires_grad]
        model = DistributedDataParallel(step)
        losses = []
        for i, batch in enumerate(batches):
            optimizer.zero_grad()
            try:
                loss = model(batch, i)
                loss.backward()
            except RuntimeError as exc:
                unused = re.search(r"did not receive grad for rank \d+: ([\d ]+)", str(exc))
                if unused:
                    params = [names[int(k)] for k in unused.group(1).split() if int(k) < len(names)]
                    report["unused"] = params
                raise
            optimizer.step()
            losses.append(float(loss.detach()))
        flat = torch.cat([p.detach().flatten().float() for p in lit.parameters()])
        gathered = [torch.zeros_like(flat) for _ in range(WORLD)]
        dist.all_gather(gathered, flat)
        report.update(ok=True, losses=losses, max_diff=float((gathered[0] - gathered[1]).abs().max()))
    except Exception as exc:  # noqa: BLE001 - reported through the file
        report.update(ok=False, error=short_error(exc, 600))
    finally:
        Path(out_dir, f"rank{rank}.json").write_text(json.dumps(report))
        if dist.is_initialized():
            dist.destroy_process_group()


@check("ddp", scope="training")
def ddp(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    import torch.multiprocessing as mp

    spec = message["spec"]
    seed = int(message.get("seed", 0))
    work = Path(tempfile.mkdtemp(prefix="ddp-", dir=os.environ.get("TMPDIR")))
    init_file = str(work / "init")
    try:
        # fork: the ranks inherit the warm imports (torch, Lightning); this process has run no torch op
        # yet, so no thread pool is forked half-way. They use the CPU only (gloo).
        mp.start_processes(_rank_main, args=(spec, seed, init_file, str(work)), nprocs=WORLD, join=True,
                           start_method="fork")
    except Exception as exc:  # a rank crashed outright; its report (if any) says more
        crash = short_error(exc, 300)
    else:
        crash = ""
    reports = []
    for rank in range(WORLD):
        path = work / f"rank{rank}.json"
        reports.append(json.loads(path.read_text()) if path.exists() else {"ok": False, "error": "no report"})
    unused = next((r["unused"] for r in reports if r.get("unused")), None)
    if unused:
        raise CheckFailed(f"DDP found parameters that got no gradient: {', '.join(unused[:10])}; they are unused in "
                          "training_step (delete them, or use them)")
    failed = next((r for r in reports if not r.get("ok")), None)
    if failed is not None:
        raise CheckFailed(f"rank {failed.get('rank', '?')} failed under DDP (gloo, {WORLD} CPU processes): "
                          f"{failed.get('error', crash)}")
    diff = max(r["max_diff"] for r in reports)
    if diff > 1e-5:
        raise CheckFailed(f"after {STEPS} DDP steps the ranks' parameters differ by {fmt(diff)}: gradients are not "
                          "synchronised (parameters created or changed outside the module?)")
    losses = [round(x, 4) for x in reports[0]["losses"]]
    return f"{WORLD} gloo processes, {STEPS} steps: ranks agree (max diff {fmt(diff)}); rank 0 losses {losses}", {}
