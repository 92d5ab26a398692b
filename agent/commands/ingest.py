"""``paper2code ingest PAPER [--json]``: read a paper and show what was found."""

from __future__ import annotations

import json
import sys

import click

from agent.types import IngestLimits, Paper


@click.command("ingest")
@click.argument("paper", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the Paper as JSON (DESIGN.md contract).")
@click.option("--max-pages", type=click.IntRange(min=1), default=IngestLimits.max_pdf_pages, show_default=True,
              help="Refuse PDFs with more pages.")
@click.option("--max-mb", type=click.FloatRange(min=0.001), default=IngestLimits.max_file_bytes / 2**20,
              show_default=True, help="Refuse files (and archives) larger than this.")
@click.option("--timeout", type=click.FloatRange(min=1), default=IngestLimits.pdf_timeout_s, show_default=True,
              help="Seconds the PDF parser may take before it is killed.")
def command(paper: str, as_json: bool, max_pages: int, max_mb: float, timeout: float) -> int:
    """Read PAPER (.pdf, .tex, LaTeX folder, or .tar.gz/.tgz/.tar/.zip arXiv source)."""
    from agent.ingest import load_paper

    limits = IngestLimits(max_pdf_pages=max_pages, max_file_bytes=int(max_mb * 2**20), pdf_timeout_s=timeout)
    result = load_paper(paper, limits=limits)
    if as_json:
        json.dump(result.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print_summary(result)
    return 0


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_summary(paper: Paper) -> None:
    """A readable summary: title, sections, numbered equations, hyperparameters with evidence."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=False)
    console.print(f"[bold]{paper.title or '(untitled)'}[/bold]")
    if paper.authors:
        console.print(_short(", ".join(paper.authors), 160))
    pages = f", {paper.pages} pages" if paper.pages else ""
    console.print(f"source: {paper.source}{pages}"
                  + (f", main file {paper.main_file}" if paper.main_file else ""))
    if paper.abstract:
        console.print(f"\n[bold]Abstract[/bold] {_short(paper.abstract, 400)}")

    console.print("\n[bold]Sections[/bold]")
    for section in paper.sections:
        number = f"{section.number} " if section.number else ""
        console.print(f"{'  ' * (section.level - 1)}{number}{section.title}")

    numbered = [e for e in paper.equations if e.number]
    console.print(f"\n[bold]Equations[/bold]: {len(paper.equations)} display, {len(numbered)} numbered")
    if numbered:
        table = Table(show_header=True, header_style="bold")
        table.add_column("no.", justify="right")
        table.add_column("LaTeX")
        table.add_column("section")
        for eq in numbered:
            table.add_row(f"({eq.number})", _short(eq.latex, 90), _short(eq.section or "", 30))
        console.print(table)

    console.print(f"\n[bold]Hyperparameters[/bold]: {len(paper.hyperparameters)}")
    if paper.hyperparameters:
        table = Table(show_header=True, header_style="bold")
        for column in ("name", "value", "as written", "setting", "evidence"):
            table.add_column(column)
        for hp in paper.hyperparameters:
            where = hp.evidence.table or hp.evidence.section or ""
            evidence = _short(hp.evidence.text, 70) + (f" [dim]({_short(where, 25)})[/dim]" if where else "")
            table.add_row(hp.name, str(hp.value), _short(hp.symbol, 20), hp.setting or "", evidence)
        console.print(table)

    console.print(f"\n[bold]Tables[/bold]: {len(paper.tables)}   [bold]Algorithms[/bold]: {len(paper.algorithms)}"
                  f"   [bold]Figures[/bold]: {len(paper.figures)}")
    for table_ in paper.tables:
        console.print(f"  {table_.id}: {_short(table_.caption or '(no caption)', 100)}")
    for warning in paper.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
