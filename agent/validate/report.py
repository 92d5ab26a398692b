"""Render a :class:`ValidationReport`: a rich table (people), JSON (machines), JUnit XML (CI)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from agent.types import ValidationReport

STYLES = {"pass": "green", "fail": "bold red", "error": "bold magenta", "timeout": "bold yellow", "skip": "dim"}


def to_json(report: ValidationReport) -> str:
    """The DESIGN.md shape: passed, checks[name, target, status, detail, seconds], environment,
    profile, plus ``schema_version``."""
    return json.dumps(report.to_dict(), indent=2, default=str)


def to_junit(report: ValidationReport) -> str:
    """One ``<testcase>`` per check per target; fail -> failure, error/timeout -> error, skip -> skipped."""
    counts = {s: sum(1 for c in report.checks if c.status == s) for s in STYLES}
    total = sum(c.seconds for c in report.checks)
    suite = ET.Element("testsuite", {
        "name": "paper2code.validate", "tests": str(len(report.checks)), "failures": str(counts["fail"]),
        "errors": str(counts["error"] + counts["timeout"]), "skipped": str(counts["skip"]), "time": f"{total:.3f}",
    })
    props = ET.SubElement(suite, "properties")
    for key in ("torch", "device", "network_isolated", "worker_starts", "wall_seconds"):
        if key in report.environment:
            ET.SubElement(props, "property", {"name": key, "value": str(report.environment[key])})
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"paper2code.{check.target}", "name": check.name, "time": f"{check.seconds:.3f}"})
        first_line = check.detail.splitlines()[0] if check.detail else check.status
        if check.status == "fail":
            ET.SubElement(case, "failure", {"message": first_line[:500]}).text = check.detail
        elif check.status in ("error", "timeout"):
            ET.SubElement(case, "error", {"message": first_line[:500], "type": check.status}).text = check.detail
        elif check.status == "skip":
            ET.SubElement(case, "skipped", {"message": first_line[:500]})
        else:
            ET.SubElement(case, "system-out").text = check.detail
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_junit(report: ValidationReport, path: str | Path) -> None:
    Path(path).write_text(to_junit(report), encoding="utf-8")


def _isolation_line(env: dict[str, Any]) -> str:
    sandbox = env.get("sandbox") or {}
    if not sandbox:
        return "sandbox: not started"
    parts = [
        "network isolated" if sandbox.get("network_isolated") else "[bold red]network NOT isolated[/]",
        "PID namespace" if sandbox.get("pid_namespace") else "no PID namespace",
        "read-only fs" if sandbox.get("readonly_filesystem") else "writable fs",
        f"pids cgroup ({sandbox.get('max_pids')})" if sandbox.get("cgroup_pids") else "no pids cgroup",
        f"memory {sandbox.get('memory_limit_mb')} MB" + (" (cgroup)" if sandbox.get("cgroup_memory") else " (rlimit)"),
    ]
    line = "sandbox: " + ", ".join(parts)
    if sandbox.get("problems"):
        line += " — " + "; ".join(sandbox["problems"])
    return line


def render_table(report: ValidationReport, console: Any = None, detail_width: int = 90) -> None:
    """Print the report as a rich table on ``console`` (stdout by default)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    env = report.environment
    title = f"paper2code validate — {'[green]PASSED[/]' if report.passed else '[bold red]FAILED[/]'}"
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("target")
    table.add_column("check")
    table.add_column("status")
    table.add_column("time", justify="right")
    table.add_column("detail", overflow="fold", max_width=detail_width)
    for c in report.checks:
        detail = c.detail if c.status in ("fail", "error", "timeout") else c.detail.splitlines()[0] if c.detail else ""
        if c.status in ("pass", "skip") and len(detail) > 2 * detail_width:
            detail = detail[: 2 * detail_width] + " ..."
        table.add_row(Text(c.target), Text(c.name), Text(c.status, style=STYLES.get(c.status, "")),
                      f"{c.seconds:.2f}s", Text(detail))
    console.print(table)
    counts = {s: sum(1 for c in report.checks if c.status == s) for s in STYLES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    console.print(f"{summary} in {env.get('wall_seconds', '?')}s wall; torch {env.get('torch')}, device "
                  f"{env.get('device')}, {env.get('worker_starts', 0)} worker start(s)", highlight=False)
    console.print(_isolation_line(env), highlight=False)
