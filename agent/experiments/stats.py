"""Statistics of an ablation: per-cell mean, standard deviation and 95% intervals (Student t and
percentile bootstrap); each cell against the baseline with Welch's t-test and Cohen's d; Holm's
step-down correction over those comparisons. scipy gives the t distribution; the bootstrap and Holm
are written here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from agent.types import CellStats, Comparison

BOOTSTRAP_RESAMPLES = 10_000
CONFIDENCE = 0.95


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The Student-t confidence interval of the mean (None below two values)."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return None
    mean, sem = float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=x.size - 1)) * sem
    return mean - half, mean + half


def bootstrap_interval(values: Sequence[float], confidence: float = CONFIDENCE,
                       resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> tuple[float, float] | None:
    """The percentile bootstrap interval of the mean: resample with replacement, take the quantiles of
    the resampled means. Seeded, so a report is reproducible. None below two values."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return None
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(resamples, x.size))].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def summarize(cell: str, values: Sequence[float], failed: int = 0) -> CellStats:
    """Mean, standard deviation and both 95% intervals of a cell's final metric values."""
    x = [float(v) for v in values]
    n = len(x)
    mean = float(np.mean(x)) if n else None
    std = float(np.std(x, ddof=1)) if n >= 2 else None
    ci_t, ci_b = t_interval(x), bootstrap_interval(x)
    return CellStats(cell=cell, n=n, mean=mean, std=std, ci_t=list(ci_t) if ci_t else None,
                     ci_bootstrap=list(ci_b) if ci_b else None, values=x, failed=failed)


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Welch's two-sided t-test of mean(a) = mean(b): (t, p). Both groups without spread: p is 1 when
    the means are equal and 0 when they differ (the difference is exact, not noise)."""
    from scipy import stats

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size < 2 or y.size < 2:
        return math.nan, math.nan
    if x.var(ddof=1) == 0 and y.var(ddof=1) == 0:
        diff = float(x.mean() - y.mean())
        return (0.0, 1.0) if diff == 0 else (math.copysign(math.inf, diff), 0.0)
    t, p = stats.ttest_ind(x, y, equal_var=False)
    return float(t), float(p)


def cohens_d(a: Sequence[float], b: Sequence[float]) -> float:
    """Cohen's d of a against b: the difference of means over the pooled standard deviation."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size < 2 or y.size < 2:
        return math.nan
    pooled = ((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2)
    diff = float(x.mean() - y.mean())
    if pooled == 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / math.sqrt(pooled)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given; NaN stays NaN and is not counted).

    Sorted ascending, the i-th smallest of m is multiplied by (m - i), a running maximum keeps the
    adjusted values monotone, and they are capped at 1.
    """
    indexed = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    indexed.sort()
    m = len(indexed)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def compare(stats: list[CellStats], baseline: str, *, metric: str, mode: str = "min",
            alpha: float = 0.05) -> list[Comparison]:
    """Every other cell against ``baseline``: Welch's t, p, Holm-adjusted p, Cohen's d and a verdict."""
    by_cell = {s.cell: s for s in stats}
    base = by_cell[baseline]
    others = [s for s in stats if s.cell != baseline]
    raw = [welch(s.values, base.values) for s in others]
    adjusted = holm([p for _, p in raw])
    out = []
    for s, (t, p), p_adj in zip(others, raw, adjusted):
        diff = s.mean - base.mean if s.mean is not None and base.mean is not None else None
        d = cohens_d(s.values, base.values)
        significant = not math.isnan(p_adj) and p_adj < alpha
        out.append(Comparison(
            cell=s.cell, baseline=baseline, difference=diff, t=None if math.isnan(t) else t,
            p=None if math.isnan(p) else p, p_holm=None if math.isnan(p_adj) else p_adj,
            cohens_d=None if math.isnan(d) else d, significant=significant,
            verdict=verdict(s.cell, diff, p_adj, d, significant, metric=metric, mode=mode, alpha=alpha,
                            n=(s.n, base.n)),
        ))
    return out


def verdict(cell: str, diff: float | None, p_adj: float, d: float, significant: bool, *, metric: str, mode: str,
            alpha: float, n: tuple[int, int]) -> str:
    """One plain sentence on a comparison."""
    if diff is None or math.isnan(p_adj):
        return f"{cell}: not enough finished runs to compare (n = {n[0]} vs {n[1]}; two each are needed)"
    if diff == 0 and not significant:
        return f"{cell}: same {metric} as the baseline (Holm p = {_fmt(p_adj)}): within noise"
    direction = "lower" if diff < 0 else "higher"
    better = (diff < 0) == (mode == "min")
    size = f"{abs(diff):.4g}"
    effect = "" if math.isnan(d) else f", d = {d:+.2f}"
    if significant:
        return (f"{cell}: {metric} {direction} by {size} ({'better' if better else 'worse'}; Holm p = "
                f"{_fmt(p_adj)}{effect}): significant at alpha = {alpha:g}")
    return (f"{cell}: {metric} {direction} by {size} (Holm p = {_fmt(p_adj)}{effect}): within noise, "
            f"not significant at alpha = {alpha:g}")
