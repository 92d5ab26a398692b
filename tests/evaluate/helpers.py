"""Tiny hand-written implementations (a manifest and a module, in the style of tests/fixtures/validate)
for the eval tests: each validates in a few seconds with ``checks=["shapes", "reference"]``."""

from __future__ import annotations

import textwrap
from pathlib import Path

QUICK_CHECKS = ["shapes", "reference"]

_MODEL = '''\
"""RMS normalisation (Zhang and Sennrich, 2019): x / sqrt(mean(x^2) + eps) * g."""

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, *, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight  # BODY
'''

_REF = '''\
"""Reference: the same normalisation written with torch.linalg.vector_norm."""

import math

import torch


def rms_norm(module, x):
    rms = torch.linalg.vector_norm(x, dim=-1, keepdim=True) / math.sqrt(x.shape[-1])
    return x / torch.sqrt(rms**2 + module.eps) * module.weight
'''


def write_implementation(root: Path, name: str, *, broken: bool = False) -> Path:
    """An implementation folder ``root/name`` with package ``name``; ``broken`` sums the squares instead
    of averaging them (the reference check then fails)."""
    folder = root / name
    package = folder / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f'"""{name}: a test implementation."""\n', encoding="utf-8")
    model = _MODEL.replace("  # BODY", "")
    if broken:
        model = model.replace("x.pow(2).mean(dim=-1", "x.pow(2).sum(dim=-1")
    (package / "model.py").write_text(model, encoding="utf-8")
    (package / "ref.py").write_text(_REF, encoding="utf-8")
    (folder / "paper2code.toml").write_text(textwrap.dedent(f"""\
        [project]
        name = "{name}"

        [[module]]
        name = "norm"
        target = "{name}.model:RMSNorm"
        init = {{ dim = 8 }}
        inputs = {{ x = "b n d" }}
        dims = {{ d = 8 }}
        output = "b n d"
        reference = "{name}.ref:rms_norm"
        """), encoding="utf-8")
    return folder
