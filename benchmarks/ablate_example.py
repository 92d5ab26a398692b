"""Acceptance run of ``paper2code ablate`` on the generated implementation of a bundled example.

Generates examples/tiny_lm offline (``paper2code generate --no-commit``, timed apart), then ablates two
factors, the normalisation (RMSNorm, the paper's, against LayerNorm) and the positions (RoPE, the paper's,
against sinusoidal), 2 x 2 cells x 3 seeds at a small step count, through the real command line. Prints
the wall time, the table of means, intervals and verdicts, and the plots' paths; then trains the baseline's
seed 0 once more and checks that its metric curve is the same bit for bit.

    python benchmarks/ablate_example.py                       # tiny_lm, 3 seeds, 100 steps
    python benchmarks/ablate_example.py --max-steps 60 --seeds 3 --limit 600 --keep /tmp/ablate
    python benchmarks/ablate_example.py --json

Exit 1 when the ablation takes longer than --limit seconds, a run fails, or the rerun differs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(cmd: list[str]) -> tuple[int, float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    return proc.returncode, time.perf_counter() - started, proc.stdout + proc.stderr


def rerun_baseline(out: Path) -> tuple[bool, str]:
    """Train the baseline cell's seed 0 again from its saved configuration; compare the curves exactly."""
    from agent.experiments.runner import Runner, RunRequest
    from agent.experiments.variants import fingerprint
    from agent.validate import load_manifest

    data = json.loads((out / "results.json").read_text())
    baseline = data["cells"][0]["id"]
    first = next(r for r in data["runs"] if r["cell"] == baseline and r["seed"] == 0)
    config = first["config"]
    source = out / "variants" / config["source"] if config["source"] != "." else Path(data["implementation"])
    training = load_manifest(source).training
    request = RunRequest(
        cell=baseline, seed=0, source=source, fingerprint=fingerprint(source),
        training={"module": training.module, "datamodule": training.datamodule, "init": training.init,
                  "datamodule_init": training.datamodule_init},
        overrides=config["overrides"], max_steps=config["max_steps"], metric=first["metric"],
        val_every=config["val_every"], result_path=out / "rerun" / "seed-0.json",
    )
    (again,) = Runner(out / "rerun" / "scratch").run([request])
    same = again.status == "ok" and again.curve == first["curve"]
    return same, f"{len(first['curve'])} points, {'identical' if same else 'DIFFERENT'} ({again.status})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="tiny_lm")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-steps", type=int, default=100)
    parser.add_argument("--metric", default="val_loss")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds the ablation may take")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temporary one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="p2c-ablate-bench-"))
    folder = work / args.example
    shutil.rmtree(folder, ignore_errors=True)
    exe = [sys.executable, "-m", "agent"]
    rc, gen_s, text = _run([*exe, "generate", str(REPO / "examples" / args.example), "--out", str(folder),
                            "--no-commit"])
    if rc not in (0, 1):
        print(text, file=sys.stderr)
        return 1
    cmd = [*exe, "ablate", str(folder), "--factor", "norm=rmsnorm,layernorm", "--factor", "pos=rope,sinusoidal",
           "--seeds", str(args.seeds), "--max-steps", str(args.max_steps), "--metric", args.metric]
    rc, ablate_s, text = _run(cmd)
    out = folder / ".paper2code" / "experiments" / "ablate"
    if not (out / "results.json").is_file():
        print(text, file=sys.stderr)
        return 1
    same, detail = rerun_baseline(out)
    data = json.loads((out / "results.json").read_text())
    report = (out / "report.md").read_text()
    results = report[report.index("## Verdicts"):report.index("## Cost")].strip()
    summary = {
        "example": args.example, "generate_s": round(gen_s, 1), "ablate_s": round(ablate_s, 1),
        "limit_s": args.limit, "runs": len(data["runs"]), "failed": sum(r["status"] != "ok" for r in data["runs"]),
        "jobs": data["environment"].get("jobs"), "reproducible": same, "rerun": detail,
        "report": str(out / "report.md"),
        "plots": [str(out / "plots" / "curves.png"), str(out / "plots" / "means.png")],
        "cells": {s["cell"]: {"mean": s["mean"], "std": s["std"], "ci_t": s["ci_t"]} for s in data["stats"]},
        "significant": [c["cell"] for c in data["comparisons"] if c["significant"]],
    }
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(f"generate {args.example}: {gen_s:.1f}s (validation included, not counted)")
        print(f"ablate: {len(data['runs'])} runs ({summary['failed']} failed), {ablate_s:.1f}s wall "
              f"(limit {args.limit:.0f}s), {summary['jobs']} at once; exit code {rc}")
        print(results)
        print(f"rerun of the baseline's seed 0: {detail}")
        print("\n".join(summary["plots"]))
        print(summary["report"])
    ok = rc == 0 and ablate_s <= args.limit and same and not summary["failed"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
