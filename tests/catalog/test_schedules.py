"""Learning-rate schedules against torch.optim.lr_scheduler and the Transformer's eq. (3)."""

from __future__ import annotations

import math
import re

import pytest
import torch

from tests.catalog.helpers import symbol
from tests.conftest import require_shared


def _lambda_lr(fn, steps: int) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, fn)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def test_inverse_sqrt_matches_equation_3():
    fn = symbol("inverse_sqrt_warmup")
    for step in range(0, 12000, 37):
        n = step + 1  # step_num counts from 1
        expected = 512**-0.5 * min(n**-0.5, n * 4000**-1.5)  # eq. (3)
        assert math.isclose(fn(step), expected, rel_tol=1e-12)
    peak = max(range(8000), key=fn)
    assert peak == 3999  # the rate peaks at step_num = warmup_steps
    rates = _lambda_lr(lambda s: fn(s, d_model=64, warmup_steps=10), 40)
    assert rates == pytest.approx([64**-0.5 * min((s + 1) ** -0.5, (s + 1) * 10**-1.5) for s in range(40)], rel=1e-12)


def test_inverse_sqrt_matches_compiled_paper_equation():
    """The Transformer paper's own LaTeX of eq. (3), compiled by agent.equations, gives the same rates."""
    equations = pytest.importorskip("agent.equations")
    tex = require_shared("transformer", "training.tex").read_text(encoding="utf-8")
    latex = re.search(r"\\begin\{equation\}\s*(lrate.*?)\\end\{equation\}", tex, re.S).group(1)
    latex = latex.replace("\\dmodel", "d_{\\text{model}}")
    compiled = equations.compile_equation(latex)
    assert compiled.verified, compiled.notes
    fn = symbol("inverse_sqrt_warmup")
    for step in (0, 10, 3999, 4000, 20000):
        args = {"d_model": 512.0, "step_num": float(step + 1), "warmup_steps": 4000.0}
        value = compiled.fn(*[torch.tensor(args[name], dtype=torch.float64) for name in compiled.inputs])
        assert math.isclose(float(value), fn(step), rel_tol=1e-9)


def test_warmup_cosine_matches_torch_schedulers():
    fn = symbol("warmup_cosine")
    warmup, total, floor = 10, 60, 0.1
    ours = _lambda_lr(lambda s: fn(s, warmup_steps=warmup, max_steps=total, min_lr_ratio=floor), total)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = torch.optim.lr_scheduler.SequentialLR(
        optimizer,
        [
            torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1 / warmup, total_iters=warmup - 1),
            torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup, eta_min=floor),
        ],
        milestones=[warmup],
    )
    theirs = []
    for _ in range(total):
        theirs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert ours == pytest.approx(theirs, abs=1e-9)
    assert fn(total + 5, warmup_steps=warmup, max_steps=total, min_lr_ratio=floor) == pytest.approx(floor)
