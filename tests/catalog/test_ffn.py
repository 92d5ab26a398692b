"""Feed-forward components against nn.TransformerEncoderLayer's FFN or the papers' equations."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tests.catalog.helpers import close, randomize_, symbol


def test_feed_forward_matches_torch_encoder_ffn():
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    for name, activation in (("feed_forward_relu", "relu"), ("feed_forward_gelu", "gelu")):
        module = randomize_(symbol(name)(d_model=8, d_ff=16, dropout=0.1).double().eval())
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, activation=activation, dtype=torch.float64).eval()
        layer.linear1.load_state_dict(module.w_1.state_dict())
        layer.linear2.load_state_dict(module.w_2.state_dict())
        close(module(x), layer.linear2(layer.dropout(layer.activation(layer.linear1(x)))))
        assert module.activation == activation


def _swish(t: float) -> float:
    return t / (1 + math.exp(-t))  # Swish_1(x) = x sigmoid(x)


def _gelu(t: float) -> float:
    return 0.5 * t * (1 + math.erf(t / math.sqrt(2)))


def test_glu_variants_match_paper():
    x = torch.randn(2, 3, 6, dtype=torch.float64)
    for name, act in (("swiglu", _swish), ("geglu", _gelu), ("reglu", lambda t: max(0.0, t))):
        module = randomize_(symbol(name)(d_model=6, d_ff=4).double().eval())
        assert module.w.bias is None  # eq. (6) omits the biases
        w, v, w2 = module.w.weight.T, module.v.weight.T, module.w_2.weight.T  # x W, x V, (.) W_2
        expected = torch.zeros_like(x)
        for b in range(2):
            for n in range(3):
                xw, xv = x[b, n] @ w, x[b, n] @ v
                hidden = torch.tensor([act(a.item()) * c.item() for a, c in zip(xw, xv, strict=True)],
                                      dtype=torch.float64)
                expected[b, n] = hidden @ w2  # (act(xW) * xV) W_2, eq. (6)
        close(module(x), expected)


@pytest.mark.parametrize("top_k", [2, 1])
def test_mixture_of_experts_matches_loop(top_k):
    cls = symbol("mixture_of_experts", {"expert": "feed_forward_relu"})
    module = randomize_(cls(d_model=6, d_ff=8, num_experts=4, top_k=top_k).double().eval())
    x = torch.randn(3, 5, 6, dtype=torch.float64)
    out = module(x)
    tokens = x.reshape(-1, 6)
    expected = torch.zeros_like(tokens)
    counts = torch.zeros(4, dtype=torch.float64)
    probs = torch.zeros(4, dtype=torch.float64)
    for t in range(tokens.shape[0]):
        logits = module.router.weight @ tokens[t]
        top = sorted(range(4), key=lambda e: -logits[e].item())[:top_k]
        if top_k == 1:  # Switch §2.1: the chosen expert's probability p_i(x) over all experts
            gates = torch.softmax(logits, dim=0)[top]
        else:
            gates = torch.softmax(torch.stack([logits[e] for e in top]), dim=0)  # Softmax(TopK(x W_g))
        expected[t] = sum(g * module.experts[e](tokens[t][None])[0] for g, e in zip(gates, top, strict=True))
        for e in top:
            counts[e] += 1
        probs += torch.softmax(logits, dim=0)
    close(out, expected.reshape(x.shape))
    fraction, mean_prob = counts / counts.sum(), probs / tokens.shape[0]
    close(module.aux_loss, 4 * (fraction * mean_prob).sum())  # Switch eq. (4): N sum_i f_i P_i
    # perfectly balanced routing gives the minimum aux loss of 1
    assert module.aux_loss.item() >= 0.99


def test_top_one_router_learns_from_the_task_loss():
    """Softmax over a single chosen logit is constant 1: top-1 routing takes Switch's gate so the router gets a
    gradient from the output, not only from the load-balancing loss."""
    cls = symbol("mixture_of_experts", {"expert": "feed_forward_relu"})
    module = randomize_(cls(d_model=6, d_ff=8, num_experts=4, top_k=1).double())
    module(torch.randn(2, 7, 6, dtype=torch.float64)).pow(2).sum().backward()
    assert module.router.weight.grad.abs().sum() > 0
