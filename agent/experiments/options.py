"""Options shared by ``paper2code ablate`` and ``paper2code sweep``: the dataclasses, their checks,
how many runs go at once, and the click options that fill them (no heavy imports here)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from agent.errors import UserError

DEFAULT_TIMEOUT_S = 1800.0
T = TypeVar("T")


@dataclass
class ExperimentOptions:
    """How runs train (shared by ablate and sweep)."""

    max_steps: int | None = None  # None: the manifest's [training] max_steps
    metric: str = "val_loss"
    mode: str = "min"  # "min": lower is better; "max": higher is better
    val_every: int | None = None  # validation interval in steps; None: a tenth of the run
    limit_val_batches: int | None = None
    logger: str = "csv"  # "csv", "tensorboard" or "none"
    device: str = "auto"
    jobs: int | None = None  # None: the cores (one at a time on a GPU)
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = 4096
    out: Path | None = None
    sets: tuple[str, ...] = ()  # NAME=VALUE for every run (hyperparameters held fixed)


@dataclass
class AblationOptions(ExperimentOptions):
    seeds: int = 3
    ofat: bool = False
    alpha: float = 0.05
    profile: bool = True




def gpu_visible() -> bool:
    """Whether a GPU may be used, judged without initialising CUDA in this process."""
    return Path("/dev/nvidiactl").exists() and os.environ.get("CUDA_VISIBLE_DEVICES", "x") != ""


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parallelism(options: ExperimentOptions) -> tuple[int, int]:
    """(runs at once, torch threads per run): the cores on a CPU, one run at a time on one GPU."""
    cores = cpu_count()
    on_gpu = options.device == "cuda" or (options.device == "auto" and gpu_visible())
    jobs = options.jobs or (1 if on_gpu else cores)
    if jobs < 1:
        raise UserError("--jobs must be at least 1")
    return jobs, max(1, cores // jobs)


def check_options(options: ExperimentOptions) -> None:
    if options.logger == "tensorboard":
        import importlib.util

        if importlib.util.find_spec("tensorboard") is None and importlib.util.find_spec("tensorboardX") is None:
            raise UserError("--logger tensorboard needs the tensorboard package (pip install tensorboard); "
                            "the default CSV logger needs nothing")
    if options.logger not in ("csv", "tensorboard", "none"):
        raise UserError(f"--logger must be csv, tensorboard or none, not {options.logger!r}")
    if options.device == "cuda" and not gpu_visible():
        raise UserError("--device cuda: no GPU is visible on this machine (use --device cpu or auto)")
    if options.mode not in ("min", "max"):
        raise UserError(f"--mode must be min or max, not {options.mode!r}")
    if options.max_steps is not None and options.max_steps < 1:
        raise UserError("--max-steps must be at least 1")
    if not options.metric.strip():
        raise UserError("--metric must name a logged metric (e.g. val_loss)")


@dataclass
class SweepOptions(ExperimentOptions):
    trials: int = 20
    seed: int = 0  # the training seed of every trial
    sampler_seed: int = 0  # TPE's seed
    study: str | None = None  # None: named after the search space, metric and steps
    startup_trials: int | None = None  # random trials before TPE; None: a third of --trials (2 to 10)


def common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The click options every experiment command takes (collected into ``**common``)."""
    options = [
        click.option("--max-steps", type=click.IntRange(min=1), default=None,
                     help="Training steps per run (default: the manifest's [training] max_steps)."),
        click.option("--metric", default="val_loss", show_default=True,
                     help="The logged metric to compare; its last value is a run's result."),
        click.option("--mode", type=click.Choice(["min", "max"]), default="min", show_default=True,
                     help="Whether lower (min) or higher (max) values of the metric are better."),
        click.option("--val-every", type=click.IntRange(min=1), default=None,
                     help="Validate every N steps (default: a tenth of the run)."),
        click.option("--limit-val-batches", type=click.IntRange(min=1), default=None,
                     help="Validation batches per validation (default: all)."),
        click.option("--logger", type=click.Choice(["csv", "tensorboard", "none"]), default="csv", show_default=True,
                     help="Lightning logger of each run (tensorboard only when installed)."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
                     help="Where runs train; auto = the GPU when one is visible (then one run at a time)."),
        click.option("--jobs", type=click.IntRange(min=1), default=None,
                     help="Runs at once (default: the CPU cores; 1 on a GPU)."),
        click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT_S,
                     show_default=True, help="Wall-clock limit per run in seconds (the run is killed at it)."),
        click.option("--memory-mb", type=click.IntRange(min=256), default=4096, show_default=True,
                     help="Memory cap per run (where the machine allows cgroups)."),
        click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                     help="Hold a hyperparameter at VALUE in every run (repeatable)."),
        click.option("--out", type=click.Path(path_type=Path), default=None,
                     help="Output folder (default: FOLDER/.paper2code/experiments/<command>)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def options_from(cls: type[T], common: dict[str, Any], **extra: Any) -> T:
    """An options dataclass from the common click values plus command-specific ones."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in {**common, **extra}.items() if k in names})
