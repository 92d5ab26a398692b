"""``paper2code sweep DIR --param learning_rate=loguniform(1e-4,1e-2) --trials 20``: hyperparameter search.

Optuna's TPE sampler proposes trials, the median pruner stops those that fall behind, and the study
lives in a SQLite file in the output folder: running the same command again resumes it (or extends
it with a larger --trials). Exit 0 when at least one trial finished, 1 when none did, 2 for bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from agent.experiments.options import common_options, options_from


@click.command("sweep")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--param", "params", multiple=True, required=True, metavar="NAME=DIST",
              help="loguniform(a,b), uniform(a,b), int(a,b), intlog(a,b) or choice(x,y,...); a plan slot takes "
                   "a choice of components (norm=choice(layernorm,rmsnorm)). Repeatable.")
@click.option("--trials", type=click.IntRange(min=1), default=20, show_default=True,
              help="Trials the study should hold when done (finished ones are kept when resuming).")
@click.option("--seed", type=int, default=0, show_default=True, help="Training seed of every trial.")
@click.option("--sampler-seed", type=int, default=0, show_default=True, help="Seed of the TPE sampler.")
@click.option("--startup-trials", type=click.IntRange(min=0), default=None,
              help="Random trials before TPE takes over (default: a third of --trials, 2 to 10).")
@click.option("--study", default=None, help="Study name (default: derived from the space, metric and steps).")
@common_options
def command(folder: Path, params: tuple[str, ...], trials: int, seed: int, sampler_seed: int,
            startup_trials: int | None, study: str | None, **common: Any) -> int:
    """Search FOLDER's hyperparameters with Optuna; resumable from its SQLite storage."""
    from rich.console import Console

    from agent.experiments.options import SweepOptions
    from agent.experiments.progress import RichDisplay
    from agent.experiments.report import write_sweep
    from agent.experiments.sweep import run_sweep

    options = options_from(SweepOptions, common, trials=trials, seed=seed, sampler_seed=sampler_seed, study=study,
                           startup_trials=startup_trials)
    console = Console(stderr=True, highlight=False)
    if not console.is_terminal:
        console.width = 160  # logs and pipes: room for the table
    result, out = run_sweep(folder, list(params), options, display=RichDisplay(console))
    paths = write_sweep(result, out)
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    if result.best is not None:
        best = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.best.params.items())
        console.print(f"[bold]best[/bold]: trial {result.best.number}: {result.metric} = {result.best.value:.6g} "
                      f"with {best}")
    else:
        console.print("[red]no trial finished[/red]")
    for name in ("report", "csv", "json", "history"):
        if name in paths:
            click.echo(str(paths[name]))
    return 0 if result.best is not None else 1
