"""Benchmark: ``paper2code eval DIR`` on N tiny implementations, one at a time and in parallel.

Writes N copies of a small RMSNorm implementation (a manifest, the module and an independent
reference) to a temporary folder and validates them all with every default check, first with
``--jobs 1`` and then with one job per core, reporting the wall time of each, the speedup ratio and
how many cores the sandboxes kept busy (CPU seconds of the whole sandbox tree / wall seconds). On a
busy shared machine the wall times also measure the other tenants; the core figure shows whether the
parallel run used the cores it was given.

    python benchmarks/eval_parallel.py [--n 10] [--jobs 2] [--checks a,b] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

MODEL = '''\
"""RMS normalisation (Zhang and Sennrich, 2019): x / sqrt(mean(x^2) + eps) * g."""

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, *, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight
'''

REFERENCE = '''\
import math

import torch


def rms_norm(module, x):
    rms = torch.linalg.vector_norm(x, dim=-1, keepdim=True) / math.sqrt(x.shape[-1])
    return x / torch.sqrt(rms**2 + module.eps) * module.weight
'''


def write_implementations(root: Path, n: int) -> None:
    for i in range(n):
        name = f"norm_{i:02d}"
        package = root / name / name
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "model.py").write_text(MODEL)
        (package / "ref.py").write_text(REFERENCE)
        (root / name / "paper2code.toml").write_text(textwrap.dedent(f"""\
            [project]
            name = "{name}"

            [[module]]
            name = "norm"
            target = "{name}.model:RMSNorm"
            init = {{ dim = 16 }}
            inputs = {{ x = "b n d" }}
            dims = {{ d = 16 }}
            output = "b n d"
            properties = ["batch_independent", "causal"]
            reference = "{name}.ref:rms_norm"
            """))


def timed(root: Path, jobs: int, checks: list[str] | None) -> dict[str, float | int | bool]:
    from agent.evaluate.implementations import evaluate_implementations

    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    results = evaluate_implementations(root, checks=checks, jobs=jobs)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {"jobs": jobs, "wall_s": round(wall, 2), "sandbox_cpu_s": round(cpu, 2),
            "cores_busy": round(cpu / wall, 2), "passed": all(r.status == "pass" for r in results),
            "load_before": round(load, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="implementations (default 10)")
    parser.add_argument("--jobs", type=int, default=None, help="parallel jobs (default: one per core)")
    parser.add_argument("--checks", default=None, help="only these checks (default: every default check)")
    parser.add_argument("--json", dest="json_path", default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from agent.evaluate.implementations import default_jobs

    jobs = args.jobs or default_jobs()
    checks = [c for c in args.checks.split(",") if c] if args.checks else None
    with tempfile.TemporaryDirectory(prefix="p2c-eval-bench-") as tmp:
        root = Path(tmp)
        write_implementations(root, args.n)
        serial = timed(root, 1, checks)
        print(f"jobs=1: {serial['wall_s']}s wall, {serial['cores_busy']} cores busy", flush=True)
        parallel = timed(root, jobs, checks)
        print(f"jobs={jobs}: {parallel['wall_s']}s wall, {parallel['cores_busy']} cores busy", flush=True)
    figures = {"implementations": args.n, "cores": default_jobs(), "checks": checks or "default",
               "serial": serial, "parallel": parallel,
               "speedup": round(float(serial["wall_s"]) / float(parallel["wall_s"]), 2)}
    print(f"speedup {figures['speedup']}x with {jobs} jobs on {figures['cores']} cores "
          f"({args.n} implementations; all passed: {serial['passed'] and parallel['passed']})")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if serial["passed"] and parallel["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
