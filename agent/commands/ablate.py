"""``paper2code ablate DIR --factor NAME=A,B [--factor ...] --seeds N``: which components matter.

Every cell of the design (full grid, or one factor at a time with --ofat) trains --seeds times with
full seeding; the report gives each cell's mean, standard deviation and 95% intervals, compares every
cell with the baseline (Welch's t-test, Cohen's d, Holm's correction) and says which differences are
significant. Exit 0 when every run finished, 1 when some failed, 2 for bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from agent.experiments.options import common_options, options_from


def _print_summary(console: Any, result: Any) -> None:
    from rich.table import Table

    from agent.experiments.report import interval, num, pval

    by_cell = {c.cell: c for c in result.comparisons}
    table = Table(title=f"final {result.metric} ({'lower' if result.mode == 'min' else 'higher'} is better)")
    for name in ("cell", "n", "mean ± sd", "95% CI (t)", "95% CI (bootstrap)", "Δ", "d", "p (Holm)", "verdict"):
        table.add_column(name)
    for s in result.stats:
        c = by_cell.get(s.cell)
        verdict = "baseline" if c is None else ("[bold]significant[/bold]" if c.significant else "within noise")
        table.add_row(s.cell, str(s.n), f"{num(s.mean)} ± {num(s.std)}", interval(s.ci_t), interval(s.ci_bootstrap),
                      "" if c is None else num(c.difference), "" if c is None else num(c.cohens_d, 3),
                      "" if c is None else pval(c.p_holm), verdict)
    console.print(table)


@click.command("ablate")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--factor", "factors", multiple=True, required=True, metavar="NAME=A,B",
              help="A plan slot to swap (norm=layernorm,rmsnorm; pos=sinusoidal,rope) or a hyperparameter "
                   "(learning_rate=1e-3,3e-3). Repeat for more factors; the first level is the baseline.")
@click.option("--seeds", type=click.IntRange(min=2), default=3, show_default=True, help="Runs per cell (seeds 0..N-1).")
@click.option("--ofat", is_flag=True, help="One factor at a time: the baseline and each other level of one factor.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True,
              help="Significance level (after Holm's correction).")
@click.option("--no-profile", is_flag=True, help="Skip the validator's profile of each cell.")
@common_options
def command(folder: Path, factors: tuple[str, ...], seeds: int, ofat: bool, alpha: float, no_profile: bool,
            **common: Any) -> int:
    """Ablate FOLDER's implementation over --factor levels and report which differences are real."""
    from rich.console import Console

    from agent.experiments.ablation import AblationOptions, run_ablation
    from agent.experiments.progress import RichDisplay
    from agent.experiments.report import summary_lines, write_ablation

    options = options_from(AblationOptions, common, seeds=seeds, ofat=ofat, alpha=alpha, profile=not no_profile)
    console = Console(stderr=True, highlight=False)
    if not console.is_terminal:
        console.width = 160  # logs and pipes: room for the table

    def on_profile(cell: str) -> None:
        console.print(f"[dim]profiling {cell} (validator profile check)[/dim]")

    result, out = run_ablation(folder, list(factors), options, display=RichDisplay(console), on_profile=on_profile)
    paths = write_ablation(result, out)
    _print_summary(console, result)
    for c in result.comparisons:
        console.print(f"  {c.verdict}")
    for line in summary_lines(result):
        console.print(line)
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    for name in ("report", "csv", "json", "curves", "means"):
        if name in paths:
            click.echo(str(paths[name]))
    failed = [r for r in result.runs if r.status != "ok"]
    return 1 if failed else 0
