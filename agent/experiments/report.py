"""The files an ablation leaves: report.md (tables and plain verdicts), results.csv (one row per run),
results.json (everything) and the PNG plots."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any

from agent.types import AblationResult, Comparison, SweepResult


def num(x: float | None, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def interval(ci: list[float] | None) -> str:
    return f"[{num(ci[0])}, {num(ci[1])}]" if ci else "–"


def pval(p: float | None) -> str:
    if p is None:
        return "–"
    return "<1e-4" if p < 1e-4 else f"{p:.4f}"


def cell_name(cell: str) -> str:
    return cell.replace("|", "\\|")


def _results_table(result: AblationResult) -> list[str]:
    by_cell: dict[str, Comparison] = {c.cell: c for c in result.comparisons}
    lines = ["| cell | n | mean | sd | 95% CI (t) | 95% CI (bootstrap) | Δ vs baseline | Cohen's d | p (Welch) "
             "| p (Holm) | verdict |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in result.stats:
        c = by_cell.get(s.cell)
        if c is None:
            tail = "— | — | — | baseline"
            diff = "—"
        else:
            diff = num(c.difference)
            word = "**significant**" if c.significant else ("within noise" if c.p_holm is not None else "n/a")
            tail = f"{num(c.cohens_d, 3)} | {pval(c.p)} | {pval(c.p_holm)} | {word}"
        failed = f" ({s.failed} failed)" if s.failed else ""
        lines.append(f"| {cell_name(s.cell)} | {s.n}{failed} | {num(s.mean)} | {num(s.std)} | {interval(s.ci_t)} | "
                     f"{interval(s.ci_bootstrap)} | {diff} | {tail} |")
    return lines


def _cost_table(result: AblationResult) -> list[str]:
    lines = ["| cell | profiled module | params | forward MFLOP | fwd+bwd MFLOP | forward ms | fwd+bwd ms | peak MB "
             "| trained params | train ms/step (median) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s in result.stats:
        p = s.profile
        runs = [r for r in result.runs if r.cell == s.cell and r.status == "ok" and r.cost]
        trained = runs[0].cost.get("parameters") if runs else None
        step_ms = sorted(r.cost.get("step_ms") or 0.0 for r in runs)
        step = step_ms[len(step_ms) // 2] if step_ms else None
        if p.get("error") or not p:
            profiled = f"– ({p.get('error', 'not profiled')[:80]}) | – | – | – | – | – | –"
        else:
            peak = p.get("peak_memory_mb", p.get("peak_rss_mb"))
            profiled = (f"{p.get('module', '–')} | {p.get('parameters', 0):,} | "
                        f"{num(p.get('forward_flops', 0) / 1e6)} | "
                        f"{num(p.get('train_step_flops', 0) / 1e6)} | {num(p.get('forward_ms'))} | "
                        f"{num(p.get('train_step_ms'))} | {num(peak)}")
        lines.append(f"| {cell_name(s.cell)} | {profiled} | {f'{trained:,}' if trained is not None else '–'} | "
                     f"{num(step)} |")
    return lines


def _runs_table(result: AblationResult) -> list[str]:
    lines = ["| cell | seed | status | final | steps | seconds | note |", "|---|---|---|---|---|---|---|"]
    for r in result.runs:
        steps = int(r.curve[-1][0]) if r.curve else 0
        note = " ".join(r.error.split())[:160].replace("|", "\\|")
        lines.append(f"| {cell_name(r.cell)} | {r.seed} | {r.status} | {num(r.final, 6)} | {steps} | "
                     f"{r.seconds:.1f} | {note} |")
    return lines


def summary_lines(result: AblationResult) -> list[str]:
    """Which differences are significant and which are within noise, in plain words."""
    significant = [c for c in result.comparisons if c.significant]
    noise = [c for c in result.comparisons if not c.significant and c.p_holm is not None]
    lines = []
    if significant:
        lines.append("Significant differences from the baseline: " + "; ".join(c.cell for c in significant) + ".")
    else:
        lines.append("No difference from the baseline is significant.")
    if noise:
        lines.append("Within noise: " + "; ".join(c.cell for c in noise) + ".")
    return lines


def _factor_text(factor: Any) -> str:
    where = f" in slot {factor.target}" if factor.kind == "component" else ""
    return f"{factor.name} = {', '.join(factor.labels)} ({factor.kind}{where})"


def render_markdown(result: AblationResult, plots: dict[str, str]) -> str:
    env = result.environment
    baseline = result.cells[0].id
    better = "lower is better" if result.mode == "min" else "higher is better"
    commit = env.get("git_commit")
    commit_text = f"{commit[:12]}{' (uncommitted changes)' if env.get('git_dirty') else ''}" if commit else "not in git"
    versions = ", ".join(f"{k} {env[k]}" for k in ("python", "torch", "pytorch_lightning", "lightning") if env.get(k))
    lines = [
        f"# Ablation of {Path(result.implementation).name}", "",
        f"- implementation: `{result.implementation}` (git commit: {commit_text})",
        f"- metric: `{result.metric}`, its last logged value per run ({better})",
        f"- design: {'one factor at a time' if result.design == 'ofat' else 'full grid'}, {len(result.cells)} cells x "
        f"{len(result.seeds)} seeds ({', '.join(map(str, result.seeds))}), {result.max_steps} steps per run",
        "- factors: " + "; ".join(_factor_text(f) for f in result.factors),
        f"- baseline: `{baseline}` (the first level of every factor)",
        f"- statistics: 95% t-interval and percentile bootstrap (10,000 resamples) of the mean; Welch's t-test "
        f"against the baseline with Cohen's d; Holm's correction over {len(result.comparisons)} comparisons, "
        f"alpha = {result.alpha:g}",
        f"- environment: {versions}; device {env.get('device', '?')}; {env.get('jobs', '?')} runs at once, "
        f"{env.get('threads_per_run', '?')} thread(s) each; {result.seconds:.0f}s wall",
        "", "## Verdicts", "", *[f"- {c.verdict}" for c in result.comparisons], "", *summary_lines(result), "",
        "## Results", "", *_results_table(result), "",
        "## Cost", "",
        "Validator profile (`paper2code validate --checks profile`) of the largest module of each cell's code, "
        "beside what training it cost in these runs.", "", *_cost_table(result), "",
    ]
    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{name}]({rel})" for name, rel in plots.items()]
        lines.append("")
    lines += ["## Runs", "", *_runs_table(result), ""]
    if result.notes:
        lines += ["## Notes", "", *[f"- {n}" for n in result.notes], ""]
    return "\n".join(lines)


def write_csv(result: AblationResult, path: Path) -> None:
    names = [f.name for f in result.factors]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["cell", *names, "seed", "status", "metric", "final", "steps", "seconds", "parameters",
                         "step_ms", "device", "git_commit", "error", "key"])
        levels = {c.id: c.levels for c in result.cells}
        for r in result.runs:
            writer.writerow([r.cell, *[levels.get(r.cell, {}).get(n, "") for n in names], r.seed, r.status, r.metric,
                             "" if r.final is None else repr(r.final), int(r.curve[-1][0]) if r.curve else 0,
                             r.seconds, r.cost.get("parameters", ""), r.cost.get("step_ms", ""),
                             r.environment.get("device", ""), r.environment.get("git_commit") or "", r.error, r.key])


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_ablation(result: AblationResult, out: Path, *, plots: bool = True) -> dict[str, Path]:
    """Write report.md, results.csv, results.json and plots/*.png into ``out``; return them by name."""
    from agent.experiments import plots as plot_lib

    out = Path(out)
    paths: dict[str, Path] = {}
    rel: dict[str, str] = {}
    if plots and any(s.mean is not None for s in result.stats):
        (out / "plots").mkdir(parents=True, exist_ok=True)
        paths["curves"] = plot_lib.plot_curves(result, out / "plots" / "curves.png")
        paths["means"] = plot_lib.plot_means(result, out / "plots" / "means.png")
        rel = {"metric curves": "plots/curves.png", "means with 95% CIs": "plots/means.png"}
    paths["csv"] = out / "results.csv"
    write_csv(result, paths["csv"])
    paths["json"] = out / "results.json"
    _write_text(paths["json"], json.dumps(result.to_dict(), indent=1, sort_keys=True, default=str) + "\n")
    paths["report"] = out / "report.md"
    _write_text(paths["report"], render_markdown(result, rel))
    return paths


def _param_text(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def render_sweep_markdown(result: SweepResult, plot: str | None) -> str:
    counts: dict[str, int] = {}
    for t in result.trials:
        counts[t.state] = counts.get(t.state, 0) + 1
    env = result.environment
    commit = env.get("git_commit")
    lines = [
        f"# Sweep of {Path(result.implementation).name}", "",
        f"- implementation: `{result.implementation}` (git commit: {commit[:12] if commit else 'not in git'})",
        f"- study `{result.study}` in `{result.storage}` (run the same command again to resume or extend it)",
        f"- metric: `{result.metric}` ({'lower' if result.mode == 'min' else 'higher'} is better), its last value "
        f"after {result.max_steps} steps, training seed {result.seed}",
        "- search space: " + "; ".join(f"{k} = {v}" for k, v in result.space.items()),
        "- sampler: TPE; pruner: median (after the first quarter of its steps, a trial whose metric is worse than "
        "the median of earlier trials at the same step is stopped)",
        "- trials: " + ", ".join(f"{n} {state.lower()}" for state, n in sorted(counts.items())),
        f"- environment: optuna {env.get('optuna', '?')}; {env.get('jobs', '?')} trials at once; "
        f"{result.seconds:.0f}s wall this invocation", "",
    ]
    if result.best is not None:
        params = ", ".join(f"{k} = {_param_text(v)}" for k, v in result.best.params.items())
        lines += ["## Best", "", f"Trial {result.best.number}: {result.metric} = {num(result.best.value, 6)} with "
                  f"{params}.", ""]
    else:
        lines += ["## Best", "", "No trial finished.", ""]
    if plot:
        lines += ["## Optimisation history", "", f"![optimisation history]({plot})", ""]
    names = list(result.space)
    lines += ["## Trials", "", "| trial | state | " + " | ".join(names) + " | value | last reported | steps | seconds "
              "| note |", "|---|---|" + "---|" * len(names) + "---|---|---|---|---|"]
    for t in result.trials:
        cells = " | ".join(_param_text(t.params.get(n, "–")) for n in names)
        note = " ".join(t.error.split())[:120].replace("|", "\\|")
        seconds = f"{t.seconds:.1f}" if t.seconds is not None else "–"
        lines.append(f"| {t.number} | {t.state.lower()} | {cells} | {num(t.value, 6)} | {num(t.last, 6)} | "
                     f"{t.steps} | {seconds} | {note} |")
    if result.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in result.notes]]
    return "\n".join(lines) + "\n"


def write_sweep(result: SweepResult, out: Path, *, plots: bool = True) -> dict[str, Path]:
    """Write sweep.md, trials.csv, sweep.json and plots/history.png into ``out``; return them by name."""
    from agent.experiments import plots as plot_lib

    out = Path(out)
    paths: dict[str, Path] = {}
    plot = None
    if plots and any(t.state in ("COMPLETE", "PRUNED") for t in result.trials):
        (out / "plots").mkdir(parents=True, exist_ok=True)
        paths["history"] = plot_lib.plot_history([t.to_dict() for t in result.trials], result.metric, result.mode,
                                                 out / "plots" / "history.png")
        plot = "plots/history.png"
    paths["csv"] = out / "trials.csv"
    names = list(result.space)
    with open(paths["csv"], "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["trial", "state", *names, "value", "last", "steps", "seconds", "error"])
        for t in result.trials:
            writer.writerow([t.number, t.state, *[t.params.get(n, "") for n in names],
                             "" if t.value is None else repr(t.value), "" if t.last is None else repr(t.last),
                             t.steps, t.seconds if t.seconds is not None else "", t.error])
    paths["json"] = out / "sweep.json"
    _write_text(paths["json"], json.dumps(result.to_dict(), indent=1, sort_keys=True, default=str) + "\n")
    paths["report"] = out / "sweep.md"
    _write_text(paths["report"], render_sweep_markdown(result, plot))
    return paths
