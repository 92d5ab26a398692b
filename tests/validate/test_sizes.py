"""Patterns and size draws (pure Python, no sandbox)."""

from __future__ import annotations

import pytest

from agent.validate.checks.sizes import shape_draws, small_sizes
from agent.validate.patterns import PatternError, axis_index, expected_shape, parse_pattern, pattern_names


def spec(**extra):
    base = {"inputs": [{"name": "x", "shape": "b n d"}], "dims": {"d": 16}, "max_dims": {}, "multiple_of": {},
            "batch_dim": "b"}
    base.update(extra)
    return base


def test_patterns() -> None:
    assert pattern_names("b n (h d)") == ["b", "n", "h", "d"]
    assert expected_shape("b n (h d) 3", {"b": 2, "n": 5, "h": 4, "d": 8}) == (2, 5, 32, 3)
    assert expected_shape("", {}) == ()
    assert axis_index("b n d", "n") == 1 and axis_index("b (n d)", "n") is None
    for bad in ("b (n d", "b ((n)) d", "b ... d", "b n-d", "b 0"):
        with pytest.raises(PatternError):
            parse_pattern(bad)


def test_shape_draws_cover_one_large_and_odd_sizes() -> None:
    draws = dict(shape_draws(spec(), seed=0))
    assert draws["ones"] == {"d": 16, "b": 1, "n": 1}
    assert draws["batch-1"]["b"] == 1 and draws["batch-1"]["n"] % 2 == 1
    assert all(v > 8 for k, v in draws["above-8"].items() if k != "d")
    assert draws["distinct"]["b"] != draws["distinct"]["n"]
    assert all(sizes["d"] == 16 for sizes in draws.values())


def test_limits_and_multiples_are_honoured() -> None:
    draws = shape_draws(spec(max_dims={"n": 8}, multiple_of={"n": 4}), seed=3)
    assert all(s["n"] <= 8 and s["n"] % 4 == 0 for _, s in draws)
    assert small_sizes(spec(), b=4) == {"d": 16, "b": 4, "n": 3}
