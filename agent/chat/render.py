"""How chat shows things: diffs, tables and validation results (rich; plain text when not a terminal)."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from agent.types import CommitInfo, Plan, ValidationReport

STATUS_STYLE = {"pass": "green", "skip": "dim", "fail": "bold red", "error": "bold red", "timeout": "bold red"}
DIFF_LINES = 80  # lines of a diff shown after a change (all of it with /diff)
QUIET_FILES = ("plan.json", "paper.json", "validation.json", "README.md", "NOTES.md")  # stat only after a change


def short(text: Any, limit: int = 100) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def info(console: Console, text: str, style: str = "") -> None:
    console.print(Text(text, style=style), soft_wrap=True)


def error(console: Console, text: str) -> None:
    console.print(Text.assemble(("error: ", "bold red"), " ".join(text.split())), soft_wrap=True)


def verdict(report: ValidationReport) -> str:
    """"17/17 checks pass" (skips left out)."""
    ran = [c for c in report.checks if c.status != "skip"]
    return f"{sum(c.status == 'pass' for c in ran)}/{len(ran)} checks pass"


def report_summary(console: Console, report: ValidationReport, checks: list[str] | None) -> None:
    """One verdict line, then one line per failed check."""
    which = f" ({', '.join(checks)})" if checks else " (all checks)"
    style = "green" if report.passed else "bold red"
    word = "passed" if report.passed else "FAILED"
    console.print(Text.assemble(("validation ", ""), (word, style), f": {verdict(report)}{which}"), soft_wrap=True)
    for check in report.failures()[:12]:
        detail = short(check.detail, 240)
        console.print(Text.assemble("  ", (f"[{check.status}]", STATUS_STYLE[check.status]),
                                    f" {check.name} on {check.target}: {detail}"), soft_wrap=True)


def report_table(console: Console, report: ValidationReport) -> None:
    table = Table(show_lines=False, expand=False)
    for column in ("target", "check", "status", "time"):
        table.add_column(column, justify="right" if column == "time" else "left")
    table.add_column("detail", overflow="fold", max_width=70)
    for c in report.checks:
        detail = c.detail if c.status in ("fail", "error", "timeout") else (c.detail.splitlines() or [""])[0]
        table.add_row(Text(c.target), Text(c.name), Text(c.status, style=STATUS_STYLE.get(c.status, "")),
                      f"{c.seconds:.2f}s", Text(short(detail, 400)))
    console.print(table)


def split_diff(diff: str) -> list[tuple[str, str]]:
    """A unified git diff cut into (path, text) per file."""
    parts: list[tuple[str, str]] = []
    for chunk in re.split(r"(?m)^(?=diff --git )", diff):
        if not chunk.strip():
            continue
        match = re.match(r"diff --git a/(\S+) b/(\S+)", chunk)
        parts.append((match.group(2) if match else "?", chunk))
    return parts


def diffstat(diff: str) -> list[tuple[str, int, int]]:
    """(path, lines added, lines removed) per file of a unified diff."""
    rows = []
    for path, text in split_diff(diff):
        lines = text.splitlines()
        added = sum(1 for ln in lines if ln.startswith("+") and not ln.startswith("+++"))
        removed = sum(1 for ln in lines if ln.startswith("-") and not ln.startswith("---"))
        rows.append((path, added, removed))
    return rows


def show_diff(console: Console, diff: str, *, limit: int | None = None, quiet: tuple[str, ...] = ()) -> None:
    """Print a diff with a stat line per file; files named in ``quiet`` show only their stat."""
    if not diff.strip():
        info(console, "(no changes)", "dim")
        return
    for path, added, removed in diffstat(diff):
        console.print(Text.assemble(f" {path} ", ("+" + str(added), "green"), " ", ("-" + str(removed), "red")),
                      soft_wrap=True)
    body = "".join(text for path, text in split_diff(diff) if path.rsplit("/", 1)[-1] not in quiet)
    lines = body.splitlines()
    cut = limit is not None and len(lines) > limit
    if cut:
        lines = lines[:limit]
    if lines:
        if console.is_terminal:
            console.print(Syntax("\n".join(lines), "diff", theme="ansi_dark", word_wrap=False))
        else:
            for line in lines:
                console.print(Text(line), soft_wrap=True, highlight=False)
    if cut:
        info(console, f"... (diff cut at {limit} lines; /diff shows all of it)", "dim")


def plan_tables(console: Console, plan: Plan) -> None:
    console.print(Text(f"{plan.title} — family {plan.family}, smoke task {plan.task}", style="bold"), soft_wrap=True)
    table = Table(title="components", expand=False)
    for column in ("slot", "component", "evidence"):
        table.add_column(column, overflow="fold")
    for c in plan.components:
        table.add_row(c.slot, c.component, short(c.evidence, 90) + (" (assumed)" if c.assumed else ""))
    console.print(table)
    table = Table(title="hyperparameters", expand=False)
    for column in ("name", "value", "source", "evidence"):
        table.add_column(column, overflow="fold")
    for name, hp in sorted(plan.hyperparameters.items()):
        table.add_row(name, repr(hp.value), hp.source, short(hp.evidence, 90))
    console.print(table)
    if plan.ambiguities:
        console.print(Text("ambiguities:", style="bold"))
        for line in plan.ambiguities:
            info(console, f"  - {short(line, 200)}")


def equations_table(console: Console, plan: Plan) -> None:
    if not plan.equations:
        info(console, "the plan lists no numbered equations")
        return
    table = Table(title="equations", expand=False)
    for column in ("eq.", "role", "implemented by", "compiled", "latex"):
        table.add_column(column, overflow="fold")
    for e in plan.equations:
        compiled = ("verified" if e.verified else "yes") if e.compiled else "no"
        table.add_row(f"({e.number})" if e.number else "-", e.role, e.implemented_by or "-",
                      compiled + (f" as {e.function}" if e.function else ""), short(e.latex, 60))
    console.print(table)


def history_table(console: Console, commits: list[CommitInfo]) -> None:
    if not commits:
        info(console, "no commits yet")
        return
    table = Table(expand=False)
    for column in ("commit", "by", "date", "summary"):
        table.add_column(column, overflow="fold")
    for c in commits:
        by = "paper2code" if c.ours else "you"
        table.add_row(c.sha[:10], by, c.date[:19].replace("T", " "), short(c.summary, 90))
    console.print(table)


def file_view(console: Console, path: str, text: str) -> None:
    lexer = Syntax.guess_lexer(path, text)
    if console.is_terminal:
        console.print(Syntax(text, lexer, line_numbers=True, word_wrap=False))
    else:
        for number, line in enumerate(text.splitlines(), 1):
            console.print(Text(f"{number:4d}  {line}"), soft_wrap=True, highlight=False)
