"""Time ``paper2code generate`` stage by stage (target: the Transformer, validation included, under 60 s).

    python benchmarks/generate_speed.py                              # ../shared/papers/transformer
    python benchmarks/generate_speed.py examples/tiny_lm PAPER ...   # any papers
    python benchmarks/generate_speed.py --json

Runs the stages the command runs (ingest, plan, draft, validate) in this process, into a temporary
folder, without the git commit, and prints the seconds of each with the validation verdict.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "papers" / "transformer"


def time_generate(paper_path: Path, out: Path) -> dict[str, object]:
    """Seconds per stage and the validation verdict for one paper."""
    from agent.draft.project import draft_project
    from agent.ingest import load_paper
    from agent.plan import plan_paper
    from agent.types import ValidateOptions
    from agent.validate import validate_project

    times: dict[str, float] = {}
    started = time.perf_counter()
    paper = load_paper(paper_path)
    times["ingest"] = time.perf_counter() - started
    mark = time.perf_counter()
    plan = plan_paper(paper)
    times["plan"] = time.perf_counter() - mark
    mark = time.perf_counter()
    draft_project(plan, paper, out)
    times["draft"] = time.perf_counter() - mark
    mark = time.perf_counter()
    report = validate_project(out, options=ValidateOptions(device="cpu"))
    times["validate"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    failed = [f"{c.target}/{c.name}" for c in report.failures()]
    return {"paper": str(paper_path), "family": plan.family, "passed": report.passed, "checks": len(report.checks),
            "failed": failed, "seconds": {k: round(v, 2) for k, v in times.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("papers", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="p2c-bench-") as tmp:
        for i, paper in enumerate(args.papers):
            results.append(time_generate(paper, Path(tmp) / f"project{i}"))
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        header = ("paper", "family", "ingest", "plan", "draft", "validate", "total")
        print("{:<45} {:<15} {:>7} {:>6} {:>6} {:>9} {:>7}  verdict".format(*header))
        for r in results:
            s = r["seconds"]
            verdict = f"passed ({r['checks']} checks)" if r["passed"] else f"FAILED {r['failed']}"
            print(f"{str(r['paper'])[-45:]:<45} {r['family']:<15} {s['ingest']:7.2f} {s['plan']:6.2f} "
                  f"{s['draft']:6.2f} {s['validate']:9.2f} {s['total']:7.2f}  {verdict}")
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
