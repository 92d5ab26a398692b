"""LoRA against one linear map with the merged weight; gradient reversal against its definition."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tests.catalog.helpers import close, randomize_, symbol


def test_lora_matches_merged_linear():
    cls = symbol("lora_linear")
    base = nn.Linear(6, 4, dtype=torch.float64)
    lora = cls.from_linear(base, rank=2, alpha=8.0)
    x = torch.randn(3, 5, 6, dtype=torch.float64)
    close(lora(x), base(x))  # B = 0: training starts from W_0 (§4.1)
    assert [n for n, p in lora.named_parameters() if p.requires_grad] == ["lora_a", "lora_b"]
    with torch.no_grad():
        lora.lora_b.normal_()
    merged = base.weight + (8.0 / 2) * lora.lora_b @ lora.lora_a  # W_0 + (alpha / r) B A, eq. (3)
    expected = F.linear(x, merged, base.bias)
    close(lora(x), expected)
    lora.merge()
    assert lora.merged
    close(lora.weight, merged)
    close(lora(x), expected)
    lora.unmerge()
    close(lora.weight, base.weight)
    close(lora(x), expected)
    loss = lora(x).sum()
    loss.backward()
    assert lora.weight.grad is None and lora.lora_a.grad is not None


def test_gradient_reversal_matches_paper():
    layer = symbol("gradient_reversal")(scale=0.7)
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    y = layer(x)
    close(y, x)  # R(x) = x
    upstream = torch.randn(3, 4, dtype=torch.float64)
    (grad,) = torch.autograd.grad(y, x, upstream)
    close(grad, -0.7 * upstream)  # dR/dx = -lambda I
    # between a feature extractor and a domain classifier: features receive the reversed gradient
    features, classifier = nn.Linear(4, 4).double(), randomize_(nn.Linear(4, 1).double())
    plain = torch.autograd.grad(classifier(features(x)).sum(), features.weight)[0]
    reversed_ = torch.autograd.grad(classifier(layer(features(x))).sum(), features.weight)[0]
    close(reversed_, -0.7 * plain)
