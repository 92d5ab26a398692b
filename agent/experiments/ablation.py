"""``run_ablation``: a design of cells (grid or one factor at a time), each trained with several
seeds, summarised with statistics and profiled. The pieces: factors (parse, design), variants
(redrafted copies for swaps), runner (the runs), stats, profile; report and plots write the files.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import agent
from agent.errors import UserError
from agent.experiments import factors as factor_lib
from agent.experiments import variants
from agent.experiments.options import AblationOptions, check_options, parallelism
from agent.experiments.runner import Display, Runner, RunRequest
from agent.experiments.targets import route_hyperparameters
from agent.types import AblationResult, ExperimentCell, Manifest, RunResult

EXPERIMENTS_DIR = Path(".paper2code") / "experiments"


@dataclass
class Source:
    """The code a cell trains: the implementation itself or a redrafted variant, with its manifest."""

    folder: Path
    manifest: Manifest
    fingerprint: str


@dataclass
class Prepared:
    folder: Path
    out: Path
    manifest: Manifest
    factors: list[Any]
    cells: list[ExperimentCell]
    sources: dict[str, Source]  # cell id -> source
    notes: list[str] = field(default_factory=list)


def load_implementation(folder: Path) -> Manifest:
    """The manifest of an implementation folder, which must have a [training] table."""
    from agent.validate import load_manifest

    if not Path(folder).is_dir():
        raise UserError(f"{folder}: not a folder (give the implementation folder with paper2code.toml)")
    manifest = load_manifest(folder)
    if manifest.training is None:
        raise UserError(f"{folder}/paper2code.toml has no [training] table: nothing to train")
    return manifest


def environment_facts(folder: Path) -> dict[str, Any]:
    """paper2code's version and the implementation's git commit (None outside git)."""
    facts: dict[str, Any] = {"paper2code": agent.__version__, "git_commit": None, "git_dirty": None}
    try:
        from agent.repo import GitRepo

        repo = GitRepo(folder, create=False)
        log = repo.log(1)
        facts["git_commit"] = log[0].sha if log else None
        facts["git_dirty"] = repo.is_dirty()
    except UserError:
        pass
    return facts


def output_folder(folder: Path, out: Path | None, kind: str) -> Path:
    path = Path(out) if out is not None else Path(folder) / EXPERIMENTS_DIR / kind
    if path.exists() and not path.is_dir():
        raise UserError(f"--out {path}: exists and is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def prepare(folder: Path, factor_specs: list[str], options: AblationOptions) -> Prepared:
    """Parse the factors, design the cells and make the code each cell trains."""
    check_options(options)
    if options.seeds < 2:
        raise UserError("--seeds must be at least 2 (statistics need two runs per cell)")
    folder = Path(folder).resolve()
    manifest = load_implementation(folder)
    plan = variants.load_plan(folder)
    slots = variants.plan_slots(plan) if plan is not None else None
    factors = [factor_lib.parse_factor(spec, slots) for spec in factor_specs]
    fixed = factor_lib.parse_sets(options.sets)
    hyper = [f.target for f in factors if f.kind == "hyperparameter"] + list(fixed)
    plan_level = route_hyperparameters(hyper, folder, manifest, plan)
    cells = factor_lib.design_cells(factors, ofat=options.ofat, plan_level=plan_level, fixed=fixed)
    out = output_folder(folder, options.out, "ablate")
    notes: list[str] = []
    sources: dict[str, Source] = {}
    redraft = any(c.swaps or c.plan_hyperparameters for c in cells)
    if redraft:
        assert plan is not None
        paper = variants.load_paper(folder)
        edited = variants.hand_edited(folder, plan, paper)
        if edited:
            notes.append(f"{folder.name} differs from a fresh draft of its plan.json in {', '.join(edited[:5])}: "
                         "every cell is redrafted from plan.json, so those edits are not in any cell")
        notes.append("every cell's code is redrafted from plan.json (variants/), the baseline included")
        made: dict[Path, Source] = {}
        for cell in cells:
            variant = variants.vary(plan, cell.swaps, cell.plan_hyperparameters)
            path = variants.draft_variant(variant, paper, out)
            if path not in made:
                made[path] = Source(path, load_implementation(path), variants.fingerprint(path))
            sources[cell.id] = made[path]
    else:
        source = Source(folder, manifest, variants.fingerprint(folder, exclude=out))
        sources = {cell.id: source for cell in cells}
    return Prepared(folder, out, manifest, factors, cells, sources, notes)


def requests_for(prepared: Prepared, options: AblationOptions) -> list[RunRequest]:
    """One request per cell and seed."""
    requests = []
    for cell in prepared.cells:
        source = prepared.sources[cell.id]
        training = source.manifest.training
        assert training is not None
        steps = options.max_steps or training.max_steps
        val_every = options.val_every or max(1, steps // 10)
        for seed in range(options.seeds):
            request = RunRequest(
                cell=cell.id, seed=seed, source=source.folder, fingerprint=source.fingerprint,
                training={"module": training.module, "datamodule": training.datamodule, "init": training.init,
                          "datamodule_init": training.datamodule_init},
                overrides=cell.overrides, max_steps=steps, metric=options.metric, val_every=val_every,
                result_path=Path(), limit_val_batches=options.limit_val_batches, logger=options.logger,
                device=options.device,
                record={"levels": cell.levels, "swaps": cell.swaps, "plan_hyperparameters": cell.plan_hyperparameters,
                        "source": source.folder.name if source.folder != prepared.folder else "."},
            )
            slug = factor_lib.cell_slug(cell.id)
            request.result_path = prepared.out / "runs" / slug / f"seed-{seed}-{request.key()[:8]}.json"
            requests.append(request)
    return requests


def run_ablation(folder: Path, factor_specs: list[str], options: AblationOptions,
                 display: Display | None = None, on_profile: Any = None) -> tuple[AblationResult, Path]:
    """Run the ablation and return its result and output folder (reports are written by the caller)."""
    from agent.experiments import stats as stats_lib
    from agent.experiments.profile import profile_folder

    started = time.perf_counter()
    prepared = prepare(folder, factor_specs, options)
    requests = requests_for(prepared, options)
    jobs, threads = parallelism(options)
    facts = environment_facts(prepared.folder)
    shutil.rmtree(prepared.out / "scratch", ignore_errors=True)  # left by a killed run of this command
    runner = Runner(prepared.out / "scratch", jobs=jobs, threads=threads, timeout_s=options.timeout_s,
                    memory_mb=options.memory_mb, exclude=prepared.out, environment=facts, display=display)
    runs = runner.run(requests)
    cell_stats = []
    for cell in prepared.cells:
        mine = [r for r in runs if r.cell == cell.id]
        good = [r for r in mine if r.status == "ok" and r.final is not None and math.isfinite(r.final)]
        cell_stats.append(stats_lib.summarize(cell.id, [r.final for r in good], failed=len(mine) - len(good)))
    if options.profile:
        done: dict[str, dict[str, Any]] = {}
        for cell, cell_stat in zip(prepared.cells, cell_stats):
            source = prepared.sources[cell.id]
            if source.fingerprint not in done:
                if on_profile is not None:
                    on_profile(cell.id)
                done[source.fingerprint] = profile_folder(source.folder, source.fingerprint,
                                                          prepared.out / "profiles", device=options.device)
            cell_stat.profile = done[source.fingerprint]
    comparisons = stats_lib.compare(cell_stats, prepared.cells[0].id, metric=options.metric, mode=options.mode,
                                    alpha=options.alpha)
    steps = requests[0].max_steps if requests else 0
    notes = list(prepared.notes)
    failed = [r for r in runs if r.status != "ok"]
    if failed:
        notes.append(f"{len(failed)} of {len(runs)} runs did not finish; first: {failed[0].cell} seed "
                     f"{failed[0].seed}: {failed[0].error}")
    if any(c.overrides for c in prepared.cells) and options.profile:
        notes.append("the validator profiles each cell's code at the manifest's check sizes; run-time arguments "
                     "(hyperparameter factors) show in the trained cost columns instead")
    result = AblationResult(
        implementation=str(prepared.folder), metric=options.metric, mode=options.mode,  # type: ignore[arg-type]
        design="ofat" if options.ofat else "grid", factors=prepared.factors, cells=prepared.cells,
        stats=cell_stats, comparisons=comparisons, runs=runs, alpha=options.alpha, max_steps=steps,
        seeds=list(range(options.seeds)), notes=notes,
        environment={**facts, **_run_environment(runs), "jobs": jobs, "threads_per_run": threads},
        seconds=round(time.perf_counter() - started, 2),
    )
    return result, prepared.out


def _run_environment(runs: list[RunResult]) -> dict[str, Any]:
    """Versions and device as the runs saw them (from the first finished run)."""
    for run in runs:
        if run.status == "ok" and run.environment:
            keep = ("python", "torch", "pytorch_lightning", "lightning", "numpy", "device", "gpu", "platform")
            return {k: run.environment[k] for k in keep if k in run.environment}
    return {}
