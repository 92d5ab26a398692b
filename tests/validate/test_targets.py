"""Manifest features the catalog and the drafter rely on, executed: function targets with keyword
arguments and a scalar output, a ``method`` instead of forward, sub-modules built from ``modules``,
integer inputs, tuple outputs; and ``--allow-unsafe`` for the static scan."""

from __future__ import annotations

from pathlib import Path

from agent.types import ValidateOptions
from agent.validate import validate_project
from tests.validate.conftest import by_target
from tests.validate.mutants import FIXTURES

CODE = '''
import torch
import torch.nn.functional as F
from torch import nn


def smooth_l1(pred, target, beta=1.0):
    return F.smooth_l1_loss(pred, target, beta=beta)


class Encoder(nn.Module):
    def __init__(self, *, vocab, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)

    def encode(self, tokens):
        return self.embed(tokens).mean(dim=1)


class Wrapper(nn.Module):
    def __init__(self, *, inner, dim):
        super().__init__()
        self.inner = inner
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        y = self.proj(self.inner(x))
        return y, y.norm(dim=-1)
'''

MANIFEST = '''
[project]
name = "targets"

[[module]]
name = "loss"
target = "pkg.parts:smooth_l1"
init = { beta = 0.5 }
inputs = { pred = "b k", target = "b k" }
output = ""

[[module]]
name = "encoder"
target = "pkg.parts:Encoder"
method = "encode"
init = { vocab = 11, dim = 8 }
inputs = { tokens = "b n" }
integer_inputs = { tokens = 11 }
dims = { d = 8 }
output = "b d"
properties = ["batch_independent"]

[[module]]
name = "wrapper"
target = "pkg.parts:Wrapper"
init = { dim = 8 }
modules = { inner = { target = "torch.nn:Tanh" } }
inputs = { x = "b n d" }
dims = { d = 8 }
output = ["b n d", "b n"]
properties = ["batch_independent", "causal"]
'''


def test_function_method_submodule_and_tuple_targets(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "parts.py").write_text(CODE)
    (tmp_path / "paper2code.toml").write_text(MANIFEST)
    report = validate_project(tmp_path, checks=["shapes", "gradcheck", "grad_flow", "determinism",
                                                "batch_independent", "causal"])
    results = by_target(report)
    problems = [(c.target, c.name, c.detail) for c in report.checks if c.status not in ("pass", "skip")]
    assert not problems, problems
    assert results["loss"]["grad_flow"].status == "skip"  # a function has no parameters
    assert results["encoder"]["gradcheck"].status == "pass"  # integer inputs: parameters only
    assert "inner" not in results["wrapper"]["grad_flow"].detail
    assert results["loss"]["causal"].status == "skip"  # asked for, but not a listed property


def test_allow_unsafe_reports_without_failing() -> None:
    strict = validate_project(FIXTURES / "hostile", checks=["static"])
    assert strict.checks[0].status == "fail" and not strict.passed
    allowed = validate_project(FIXTURES / "hostile", checks=["static"], options=ValidateOptions(allow_unsafe=True))
    assert allowed.checks[0].status == "pass" and "allowed by --allow-unsafe" in allowed.checks[0].detail
    assert allowed.environment["worker_starts"] == 0  # the scan never starts the sandbox
