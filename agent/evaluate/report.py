"""Render the results of ``paper2code eval DIR``: a summary table (people), JSON (machines), JUnit XML
(CI test reports: one ``<testsuite>`` per implementation, made by :func:`agent.validate.report.to_junit`)
and Markdown (a CI job summary, e.g. ``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from agent.errors import UserError
from agent.types import ImplementationResult

STATUS_STYLE = {"pass": "green", "fail": "bold red", "error": "bold magenta", "skip": "dim"}


def write_text(path: str | Path, text: str, what: str) -> None:
    """Write an output file whole (a temporary file renamed into place), or raise a one-line UserError."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{what} {path}: cannot write: {exc.strerror or exc}") from None


def _counts(result: ImplementationResult) -> tuple[int, int]:
    """(checks passed, checks judged) of one implementation."""
    if result.report is None:
        return 0, 0
    judged = [c for c in result.report.checks if c.status != "skip" and c.name != "profile"]
    return sum(1 for c in judged if c.status == "pass"), len(judged)


def summary_line(results: list[ImplementationResult]) -> str:
    passed = sum(1 for r in results if r.status == "pass")
    failed = sum(1 for r in results if r.status == "fail")
    errors = sum(1 for r in results if r.status == "error")
    parts = [f"{passed}/{len(results)} implementations pass"]
    if failed:
        parts.append(f"{failed} fail")
    if errors:
        parts.append(f"{errors} could not be validated")
    return ", ".join(parts)


def to_json(results: list[ImplementationResult], *, root: str, seconds: float, jobs: int) -> str:
    """``{"passed", "summary", "root", "jobs", "seconds", "implementations": [...]}``; each implementation
    carries its full validation report (the ``paper2code validate --json`` shape)."""
    data: dict[str, Any] = {
        "passed": all(r.status == "pass" for r in results),
        "summary": summary_line(results),
        "root": root,
        "jobs": jobs,
        "seconds": round(seconds, 2),
        "implementations": [r.to_dict() for r in results],
        "schema_version": 1,
    }
    return json.dumps(data, indent=2, default=str) + "\n"


def to_junit(results: list[ImplementationResult]) -> str:
    """One ``<testsuite>`` per implementation (a check per ``<testcase>``); an implementation that
    could not be validated is a suite holding one errored testcase."""
    from agent.validate.report import to_junit as report_junit

    suites = ET.Element("testsuites", {"name": "paper2code.eval"})
    for r in results:
        if r.report is not None:
            suite = ET.fromstring(report_junit(r.report).split("\n", 1)[1]).find("testsuite")
            assert suite is not None  # to_junit always writes one
            suite.set("name", f"paper2code.eval.{r.path}")
            for case in suite.iter("testcase"):
                case.set("classname", f"{r.name}.{case.get('classname', '').removeprefix('paper2code.')}")
        else:
            suite = ET.Element("testsuite", {"name": f"paper2code.eval.{r.path}", "tests": "1", "failures": "0",
                                             "errors": "1", "skipped": "0", "time": f"{r.seconds:.3f}"})
            case = ET.SubElement(suite, "testcase", {"classname": r.name, "name": "validate", "time": "0"})
            ET.SubElement(case, "error", {"message": r.error[:500], "type": "error"}).text = r.error
        suite.set("file", r.path)
        suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _md_cell(text: str, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 3] + "..."
    return flat.replace("|", "\\|")


def to_markdown(results: list[ImplementationResult], *, root: str, seconds: float, jobs: int) -> str:
    """A report for a CI job summary: verdict, one row per implementation, then each failure."""
    ok = all(r.status == "pass" for r in results)
    lines = [
        f"## paper2code eval — {'✅ passed' if ok else '❌ failed'}",
        "",
        f"{summary_line(results)} in `{root}` ({seconds:.1f}s wall, {jobs} at a time).",
        "",
        "| implementation | path | status | checks passed | time | failed checks |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        passed, judged = _counts(r)
        failed = ", ".join(f"{c.target}/{c.name}" for c in r.failed_checks()) or ("—" if r.status != "error" else "")
        if r.status == "error":
            failed = _md_cell(r.error)
        icon = {"pass": "✅", "fail": "❌", "error": "⚠️"}.get(r.status, "")
        lines.append(f"| {_md_cell(r.name)} | `{_md_cell(r.path)}` | {icon} {r.status} | {passed}/{judged} | "
                     f"{r.seconds:.1f}s | {_md_cell(failed, 300)} |")
    failures = [(r, c) for r in results for c in r.failed_checks()]
    if failures:
        lines += ["", "### Failures", ""]
        for r, c in failures:
            lines.append(f"<details><summary><b>{_md_cell(r.name)}</b>: {c.target}/{c.name} ({c.status})</summary>")
            lines += ["", "```text", c.detail.strip()[:4000], "```", "", "</details>"]
    return "\n".join(lines) + "\n"


def render_table(results: list[ImplementationResult], console: Any, *, seconds: float, jobs: int) -> None:
    """The summary table on ``console``: one row per implementation."""
    from rich.table import Table
    from rich.text import Text

    ok = all(r.status == "pass" for r in results)
    table = Table(title=f"paper2code eval — {'[green]PASSED[/]' if ok else '[bold red]FAILED[/]'}")
    table.add_column("implementation")
    table.add_column("path")
    table.add_column("status")
    table.add_column("checks", justify="right")
    table.add_column("time", justify="right")
    table.add_column("failed checks", overflow="fold", max_width=70)
    for r in results:
        passed, judged = _counts(r)
        failed = ", ".join(f"{c.target}/{c.name}" for c in r.failed_checks())
        table.add_row(Text(r.name), Text(r.path), Text(r.status, style=STATUS_STYLE.get(r.status, "")),
                      f"{passed}/{judged}", f"{r.seconds:.1f}s", Text(r.error if r.status == "error" else failed))
    console.print(table)
    console.print(f"{summary_line(results)}; {seconds:.1f}s wall, {jobs} at a time", highlight=False)
