"""Benchmark: full validation of a small transformer block with a training section.

Validates tests/fixtures/validate/block (a pre-norm transformer block with a reference, a one-block
causal LM over tokens, and a 60-step Lightning smoke run) with every default check, several times,
and prints the wall time per run and the median seconds per check. The target is under 20 s wall
on a 2-core CPU machine. It also prints the CPU seconds the whole sandbox tree used (parent
excluded): on a busy shared machine wall time mostly measures the other tenants, while the CPU
time of this (mostly single-threaded) run approximates its wall time on an idle one.

    python benchmarks/validate_block.py [--runs 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "validate" / "block"
TARGET_S = 20.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", dest="json_path", default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from agent.validate import validate_project

    walls, starts, cpus, per_check = [], [], [], defaultdict(list)
    passed = True
    for run in range(args.runs):
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = validate_project(FIXTURE)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2))
        env = report.environment
        walls.append(env["wall_seconds"])
        starts.append(env.get("worker_start_s") or 0.0)
        passed &= report.passed
        for check in report.checks:
            per_check[f"{check.target}:{check.name}"].append(check.seconds)
        print(f"run {run + 1}: {env['wall_seconds']:.2f} s wall, {cpus[-1]:.2f} CPU-s in the sandbox (worker start "
              f"{env.get('worker_start_s')} s, {len(report.checks)} checks, passed={report.passed}, "
              f"load average {load:.2f})")
    figures = {
        "wall_s_median": statistics.median(walls),
        "wall_s_runs": walls,
        "worker_start_s_median": statistics.median(starts),
        "sandbox_cpu_s_median": statistics.median(cpus),
        "checks_s_median": {k: round(statistics.median(v), 3) for k, v in per_check.items()},
        "passed": passed,
        "target_s": TARGET_S,
        "cpus": os.cpu_count(),
    }
    print(f"\nmedian wall {figures['wall_s_median']:.2f} s (target < {TARGET_S:.0f} s); sandbox CPU "
          f"{figures['sandbox_cpu_s_median']:.2f} s; worker start {figures['worker_start_s_median']:.2f} s")
    for name, seconds in sorted(figures["checks_s_median"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:28s} {seconds:7.3f} s")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2))
    return 0 if passed and figures["wall_s_median"] < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
