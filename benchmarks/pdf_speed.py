"""PDF ingestion speed: in-process parse (target < 1.5 s for a ~15-page paper) and the isolated
child-process parse that ``paper2code ingest`` uses (interpreter start and imports included).

    python benchmarks/pdf_speed.py [--runs 5] [--all]

Reads the private test papers in ../shared/papers (P2C_SHARED_PAPERS overrides); prints a table of
median seconds; exits 1 when a headline paper misses the in-process target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agent.ingest.pdf import parse_pdf  # noqa: E402
from agent.ingest.pdf_worker import parse_pdf_in_process  # noqa: E402
from agent.types import IngestLimits  # noqa: E402

PAPERS = Path(os.environ.get("P2C_SHARED_PAPERS", REPO.parent / "shared" / "papers"))
HEADLINE = ["transformer/paper.pdf", "vit/paper.pdf"]
TARGET_S = 1.5


def median_time(fn, runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of this process (the CPU figure is less
    sensitive to other jobs sharing the machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="every PDF under the shared papers, not only the two")
    args = parser.parse_args()
    limits = IngestLimits()
    names = HEADLINE if not args.all else sorted(str(p.relative_to(PAPERS)) for p in PAPERS.glob("*/*.pdf"))
    missing = [n for n in names if not (PAPERS / n).exists()]
    if missing:
        print(f"shared papers not found: {', '.join(missing)} (set P2C_SHARED_PAPERS)", file=sys.stderr)
        return 2
    import pymupdf  # noqa: F401  (import cost is not part of the in-process figure)

    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"{'paper':36s} {'pages':>5s} {'in-process s':>12s} {'(cpu s)':>8s} {'child s':>8s} {'eqs':>4s} "
          f"{'tables':>6s}")
    failed = False
    for name in names:
        path = PAPERS / name
        paper = parse_pdf_in_process(path, limits)
        inproc, cpu = median_time(lambda: parse_pdf_in_process(path, limits), args.runs)
        child, _ = median_time(lambda: parse_pdf(path, limits=limits), max(1, args.runs // 2))
        numbered = sum(1 for e in paper.equations if e.number)
        print(f"{name:36s} {paper.pages:5d} {inproc:12.3f} {cpu:8.3f} {child:8.3f} {numbered:4d} "
              f"{len(paper.tables):6d}")
        if name in HEADLINE and inproc >= TARGET_S:
            failed = True
    print(f"target: in-process < {TARGET_S} s for {', '.join(HEADLINE)}: {'MISSED' if failed else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
