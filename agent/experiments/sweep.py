"""``run_sweep``: hyperparameter search with Optuna (TPE sampler, median pruning on the logged metric),
stored in a SQLite file in the output folder so that running the same command again resumes it.

Trials run as sandboxed children through the same runner as ablations, up to ``jobs`` at a time; each
metric point a child reports goes to ``trial.report`` and a trial the median pruner rejects is killed
(never in the first quarter of its steps, where a fast learning rate and a slow one are hard to tell).
A trial left RUNNING by a killed sweep is marked failed (and not counted) when the sweep resumes.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from pathlib import Path
from typing import Any

from agent.errors import UserError
from agent.experiments import variants
from agent.experiments.ablation import environment_facts, load_implementation, output_folder
from agent.experiments.factors import parse_sets
from agent.experiments.options import SweepOptions, check_options, parallelism
from agent.experiments.runner import Display, Runner, RunRequest
from agent.experiments.space import SearchParam, parse_param
from agent.experiments.targets import route_hyperparameters
from agent.types import RunResult, SweepResult, SweepTrial


def study_name(params: list[SearchParam], options: SweepOptions, fingerprint: str, fixed: dict[str, Any]) -> str:
    """A name fixed by what the sweep searches and how it trains (same command, same study)."""
    identity = {"space": {p.name: p.text for p in params}, "metric": options.metric, "mode": options.mode,
                "max_steps": options.max_steps, "seed": options.seed, "fixed": fixed, "code": fingerprint,
                "val_every": options.val_every, "limit_val_batches": options.limit_val_batches}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=repr).encode()).hexdigest()[:10]
    return f"sweep-{digest}"


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise UserError("paper2code sweep needs optuna (pip install optuna)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _fail_stale(optuna: Any, study: Any) -> int:
    """Mark trials a killed sweep left RUNNING as failed and queue their parameters again; returns how
    many. They carry no "error" attribute (a trial that failed on its own always does), so they are not
    counted as done."""
    stale = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for trial in stale:
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        if trial.params:
            study.enqueue_trial(dict(trial.params), skip_if_exists=False)  # tried again first, as drawn
    return len(stale)


def _interrupted(optuna: Any, trial: Any) -> bool:
    return trial.state == optuna.trial.TrialState.FAIL and "error" not in trial.user_attrs


def _counted(optuna: Any, study: Any) -> int:
    """Trials that count towards --trials: finished, pruned, or failed for a reason of their own."""
    states = optuna.trial.TrialState
    finished = (states.COMPLETE, states.PRUNED, states.FAIL)
    return sum(1 for t in study.get_trials(deepcopy=False) if t.state in finished and not _interrupted(optuna, t))


class _Sweep:
    """The state of one sweep invocation: asks trials, turns them into run requests, tells results."""

    def __init__(self, folder: Path, params: list[SearchParam], options: SweepOptions, out: Path) -> None:
        self.folder, self.params, self.options, self.out = folder, params, options, out
        self.manifest = load_implementation(folder)
        self.plan = variants.load_plan(folder)
        self.fixed = parse_sets(options.sets)
        clash = [p.name for p in params if p.target in self.fixed]
        if clash:
            raise UserError(f"{clash[0]!r} is both a --param and a --set")
        names = [p.target for p in params if not p.component] + list(self.fixed)
        self.plan_level = route_hyperparameters(names, folder, self.manifest, self.plan)
        self.redraft = bool(self.plan_level) or any(p.component for p in params)
        self.paper = variants.load_paper(folder) if self.redraft else None
        self.fingerprint = variants.fingerprint(folder, exclude=out)
        self.trials: dict[int, Any] = {}  # request id -> optuna trial
        self.points: dict[int, list[list[float]]] = {}

    def request(self, trial: Any) -> RunRequest:
        swaps: dict[str, str] = {}
        plan_values = {k: v for k, v in self.fixed.items() if k in self.plan_level}
        overrides = {k: v for k, v in self.fixed.items() if k not in self.plan_level}
        for param in self.params:
            value = param.suggest(trial)
            if param.component:
                swaps[param.target] = value
            elif param.target in self.plan_level:
                plan_values[param.target] = value
            else:
                overrides[param.target] = value
        source, fingerprint, manifest = self.folder, self.fingerprint, self.manifest
        if self.redraft:
            assert self.plan is not None and self.paper is not None
            source = variants.draft_variant(variants.vary(self.plan, swaps, plan_values), self.paper, self.out)
            fingerprint, manifest = variants.fingerprint(source), load_implementation(source)
        training = manifest.training
        assert training is not None
        steps = self.options.max_steps or training.max_steps
        request = RunRequest(
            cell=f"trial {trial.number}", seed=self.options.seed, source=source, fingerprint=fingerprint,
            training={"module": training.module, "datamodule": training.datamodule, "init": training.init,
                      "datamodule_init": training.datamodule_init},
            overrides=overrides, max_steps=steps, metric=self.options.metric,
            val_every=self.options.val_every or max(1, steps // 10),
            result_path=self.out / "runs" / f"trial-{trial.number}.json",
            limit_val_batches=self.options.limit_val_batches, logger=self.options.logger, device=self.options.device,
            record={"params": dict(trial.params), "swaps": swaps, "plan_hyperparameters": plan_values},
        )
        self.trials[id(request)] = trial
        self.points[id(request)] = []
        return request

    def on_metric(self, request: RunRequest, step: int, value: float) -> bool:
        trial = self.trials[id(request)]
        self.points[id(request)].append([step, value])
        if not math.isfinite(value):
            return False
        trial.report(value, step)
        return bool(trial.should_prune())

    def on_done(self, optuna: Any, study: Any, request: RunRequest, result: RunResult) -> None:
        trial = self.trials.pop(id(request))
        states = optuna.trial.TrialState
        trial.set_user_attr("seconds", result.seconds)
        if result.curve:
            trial.set_user_attr("last", result.curve[-1][1])
            trial.set_user_attr("steps", int(result.curve[-1][0]))
        if result.status == "ok" and result.final is not None and math.isfinite(result.final):
            study.tell(trial, result.final)
        elif result.status == "pruned":
            study.tell(trial, state=states.PRUNED)
        else:
            trial.set_user_attr("error", (result.error or result.status)[:500])
            study.tell(trial, state=states.FAIL)


def _trial_record(optuna: Any, trial: Any) -> SweepTrial:
    attrs = trial.user_attrs
    value = trial.value if trial.state == optuna.trial.TrialState.COMPLETE else None
    return SweepTrial(number=trial.number, state=trial.state.name, value=value, params=dict(trial.params),
                      last=attrs.get("last"), steps=int(attrs.get("steps", 0)), seconds=attrs.get("seconds"),
                      error=str(attrs.get("error", "interrupted: the sweep was stopped" if _interrupted(optuna, trial)
                                          else "")))


def run_sweep(folder: Path, param_specs: list[str], options: SweepOptions,
              display: Display | None = None) -> tuple[SweepResult, Path]:
    """Run (or resume) the sweep until ``options.trials`` trials are finished; see the module docstring."""
    optuna = _optuna()
    started = time.perf_counter()
    check_options(options)
    if not param_specs:
        raise UserError("give at least one --param NAME=DIST (e.g. learning_rate=loguniform(1e-4,1e-2))")
    if options.trials < 1:
        raise UserError("--trials must be at least 1")
    folder = Path(folder).resolve()
    load_implementation(folder)
    plan = variants.load_plan(folder)
    params = [parse_param(spec, variants.plan_slots(plan) if plan is not None else None) for spec in param_specs]
    if len({p.target for p in params}) != len(params):
        raise UserError("two --param options set the same thing")
    out = output_folder(folder, options.out, "sweep")
    sweep = _Sweep(folder, params, options, out)
    name = options.study or study_name(params, options, sweep.fingerprint, sweep.fixed)
    storage = f"sqlite:///{(out / 'sweep.db').resolve()}"
    steps = options.max_steps or (sweep.manifest.training.max_steps if sweep.manifest.training else 0)
    startup = options.startup_trials if options.startup_trials is not None else min(10, max(2, options.trials // 3))
    study = optuna.create_study(
        study_name=name, storage=storage, load_if_exists=True,
        direction="minimize" if options.mode == "min" else "maximize",
        sampler=optuna.samplers.TPESampler(seed=options.sampler_seed, n_startup_trials=startup),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=max(2, startup // 2), n_warmup_steps=steps // 4),
    )
    notes = []
    stale = _fail_stale(optuna, study)
    if stale:
        notes.append(f"{stale} trial(s) left running by an interrupted sweep were marked failed and run again")
    done_before = _counted(optuna, study)
    if done_before:
        notes.append(f"resumed: {done_before} trial(s) were already finished in {storage}")
    jobs, threads = parallelism(options)
    facts = environment_facts(folder)
    shutil.rmtree(out / "scratch", ignore_errors=True)
    runner = Runner(out / "scratch", jobs=jobs, threads=threads, timeout_s=options.timeout_s,
                    memory_mb=options.memory_mb, exclude=out, environment=facts, display=display)
    remaining = max(0, options.trials - done_before)
    asked = 0

    def next_request() -> RunRequest | None:
        nonlocal asked
        if asked >= remaining:
            return None
        asked += 1
        return sweep.request(study.ask())

    if display:
        display.begin(options.trials, done_before)
    try:
        runner.stream(next_request, lambda req, res: sweep.on_done(optuna, study, req, res), sweep.on_metric)
    finally:
        if display:
            display.end()
    trials = [_trial_record(optuna, t) for t in study.get_trials(deepcopy=False)]
    complete = [t for t in trials if t.state == "COMPLETE"]
    best = (min if options.mode == "min" else max)(complete, key=lambda t: t.value) if complete else None
    result = SweepResult(
        implementation=str(folder), study=name, storage=storage, metric=options.metric,
        mode=options.mode, space={p.name: p.text for p in params}, trials=trials, best=best,  # type: ignore[arg-type]
        max_steps=steps, seed=options.seed, notes=notes,
        environment={**facts, "jobs": jobs, "threads_per_run": threads, "optuna": optuna.__version__},
        seconds=round(time.perf_counter() - started, 2),
    )
    return result, out
