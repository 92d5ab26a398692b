"""PNG plots (matplotlib, Agg): metric curves with a seed band per cell, a bar chart of cell means
with their 95% t-intervals and significance marks, and a sweep's optimisation history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from agent.types import AblationResult

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def mean_curve(curves: list[list[list[float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, mean, std) over the seeds' curves, on the steps every curve has."""
    if not curves:
        return np.array([]), np.array([]), np.array([])
    common = sorted(set.intersection(*(set(int(s) for s, _ in c) for c in curves)))
    table = np.array([[dict((int(s), v) for s, v in c)[step] for step in common] for c in curves], dtype=float)
    std = table.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros(len(common))
    return np.array(common), table.mean(axis=0), std


def plot_curves(result: AblationResult, path: Path) -> Path:
    """The metric against the step: each cell's mean over seeds, shaded mean +- one standard deviation."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for i, cell in enumerate(result.cells):
        curves = [r.curve for r in result.runs if r.cell == cell.id and r.status == "ok" and r.curve]
        steps, mean, std = mean_curve(curves)
        if not len(steps):
            continue
        label = f"{cell.id}{' (baseline)' if cell.baseline else ''} n={len(curves)}"
        ax.plot(steps, mean, color=_color(i), label=label, linewidth=2 if cell.baseline else 1.5)
        ax.fill_between(steps, mean - std, mean + std, color=_color(i), alpha=0.18, linewidth=0)
    ax.set_xlabel("step")
    ax.set_ylabel(result.metric)
    ax.set_title(f"{result.metric} over training: mean of seeds, band = +-1 sd")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_means(result: AblationResult, path: Path) -> Path:
    """One bar per cell: the mean final metric with its 95% t-interval; * marks a significant difference
    from the baseline (Holm-corrected Welch test), the baseline bar is hatched."""
    plt = _pyplot()
    significant = {c.cell: c.significant for c in result.comparisons}
    stats = [s for s in result.stats if s.mean is not None]
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(stats) + 2), 5), dpi=110)
    xs = np.arange(len(stats))
    means = [s.mean for s in stats]
    low = [s.mean - s.ci_t[0] if s.ci_t else 0.0 for s in stats]
    high = [s.ci_t[1] - s.mean if s.ci_t else 0.0 for s in stats]
    bars = ax.bar(xs, means, yerr=[low, high], capsize=6, color=[_color(i) for i in range(len(stats))], alpha=0.8)
    top = max((s.ci_t[1] if s.ci_t else s.mean) for s in stats) if stats else 0.0
    bottom = min((s.ci_t[0] if s.ci_t else s.mean) for s in stats) if stats else 0.0
    span = (top - bottom) or abs(top) or 1.0
    for bar, s in zip(bars, stats):
        if s.cell == result.cells[0].id:
            bar.set_hatch("//")
        mark = "*" if significant.get(s.cell) else ""
        ax.text(bar.get_x() + bar.get_width() / 2, (s.ci_t[1] if s.ci_t else s.mean) + 0.03 * span,
                f"{s.mean:.4g}{mark}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(xs)
    ax.set_xticklabels([s.cell.replace(" ", "\n") for s in stats], fontsize=8)
    ax.set_ylabel(f"final {result.metric}")
    low_limit = 0.0 if all(s.mean >= 0 for s in stats) and bottom >= 0 else bottom - 0.25 * span
    ax.set_ylim(low_limit, top + 0.2 * span)  # bars start at zero unless a value is negative
    ax.set_title(f"final {result.metric}: mean and 95% t-interval\n* = significant against the baseline (hatched), "
                 f"Holm-corrected Welch test, alpha = {result.alpha:g}", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_history(trials: list[dict[str, Any]], metric: str, mode: str, path: Path) -> Path:
    """A sweep's optimisation history: each finished trial's value, pruned trials' last values, best so far."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    finite = [t for t in trials if t["state"] != "COMPLETE" or (t["value"] is not None and np.isfinite(t["value"]))]
    done = [t for t in finite if t["state"] == "COMPLETE"]
    pruned = [t for t in finite if t["state"] == "PRUNED" and t.get("last") is not None and np.isfinite(t["last"])]
    if done:
        ax.scatter([t["number"] for t in done], [t["value"] for t in done], color=_color(0), label="complete", zorder=3)
        best, xs, ys = None, [], []
        for t in sorted(done, key=lambda t: t["number"]):
            if best is None or (t["value"] < best if mode == "min" else t["value"] > best):
                best = t["value"]
            xs.append(t["number"])
            ys.append(best)
        last = max(t["number"] for t in trials)
        if xs[-1] < last:
            xs.append(last)
            ys.append(best)
        ax.step(xs, ys, where="post", color=_color(1), label="best so far")
    if pruned:
        ax.scatter([t["number"] for t in pruned], [t["last"] for t in pruned], marker="x", color=_color(7),
                   label="pruned (last reported)", zorder=3)
    values = [t["value"] for t in done] + [t["last"] for t in pruned]
    if values and min(values) > 0 and max(values) / min(values) > 50:
        ax.set_yscale("log")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.set_title(f"optimisation history ({'lower' if mode == 'min' else 'higher'} is better)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
