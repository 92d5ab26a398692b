"""Render a suite run: a table per case, a leaderboard of generators (this run, and the baseline when
one is given), Markdown for a CI job summary and JUnit XML (a testcase per case: failed when it
regressed against the baseline or could not run)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from agent.evaluate.baseline import Comparison

METRICS = ("components", "hyperparameters", "validation", "hidden_tests")
LABELS = {"components": "components", "hyperparameters": "hyperparams", "validation": "validation",
          "hidden_tests": "hidden tests"}


def aggregate(data: dict[str, Any]) -> dict[str, Any]:
    """Mean of each metric over the cases that measured it, the overall score (mean of those means),
    and total tokens, cost and time."""
    cases = [c for c in data.get("cases", []) if c.get("status") != "skip"]
    row: dict[str, Any] = {"generator": data.get("llm", "?"), "cases": len(cases)}
    means = []
    for metric in METRICS:
        values = [c["metrics"][metric] for c in cases if c.get("metrics", {}).get(metric) is not None]
        row[metric] = sum(values) / len(values) if values else None
        if row[metric] is not None:
            means.append(row[metric])
    row["score"] = sum(means) / len(means) if means else None
    row["tokens"] = sum(int(c.get("input_tokens", 0)) + int(c.get("output_tokens", 0)) for c in cases)
    row["cost_usd"] = sum(float(c.get("cost_usd", 0.0)) for c in cases)
    row["seconds"] = sum(float(c.get("seconds", 0.0)) for c in cases)
    row["errors"] = sum(1 for c in cases if c.get("status") == "error")
    return row


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _fraction(case: dict[str, Any], metric: str) -> str:
    if metric == "components":
        found, missing = len(case.get("components_found", [])), len(case.get("components_missing", []))
        return f"{found}/{found + missing}" if "plan" in case.get("stages", []) and found + missing else "—"
    if metric == "hyperparameters":
        right, wrong = len(case.get("hyperparameters_right", [])), len(case.get("hyperparameters_wrong", {}))
        return f"{right}/{right + wrong}" if "plan" in case.get("stages", []) and right + wrong else "—"
    if metric == "validation":
        value = case.get("validation_passed")
        return "—" if value is None else ("pass" if value else "FAIL")
    total = case.get("hidden_total")
    return "—" if total is None or case.get("hidden_passed") is None else f"{case['hidden_passed']}/{total}"


def shortfalls(case: dict[str, Any], limit: int = 6) -> list[str]:
    """What a case got wrong, one short item each."""
    items: list[str] = []
    if case.get("error"):
        items.append(case["error"])
    items += [f"missing {c}" for c in case.get("components_missing", [])]
    items += [f"{name}={v.get('got')!r} (paper: {v.get('expected')!r})"
              for name, v in case.get("hyperparameters_wrong", {}).items()]
    items += [f"validation: {f}" for f in case.get("validation_failures", [])[:3]]
    items += [f"hidden: {f}" for f in case.get("hidden_failures", [])[:3]]
    return items[:limit] + ([f"(+{len(items) - limit} more)"] if len(items) > limit else [])


def render_suite(data: dict[str, Any], console: Any, *, comparison: Comparison | None = None,
                 baseline: dict[str, Any] | None = None) -> None:
    """Print the per-case table and the leaderboard on ``console``."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"paper2code eval — suite {data.get('suite')} with --llm {data.get('llm')}")
    for column in ("case", "status", *[LABELS[m] for m in METRICS], "tokens", "cost", "time"):
        table.add_column(column, justify="left" if column in ("case", "status") else "right")
    table.add_column("short of the paper", overflow="fold", max_width=60)
    styles = {"pass": "green", "fail": "yellow", "error": "bold magenta", "skip": "dim"}
    for case in data.get("cases", []):
        tokens = int(case.get("input_tokens", 0)) + int(case.get("output_tokens", 0))
        table.add_row(Text(case["case"]), Text(case["status"], style=styles.get(case["status"], "")),
                      *[_fraction(case, m) for m in METRICS], f"{tokens:,}", f"${case.get('cost_usd', 0.0):.2f}",
                      f"{case.get('seconds', 0.0):.1f}s", Text("; ".join(shortfalls(case))))
    console.print(table)
    render_leaderboard([data] + ([baseline] if baseline else []), console,
                       labels=["this run"] + (["baseline"] if baseline else []))
    if comparison is not None:
        _print_comparison(comparison, console)


def render_leaderboard(runs: list[dict[str, Any]], console: Any, labels: list[str]) -> None:
    from rich.table import Table

    table = Table(title="leaderboard")
    for column in ("#", "run", "generator", "score", *[LABELS[m] for m in METRICS], "tokens", "cost", "time"):
        table.add_column(column, justify="left" if column in ("run", "generator") else "right")
    rows = sorted(((aggregate(r), label) for r, label in zip(runs, labels)),
                  key=lambda x: -(x[0]["score"] if x[0]["score"] is not None else -1))
    for rank, (row, label) in enumerate(rows, 1):
        table.add_row(str(rank), label, row["generator"], _pct(row["score"]), *[_pct(row[m]) for m in METRICS],
                      f"{row['tokens']:,}", f"${row['cost_usd']:.2f}", f"{row['seconds']:.0f}s")
    console.print(table)


def _print_comparison(comparison: Comparison, console: Any) -> None:
    from rich.markup import escape

    for note in comparison.notes:
        console.print(f"[dim]note: {escape(note)}[/dim]")
    for delta in comparison.improvements:
        console.print(f"[green]improved[/green] {escape(delta.text())}")
    for delta in comparison.regressions:
        console.print(f"[bold red]REGRESSION[/bold red] {escape(delta.text())} (tolerance {comparison.tolerance})")
    if not comparison.regressions:
        console.print(f"[green]no regression[/green] against {escape(comparison.baseline_path)} "
                      f"(tolerance {comparison.tolerance})")


def _md(text: Any, limit: int = 200) -> str:
    flat = " ".join(str(text).split())
    return (flat[: limit - 3] + "..." if len(flat) > limit else flat).replace("|", "\\|")


def suite_markdown(data: dict[str, Any], *, comparison: Comparison | None = None,
                   baseline: dict[str, Any] | None = None) -> str:
    verdict = "" if comparison is None else (" — ❌ regressed" if comparison.regressed else " — ✅ no regression")
    lines = [f"## paper2code eval: suite `{data.get('suite')}` with `--llm {data.get('llm')}`{verdict}", "",
             "| case | status | " + " | ".join(LABELS[m] for m in METRICS)
             + " | tokens | cost | time | short of the paper |",
             "| --- " * (len(METRICS) + 6) + "|"]
    for case in data.get("cases", []):
        tokens = int(case.get("input_tokens", 0)) + int(case.get("output_tokens", 0))
        lines.append(f"| {_md(case['case'])} | {case['status']} | " + " | ".join(_fraction(case, m) for m in METRICS)
                     + f" | {tokens:,} | ${case.get('cost_usd', 0.0):.2f} | {case.get('seconds', 0.0):.1f}s | "
                     + _md("; ".join(shortfalls(case)), 400) + " |")
    lines += ["", "| # | run | generator | score | " + " | ".join(LABELS[m] for m in METRICS) + " | tokens | cost |",
              "| --- " * (len(METRICS) + 6) + "|"]
    runs = [(aggregate(data), "this run")] + ([(aggregate(baseline), "baseline")] if baseline else [])
    runs.sort(key=lambda x: -(x[0]["score"] if x[0]["score"] is not None else -1))
    for rank, (row, label) in enumerate(runs, 1):
        lines.append(f"| {rank} | {label} | `{row['generator']}` | {_pct(row['score'])} | "
                     + " | ".join(_pct(row[m]) for m in METRICS) + f" | {row['tokens']:,} | ${row['cost_usd']:.2f} |")
    if comparison is not None:
        lines.append("")
        lines += [f"- ❌ regression: {_md(d.text())}" for d in comparison.regressions]
        lines += [f"- ✅ improved: {_md(d.text())}" for d in comparison.improvements]
        lines += [f"- note: {_md(n)}" for n in comparison.notes]
    return "\n".join(lines) + "\n"


def suite_junit(data: dict[str, Any], *, comparison: Comparison | None = None) -> str:
    """A testcase per case: a failure when it regressed (or broke), skipped when its paper is absent."""
    regressions: dict[str, list[str]] = {}
    for delta in comparison.regressions if comparison else []:
        regressions.setdefault(delta.case, []).append(delta.text())
    cases = data.get("cases", [])
    suite = ET.Element("testsuite", {"name": f"paper2code.eval.{data.get('suite')}", "tests": str(len(cases)),
                                     "time": f"{data.get('seconds', 0.0):.3f}"})
    failures = errors = skipped = 0
    for case in cases:
        element = ET.SubElement(suite, "testcase", {"classname": f"paper2code.eval.{data.get('suite')}",
                                                    "name": case["case"], "time": f"{case.get('seconds', 0.0):.3f}"})
        if case["status"] == "skip":
            skipped += 1
            ET.SubElement(element, "skipped", {"message": case.get("error", "")[:500]})
        elif case["status"] == "error":
            errors += 1
            ET.SubElement(element, "error", {"message": case.get("error", "")[:500]}).text = case.get("error", "")
        elif case["case"] in regressions:
            failures += 1
            text = "; ".join(regressions[case["case"]])
            ET.SubElement(element, "failure", {"message": f"regressed: {text}"[:500]}).text = text
        else:
            ET.SubElement(element, "system-out").text = "; ".join(shortfalls(case, limit=50)) or "as expected"
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
