"""Sizes drawn per axis name for the executed checks (pure Python).

``shape_draws`` gives the draws of the ``shapes`` check: distinct small primes, every varying
axis 1, batch 1 with odd sizes elsewhere, sizes above 8, and a seeded random draw. Other checks
use one ``small`` draw (cheap, every axis distinct so a transposed axis shows).
"""

from __future__ import annotations

import random
from typing import Any

from agent.validate.patterns import pattern_names

_SMALL = (2, 3, 5, 7, 11, 13, 17, 19)
_ODD = (3, 5, 7, 9, 11, 13, 15, 17)
_LARGE = (11, 13, 9, 17, 19, 23, 10, 12)


def varying_axes(spec: dict[str, Any]) -> list[str]:
    """Axis names of the inputs that are not fixed by ``dims``, in order of appearance."""
    names: list[str] = []
    for inp in spec["inputs"]:
        for name in pattern_names(inp["shape"]):
            if name not in names and name not in spec["dims"]:
                names.append(name)
    return names


def _fit(spec: dict[str, Any], sizes: dict[str, int]) -> dict[str, int]:
    out = dict(spec["dims"])
    for name, value in sizes.items():
        step = spec["multiple_of"].get(name, 1)
        value = -(-max(1, value) // step) * step
        cap = spec["max_dims"].get(name)
        if cap is not None and value > cap:
            value = max(step, cap // step * step)
        out[name] = value
    return out


def shape_draws(spec: dict[str, Any], seed: int) -> list[tuple[str, dict[str, int]]]:
    """(label, sizes) of every draw the shapes check runs."""
    axes = varying_axes(spec)
    batch = spec["batch_dim"]
    rng = random.Random(seed)
    others = [a for a in axes if a != batch]
    draws = [
        ("distinct", {a: _SMALL[i % len(_SMALL)] for i, a in enumerate(axes)}),
        ("ones", {a: 1 for a in axes}),
        ("batch-1", {a: 1 if a == batch else _ODD[others.index(a) % len(_ODD)] for a in axes}),
        ("above-8", {a: _LARGE[i % len(_LARGE)] for i, a in enumerate(axes)}),
        ("random", {a: rng.randint(1, 12) for a in axes}),
    ]
    seen: list[dict[str, int]] = []
    out = []
    for label, sizes in draws:
        fitted = _fit(spec, sizes)
        if fitted not in seen:
            seen.append(fitted)
            out.append((label, fitted))
    return out


def small_sizes(spec: dict[str, Any], **overrides: int) -> dict[str, int]:
    """One cheap draw: distinct small sizes, with ``overrides`` (e.g. ``b=3``) where the axis varies."""
    axes = varying_axes(spec)
    sizes = {a: _SMALL[i % len(_SMALL)] for i, a in enumerate(axes)}
    for name, value in overrides.items():
        if name in sizes:
            sizes[name] = value
    return _fit(spec, sizes)


def more_tokens(spec: dict[str, Any]) -> dict[str, int]:
    """A draw with many positions (batch 4, other varying axes 16, within their caps): enough tokens for
    a router to send some to every expert."""
    batch = spec["batch_dim"]
    return _fit(spec, {a: 4 if a == batch else 16 for a in varying_axes(spec)})


def describe(sizes: dict[str, int], spec: dict[str, Any] | None = None) -> str:
    """``b=2 n=3 (d=16 fixed)``."""
    fixed = spec["dims"] if spec else {}
    varying = " ".join(f"{k}={v}" for k, v in sizes.items() if k not in fixed)
    pinned = " ".join(f"{k}={v}" for k, v in sizes.items() if k in fixed)
    return (varying + (f" ({pinned} fixed)" if pinned else "")).strip() or "scalars only"
