"""Run the equation compiler over every display equation of the ResearchCodeBench papers.

    python benchmarks/equations_rcb.py [--papers ../shared/papers/rcb] [--json out.json] [-v]

Each paper is read through ``agent.ingest.load_paper`` (macros expanded), every display
equation is compiled with no shape hints, and the outcome is classified: ``verified``,
``unverified`` (compiled, numeric check failed), ``unsupported`` (UnsupportedNotation naming the
construct), ``rejected`` (another UserError, e.g. inconsistent shapes) or ``crash`` (any other
exception: a bug). Prints a table per paper, the constructs most often refused, and timings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agent.equations import compile_equation  # noqa: E402
from agent.errors import UnsupportedNotation, UserError  # noqa: E402
from agent.ingest import load_paper  # noqa: E402


def classify(latex: str) -> tuple[str, str, float]:
    start = time.perf_counter()
    try:
        result = compile_equation(latex)
    except UnsupportedNotation as exc:
        return "unsupported", str(exc), time.perf_counter() - start
    except UserError as exc:
        return "rejected", str(exc), time.perf_counter() - start
    except Exception as exc:  # a bug in the compiler
        return "crash", f"{type(exc).__name__}: {exc}", time.perf_counter() - start
    elapsed = time.perf_counter() - start
    if result.verified:
        return "verified", result.name, elapsed
    return "unverified", "; ".join(result.notes[-1:]), elapsed


def construct(message: str) -> str:
    """The construct a refusal names, for grouping: drop the equation text after ' in '."""
    message = re.sub(r" in .*$", "", message)
    message = re.sub(r"\{[^}]*\}", "{...}", message)
    return message[:90]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default=str(REPO.parent / "shared" / "papers" / "rcb"))
    parser.add_argument("--json", default=None, help="write every outcome to this file")
    parser.add_argument("--only", default=None, help="comma-separated paper folders to run (default: all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every equation's outcome")
    args = parser.parse_args()

    root = Path(args.papers)
    papers = sorted(p for p in root.iterdir() if (p / "paper.tex").exists())
    if args.only:
        papers = [p for p in papers if p.name in args.only.split(",")]
    if not papers:
        print(f"no papers under {root}", file=sys.stderr)
        return 2
    rows = []
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    times: list[float] = []
    print(f"{'paper':32} {'eqs':>4} {'verified':>8} {'unverif':>7} {'unsupp':>6} {'reject':>6} {'crash':>5}")
    for paper_dir in papers:
        paper = load_paper(paper_dir / "paper.tex")
        counts: Counter[str] = Counter()
        for eq in paper.equations:
            status, detail, seconds = classify(eq.latex)
            counts[status] += 1
            times.append(seconds)
            if status in ("unsupported", "rejected", "crash", "unverified"):
                reasons[f"{status}: {construct(detail)}"] += 1
            rows.append({"paper": paper_dir.name, "id": eq.id, "number": eq.number, "latex": eq.latex,
                         "status": status, "detail": detail, "seconds": round(seconds, 4)})
            if args.verbose:
                print(f"  {eq.id:6} {status:11} {detail[:100]}  <- {' '.join(eq.latex.split())[:80]}")
        totals.update(counts)
        n = sum(counts.values())
        print(f"{paper_dir.name:32} {n:4d} {counts['verified']:8d} {counts['unverified']:7d} "
              f"{counts['unsupported']:6d} {counts['rejected']:6d} {counts['crash']:5d}")
    n = sum(totals.values())
    print(f"{'TOTAL':32} {n:4d} {totals['verified']:8d} {totals['unverified']:7d} {totals['unsupported']:6d} "
          f"{totals['rejected']:6d} {totals['crash']:5d}")
    compiled = totals["verified"] + totals["unverified"]
    print(f"\ncompiled {compiled}/{n} ({100 * compiled / max(n, 1):.1f}%), "
          f"verified {totals['verified']}/{n} ({100 * totals['verified'] / max(n, 1):.1f}%), "
          f"crashes {totals['crash']}")
    times.sort()
    if times:
        print(f"time per equation: median {1000 * times[len(times) // 2]:.1f} ms, "
              f"p95 {1000 * times[int(0.95 * (len(times) - 1))]:.1f} ms, max {1000 * times[-1]:.1f} ms")
    print("\nmost frequent reasons:")
    for reason, count in reasons.most_common(25):
        print(f"  {count:4d}  {reason}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 1 if totals["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
