"""Normalisation components against torch built-ins, or (DyT) the paper's closed form (float64, 1e-6)."""

from __future__ import annotations

import math

import torch
from torch import nn

from tests.catalog.helpers import close, randomize_, symbol


def test_layer_norm_matches_torch():
    module = randomize_(symbol("layer_norm")(d_model=12, eps=1e-5).double())
    ref = nn.LayerNorm(12, eps=1e-5, dtype=torch.float64)
    ref.load_state_dict(module.state_dict())
    x = torch.randn(3, 5, 12, dtype=torch.float64) * 3 + 1
    close(module(x), ref(x))
    no_bias = symbol("layer_norm")(d_model=12, bias=False).double()
    assert no_bias.bias is None
    close(no_bias(x), nn.LayerNorm(12, bias=False, dtype=torch.float64)(x))


def test_rms_norm_matches_torch():
    module = randomize_(symbol("rms_norm")(d_model=12, eps=1e-6).double())
    ref = nn.RMSNorm(12, eps=1e-6, dtype=torch.float64)
    ref.load_state_dict(module.state_dict())
    x = torch.randn(3, 5, 12, dtype=torch.float64) * 3 + 1
    close(module(x), ref(x))


def test_dyt_matches_paper():
    module = randomize_(symbol("dyt")(d_model=4).double())
    assert symbol("dyt")(d_model=4).alpha.item() == 0.5  # alpha_0 default
    x = torch.randn(2, 3, 4, dtype=torch.float64)
    expected = torch.empty_like(x)
    for idx in range(x.numel()):
        b, n, i = idx // 12, (idx // 4) % 3, idx % 4
        expected[b, n, i] = module.weight[i] * math.tanh(module.alpha.item() * x[b, n, i].item()) + module.bias[i]
    close(module(x), expected)


def test_batch_norm_matches_torch():
    module = randomize_(symbol("batch_norm")(d_model=6, momentum=0.2).double())
    ref = nn.BatchNorm1d(6, momentum=0.2, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(module.weight)
        ref.bias.copy_(module.bias)
    module.train(), ref.train()
    for _ in range(3):  # training: batch statistics, running averages updated alike
        x = torch.randn(4, 5, 6, dtype=torch.float64) * 2 + 1  # (b, n, d): statistics over b and n
        close(module(x), ref(x.transpose(1, 2)).transpose(1, 2))
        flat = torch.randn(7, 6, dtype=torch.float64)
        close(module(flat), ref(flat))
    close(module.running_mean, ref.running_mean)
    close(module.running_var, ref.running_var)
    module.eval(), ref.eval()
    x = torch.randn(4, 6, dtype=torch.float64)
    close(module(x), ref(x))


def test_group_norm_matches_torch():
    module = randomize_(symbol("group_norm")(num_channels=8, num_groups=4).double())
    ref = nn.GroupNorm(4, 8, dtype=torch.float64)
    ref.load_state_dict(module.state_dict())
    for shape in ((2, 8, 5, 3), (2, 8, 7), (3, 8)):
        x = torch.randn(shape, dtype=torch.float64) * 2 + 1
        close(module(x), ref(x))


def test_weight_norm_matches_torch():
    module = randomize_(symbol("weight_norm_linear")(in_features=5, out_features=3).double())
    ref = nn.utils.parametrizations.weight_norm(nn.Linear(5, 3, dtype=torch.float64), dim=0)
    with torch.no_grad():
        ref.parametrizations.weight.original0.copy_(module.g[:, None])  # g
        ref.parametrizations.weight.original1.copy_(module.v)  # v
        ref.bias.copy_(module.bias)
    x = torch.randn(4, 5, dtype=torch.float64)
    close(module(x), ref(x))
    close(module.weight, ref.weight)
    # §3 data-dependent init: the units' pre-activations on the batch get zero mean and unit variance
    batch = torch.randn(64, 5, dtype=torch.float64) * 3 + 2
    module.data_dependent_init(batch)
    out = module(batch)
    close(out.mean(0), torch.zeros(3, dtype=torch.float64))
    close(out.std(0, unbiased=False), torch.ones(3, dtype=torch.float64))
