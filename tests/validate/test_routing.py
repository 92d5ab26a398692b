"""grad_flow and routed computation: experts that no token chose at the check's sizes are not a bug, while
a layer the loop never reaches and a head never called still are."""

from __future__ import annotations

from pathlib import Path

from agent.validate import validate_project
from tests.validate.conftest import by_target

CODE = '''
import torch
from torch import nn


class Experts(nn.Module):
    """Top-1 routing over many experts: a tiny batch reaches only a few of them."""

    def __init__(self, *, dim, num_experts):
        super().__init__()
        self.router = nn.Linear(dim, num_experts)
        self.experts = nn.ModuleList(nn.Linear(dim, dim) for _ in range(num_experts))

    def forward(self, x):
        flat = x.reshape(-1, x.shape[-1])
        gate, choice = self.router(flat).softmax(dim=-1).max(dim=-1)
        out = torch.zeros_like(flat)
        for index, expert in enumerate(self.experts):
            rows = (choice == index).nonzero().flatten()
            if rows.numel():
                out[rows] = gate[rows, None] * expert(flat[rows])
        return out.reshape(x.shape)


class SkipsLastLayer(nn.Module):
    """Bug: the loop stops one layer early, so the last layer never runs."""

    def __init__(self, *, dim, depth):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, dim) for _ in range(depth))

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.tanh(layer(x))
        return x


class UnusedHead(nn.Module):
    """Bug: a head is built but never called."""

    def __init__(self, *, dim):
        super().__init__()
        self.body = nn.Linear(dim, dim)
        self.heads = nn.ModuleList([nn.Linear(dim, dim), nn.Linear(dim, 1)])

    def forward(self, x):
        return self.heads[0](self.body(x))
'''

MANIFEST = '''
[project]
name = "routing"

[[module]]
name = "experts"
target = "pkg.parts:Experts"
init = { dim = 8, num_experts = 64 }
inputs = { x = "b n d" }
dims = { d = 8 }
output = "b n d"

[[module]]
name = "skips_last_layer"
target = "pkg.parts:SkipsLastLayer"
init = { dim = 8, depth = 3 }
inputs = { x = "b n d" }
dims = { d = 8 }
output = "b n d"

[[module]]
name = "unused_head"
target = "pkg.parts:UnusedHead"
init = { dim = 8 }
inputs = { x = "b n d" }
dims = { d = 8 }
output = "b n d"
'''


def test_routed_experts_pass_skipped_layers_fail(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "parts.py").write_text(CODE)
    (tmp_path / "paper2code.toml").write_text(MANIFEST)
    results = by_target(validate_project(tmp_path, checks=["grad_flow"]))

    experts = results["experts"]["grad_flow"]
    assert experts.status == "pass", experts.detail
    # 64 experts, top-1, 6 tokens at the first draw: most experts were reached only with more tokens, and
    # those no draw chose are named as not exercised, never counted as having gradients
    assert "routed or size-dependent paths" in experts.detail and "routed member(s) never chosen" in experts.detail
    assert "experts." in experts.detail and "of 130 parameter tensors" in experts.detail

    skipped = results["skips_last_layer"]["grad_flow"]
    assert skipped.status == "fail" and "layers.2.weight" in skipped.detail and "layers.0" not in skipped.detail
    assert "and again at sizes b=4" in skipped.detail  # the larger draws did not reach it either

    unused = results["unused_head"]["grad_flow"]
    assert unused.status == "fail" and "heads.1.weight" in unused.detail
