"""Compare a run's scores with an earlier run (the baseline) and decide whether it regressed.

Both runs are the JSON that ``paper2code eval`` writes: ``scores`` maps a case (a suite case, or a
ResearchCodeBench paper plus ``overall``) to its metrics, each in [0, 1] or null when not measured.
A metric regresses when it falls more than ``tolerance`` below the baseline, or when the baseline
measured it and this run could not (the case broke). Metrics of stages this run left out, cases it
did not select and cases skipped for lack of their paper are listed as notes, not regressions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import UserError

# the stage a metric needs to be comparable (a run with --stages leaves the others out). Hyperparameters are
# judged on what the drafted code runs with, so a plan-only run reports the plan's but does not compare them.
METRIC_STAGE = {"components": "plan", "hyperparameters": "draft", "validation": "validate", "hidden_tests": "hidden"}


@dataclass
class Delta:
    case: str
    metric: str
    baseline: float | None
    current: float | None

    def text(self) -> str:
        def show(v: float | None) -> str:
            return "not measured" if v is None else f"{v:.3f}"

        return f"{self.case}: {self.metric} {show(self.baseline)} -> {show(self.current)}"


@dataclass
class Comparison:
    regressions: list[Delta] = field(default_factory=list)
    improvements: list[Delta] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tolerance: float = 0.0
    baseline_path: str = ""

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline_path,
            "tolerance": self.tolerance,
            "regressed": self.regressed,
            "regressions": [d.__dict__ for d in self.regressions],
            "improvements": [d.__dict__ for d in self.improvements],
            "notes": self.notes,
        }


def load_baseline(path: str | Path) -> dict[str, Any]:
    """Read a baseline JSON; a missing or malformed file is a UserError naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"--baseline {path}: no such file (write one with --write-baseline)") from None
    except OSError as exc:
        raise UserError(f"--baseline {path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserError(f"--baseline {path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("scores"), dict):
        raise UserError(f"--baseline {path}: not a paper2code eval result (no 'scores')")
    return data


def compare(current: dict[str, Any], baseline: dict[str, Any], *, tolerance: float = 0.0,
            selected: list[str] | None = None, baseline_path: str = "") -> Comparison:
    """Compare ``current`` with ``baseline`` (both eval result JSON).

    Args:
        current: this run's result.
        baseline: the earlier result.
        tolerance: how far a metric may fall before it counts as a regression.
        selected: the cases this run was limited to (``--case``); others are not compared.
        baseline_path: shown in reports.
    """
    out = Comparison(tolerance=tolerance, baseline_path=baseline_path)
    if current.get("kind") != baseline.get("kind") or current.get("suite") != baseline.get("suite"):
        raise UserError(f"--baseline {baseline_path}: it scores {baseline.get('kind')} {baseline.get('suite')!r}, "
                        f"not {current.get('kind')} {current.get('suite')!r}")
    if baseline.get("llm") != current.get("llm"):
        out.notes.append(f"the baseline was made with --llm {baseline.get('llm')}, this run with {current.get('llm')}")
    stages = set(current.get("stages") or METRIC_STAGE.values())
    skipped = current.get("skipped") or {}
    scores = current["scores"]
    for case, metrics in sorted(baseline["scores"].items()):
        if selected is not None and case not in selected:  # "overall" too: it sums other cases
            continue
        if case not in scores:
            why = f"skipped ({skipped[case]})" if case in skipped else "not run"
            out.notes.append(f"{case}: in the baseline but {why}")
            continue
        for metric, before in sorted(metrics.items()):
            if before is None:
                continue
            if METRIC_STAGE.get(metric, "plan") not in stages and metric in METRIC_STAGE:
                continue
            now = scores[case].get(metric)
            delta = Delta(case, metric, before, now)
            if now is None or now < before - tolerance - 1e-12:
                out.regressions.append(delta)
            elif now > before + tolerance + 1e-12:
                out.improvements.append(delta)
    for case in sorted(set(scores) - set(baseline["scores"])):
        out.notes.append(f"{case}: new (not in the baseline)")
    return out
