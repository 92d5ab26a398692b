"""Statistics of ablations: intervals, Welch, Cohen's d, Holm, and verdicts on effects of known size."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from agent.experiments import stats


def test_t_interval_matches_scipy() -> None:
    values = [1.3, 0.7, 1.1, 0.95, 1.4]
    low, high = stats.t_interval(values)
    ref = sps.t.interval(0.95, df=4, loc=np.mean(values), scale=sps.sem(values))
    assert low == pytest.approx(ref[0], rel=1e-12)
    assert high == pytest.approx(ref[1], rel=1e-12)
    assert stats.t_interval([1.0]) is None


def test_bootstrap_interval_is_seeded_and_close_to_t_for_normal_data() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(2.0, 0.5, size=60)
    first = stats.bootstrap_interval(values)
    assert first == stats.bootstrap_interval(values)  # reproducible report
    low, high = first
    t_low, t_high = stats.t_interval(values)
    assert low < values.mean() < high
    assert low == pytest.approx(t_low, abs=0.05) and high == pytest.approx(t_high, abs=0.05)
    # the interval of a constant sample is that constant
    assert stats.bootstrap_interval([4.0, 4.0, 4.0]) == (4.0, 4.0)


def test_welch_matches_scipy_and_handles_no_spread() -> None:
    a, b = [1.0, 1.2, 0.9, 1.1], [1.5, 1.9, 1.4, 1.6, 1.7]
    t, p = stats.welch(a, b)
    ref = sps.ttest_ind(a, b, equal_var=False)
    assert t == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert stats.welch([1.0, 1.0], [1.0, 1.0]) == (0.0, 1.0)
    t, p = stats.welch([2.0, 2.0], [1.0, 1.0])
    assert p == 0.0 and t == math.inf
    assert all(math.isnan(x) for x in stats.welch([1.0], [1.0, 2.0]))


def test_cohens_d() -> None:
    assert stats.cohens_d([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == pytest.approx(-1.0)
    assert stats.cohens_d([5.0, 5.0], [5.0, 5.0]) == 0.0
    assert math.isnan(stats.cohens_d([1.0], [1.0, 2.0]))


def test_holm_by_hand() -> None:
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    adjusted = stats.holm([0.2, math.nan, 0.01])
    assert adjusted[0] == pytest.approx(0.2) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.02)


def _experiment(rng: np.random.Generator, n: int = 5) -> list:
    """Baseline, a factor shifting the loss by 0.5 and one doing nothing; noise sd 0.1."""
    base = 2.0 + rng.normal(0, 0.1, n)
    real = 2.5 + rng.normal(0, 0.1, n)
    null = 2.0 + rng.normal(0, 0.1, n)
    cells = [stats.summarize("base", base), stats.summarize("real", real), stats.summarize("null", null)]
    return stats.compare(cells, "base", metric="val_loss")


def test_known_effect_is_significant_and_null_is_not_across_repeated_experiments() -> None:
    rng = np.random.default_rng(2024)
    real_hits = null_hits = 0
    repeats = 300
    for _ in range(repeats):
        real, null = _experiment(rng)
        real_hits += real.significant
        null_hits += null.significant
    assert real_hits == repeats  # d = 5 with 5 seeds a cell: always found
    assert null_hits <= 0.08 * repeats  # false positives stay near (below) alpha = 0.05
    real, null = _experiment(np.random.default_rng(7))
    assert real.difference == pytest.approx(0.5, abs=0.15) and real.cohens_d > 2
    assert "significant at alpha = 0.05" in real.verdict and "worse" in real.verdict
    assert "within noise" in null.verdict
    assert real.p_holm >= real.p  # the correction never lowers a p-value


def test_summarize_and_verdict_for_too_few_runs() -> None:
    cells = [stats.summarize("base", [1.0, 1.1, 0.9]), stats.summarize("lonely", [2.0], failed=2)]
    assert cells[1].std is None and cells[1].ci_t is None and cells[1].failed == 2
    (comparison,) = stats.compare(cells, "base", metric="val_loss")
    assert not comparison.significant and "not enough finished runs" in comparison.verdict
