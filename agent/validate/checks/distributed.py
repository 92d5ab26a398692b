"""``ddp`` (opt-in): two processes train the LightningModule under DistributedDataParallel with the
gloo backend on the CPU for a few steps, each on different batches. The ranks must end with the
same parameters, and DDP must not find parameters without gradients (the unused-parameter error
a multi-GPU run would hit).

A rank that fails exits non-zero, so its peer is stopped instead of waiting in a collective; the
rendezvous has its own timeout, and the parent gives the ranks a deadline below the check's limit.
When the ranks never get past the rendezvous (a stuck loopback, not the implementation), the check
tries once more with a fresh rendezvous file and says so in its detail."""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
from torch import nn

from agent.validate.checks.common import CheckFailed, check, fmt, short_error

WORLD = 2
STEPS = 3
RENDEZVOUS_S = 60  # gloo's own timeout for init_process_group and collectives
DEADLINE_S = 150  # the parent stops the ranks after this (the check's default limit is 300 s)
ATTEMPTS = 2  # a second try only when no rank got past the rendezvous


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


def _stage(out_dir: str, rank: int, stage: str) -> None:
    """Where the rank is, for the parent to name if it has to stop the ranks."""
    Path(out_dir, f"rank{rank}.stage").write_text(stage)


def _rank_main(rank: int, spec: dict[str, Any], seed: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from agent.validate.checks.training import build, quiet

    torch.set_num_threads(1)
    quiet()
    if "lo" in {name for _, name in socket.if_nameindex()}:
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # the sandbox has no other interface
    report: dict[str, Any] = {"rank": rank}
    try:
        _stage(out_dir, rank, "rendezvous (init_process_group)")
        dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD,
                                timeout=timedelta(seconds=RENDEZVOUS_S))
        _stage(out_dir, rank, "building the LightningModule and data")
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
        _stage(out_dir, rank, "wrapping in DistributedDataParallel (parameter broadcast)")
        model = DistributedDataParallel(step)
        losses = []
        for i, batch in enumerate(batches):
            _stage(out_dir, rank, f"training step {i} (gradient all-reduce)")
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
        _stage(out_dir, rank, "comparing parameters (all_gather)")
        flat = torch.cat([p.detach().flatten().float() for p in lit.parameters()])
        gathered = [torch.zeros_like(flat) for _ in range(WORLD)]
        dist.all_gather(gathered, flat)
        report.update(ok=True, losses=losses, max_diff=float((gathered[0] - gathered[1]).abs().max()))
    except Exception as exc:  # noqa: BLE001 - reported through the file
        report.update(ok=False, error=short_error(exc, 600))
    partial = Path(out_dir, f"rank{rank}.json.partial")
    partial.write_text(json.dumps(report))
    os.replace(partial, Path(out_dir, f"rank{rank}.json"))  # the parent never reads half a report
    if not report["ok"]:
        os._exit(1)  # non-zero: the parent stops the peer rather than letting it wait in a collective
    try:  # leave only once the peer has its result too
        dist.barrier()
    except Exception:  # noqa: BLE001 - the report is written; nothing more depends on the peer
        pass
    _stage(out_dir, rank, "done")
    # no destroy_process_group and no interpreter teardown: gloo's and the FileStore's clean-up can
    # wait forever on a peer that has already gone (seen: one rank in a futex after both reported)
    os._exit(0)


def _run_ranks(spec: dict[str, Any], seed: int, work: Path, deadline_s: float) -> tuple[list[dict[str, Any]], str]:
    """Start the ranks (fork: they inherit the warm imports) and wait up to ``deadline_s``.

    Returns each rank's report and, when the ranks had to be stopped or crashed, why."""
    import torch.multiprocessing as mp

    init_file = str(work / "init")
    # this process has run no torch op, so no thread pool is forked half-way; the ranks use gloo on the CPU
    context = mp.start_processes(_rank_main, args=(spec, seed, init_file, str(work)), nprocs=WORLD, join=False,
                                 start_method="fork")
    stopped = ""
    end = time.monotonic() + deadline_s
    try:
        while not context.join(timeout=0.5):
            if all((work / f"rank{rank}.json").exists() for rank in range(WORLD)):
                break  # every rank has reported; whatever is left is teardown
            if time.monotonic() > end:
                stages = []
                for rank in range(WORLD):
                    path = work / f"rank{rank}.stage"
                    stages.append(f"rank {rank} at {path.read_text() if path.exists() else 'start-up'}")
                stopped = f"stopped after {deadline_s:.0f} s: " + "; ".join(stages)
                break
    except Exception as exc:  # a rank failed; its report says more
        stopped = short_error(exc, 300)
    finally:
        for process in context.processes:
            if process.is_alive():
                process.kill()
            process.join(5)
    reports = []
    for rank in range(WORLD):
        path = work / f"rank{rank}.json"
        reports.append(json.loads(path.read_text()) if path.exists() else
                       {"rank": rank, "ok": False, "error": stopped or "no report", "stopped": True})
    return reports, stopped


def _past_rendezvous(work: Path) -> bool:
    for rank in range(WORLD):
        path = work / f"rank{rank}.stage"
        if path.exists() and not path.read_text().startswith("rendezvous"):
            return True
    return False


@check("ddp", scope="training")
def ddp(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    spec = message["spec"]
    seed = int(message.get("seed", 0))
    limit = float(message.get("timeout_s") or 300)
    deadline = max(10.0, min(DEADLINE_S, 0.8 * limit / ATTEMPTS))
    notes = []
    for attempt in range(1, ATTEMPTS + 1):
        work = Path(tempfile.mkdtemp(prefix=f"ddp{attempt}-", dir=os.environ.get("TMPDIR")))
        reports, stopped = _run_ranks(spec, seed, work, deadline)
        if all(r.get("ok") for r in reports) or _past_rendezvous(work) or attempt == ATTEMPTS:
            break
        notes.append(f"attempt {attempt}: the ranks never met ({stopped or 'rendezvous failed'}); retried")
    unused = next((r["unused"] for r in reports if r.get("unused")), None)
    if unused:
        if all(re.search(r"\.\d+\.", name) for name in unused) and any("expert" in name for name in unused):
            advice = ("routed experts that no token of a rank's batch chose: train with find_unused_parameters=True "
                      "(Lightning: strategy='ddp_find_unused_parameters_true')")
        else:
            advice = "they are unused in training_step (delete them, or use them)"
        raise CheckFailed(f"DDP found parameters that got no gradient: {', '.join(unused[:10])}; {advice}")
    failed = next((r for r in reports if not r.get("ok")), None)
    if failed is not None:
        # the rank that failed itself has the cause; its peer was stopped, or only saw the connection drop
        own = [r for r in reports if not r.get("ok") and not r.get("stopped")]
        failed = next((r for r in own if "Connection" not in r.get("error", "")), own[0] if own else failed)
        raise CheckFailed(f"rank {failed.get('rank', '?')} failed under DDP (gloo, {WORLD} CPU processes): "
                          f"{failed.get('error') or stopped}" + "".join(f" [{n}]" for n in notes))
    diff = max(r["max_diff"] for r in reports)
    if diff > 1e-5:
        raise CheckFailed(f"after {STEPS} DDP steps the ranks' parameters differ by {fmt(diff)}: gradients are not "
                          "synchronised (parameters created or changed outside the module?)")
    losses = [round(x, 4) for x in reports[0]["losses"]]
    retried = f" ({'; '.join(notes)})" if notes else ""
    return (f"{WORLD} gloo processes, {STEPS} steps: ranks agree (max diff {fmt(diff)}); rank 0 losses {losses}"
            f"{retried}"), {}
