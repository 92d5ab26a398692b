"""Attention components against torch built-ins (float64, 1e-6) or loops written from the papers."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tests.catalog.helpers import close, randomize_, symbol

torch.manual_seed(0)


def _mha(**params):
    return symbol("multi_head_attention", params or None)


def _torch_mha(module, d_model: int, num_heads: int) -> nn.MultiheadAttention:
    ref = nn.MultiheadAttention(d_model, num_heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([module.to_q.weight, module.to_kv.weight]))
        ref.in_proj_bias.copy_(torch.cat([module.to_q.bias, module.to_kv.bias]))
        ref.out_proj.weight.copy_(module.to_out.weight)
        ref.out_proj.bias.copy_(module.to_out.bias)
    return ref.eval()


def test_mha_matches_nn_multihead_attention():
    module = randomize_(_mha()(d_model=24, num_heads=4).double().eval())
    ref = _torch_mha(module, 24, 4)
    x, context = torch.randn(3, 7, 24, dtype=torch.float64), torch.randn(3, 5, 24, dtype=torch.float64)
    close(module(x), ref(x, x, x, need_weights=False)[0])
    close(module(x, context), ref(x, context, context, need_weights=False)[0])
    causal = _mha()(d_model=24, num_heads=4, causal=True).double().eval()
    causal.load_state_dict(module.state_dict())
    mask = torch.ones(7, 7, dtype=torch.bool).triu(1)
    close(causal(x), ref(x, x, x, attn_mask=mask, need_weights=False)[0])


def test_mha_dropout_is_inactive_in_eval_and_active_in_training():
    module = _mha()(d_model=16, num_heads=2, dropout=0.5).double()
    x = torch.randn(2, 6, 16, dtype=torch.float64)
    module.eval()
    close(module(x), module(x))
    module.train()
    assert not torch.allclose(module(x), module(x))


def test_sdpa_function_matches_torch():
    fn = symbol("scaled_dot_product_attention")
    q, k, v = (torch.randn(2, 3, n, 8, dtype=torch.float64) for n in (5, 7, 7))
    close(fn(q, k, v), F.scaled_dot_product_attention(q, k, v))
    k5, v5 = k[:, :, :5], v[:, :, :5]
    close(fn(q, k5, v5, causal=True), F.scaled_dot_product_attention(q, k5, v5, is_causal=True))
    mask = torch.rand(5, 7) > 0.3
    mask[:, 0] = True  # every query keeps a key
    close(fn(q, k, v, mask=mask), F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


def _repeat_kv_weight(weight: torch.Tensor, groups: int, repeats: int) -> torch.Tensor:
    """(g*d, d_model) -> (g*r*d, d_model): each key/value head's rows repeated for its r query heads."""
    head_dim = weight.shape[0] // groups
    return weight.view(groups, head_dim, -1).repeat_interleave(repeats, dim=0).reshape(-1, weight.shape[1])


def _check_grouped(name: str, num_heads: int, num_kv_heads: int | None) -> None:
    cls = symbol(name, {"bias": True})
    kwargs = {"d_model": 24, "num_heads": num_heads}
    if num_kv_heads is not None:
        kwargs["num_kv_heads"] = num_kv_heads
    groups = num_kv_heads or 1
    x = torch.randn(2, 6, 24, dtype=torch.float64)
    for causal in (False, True):
        module = randomize_(cls(**kwargs, causal=causal).double().eval())
        # 1. torch SDPA with enable_gqa on the module's projections
        b, n, _ = x.shape
        q = F.linear(x, module.to_q.weight, module.to_q.bias).view(b, n, num_heads, -1).transpose(1, 2)
        k, v = F.linear(x, module.to_kv.weight, module.to_kv.bias).view(b, n, 2, groups, -1).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
        expected = F.linear(out.transpose(1, 2).reshape(b, n, -1), module.to_out.weight, module.to_out.bias)
        close(module(x), expected)
        # 2. nn.MultiheadAttention with each key/value head's weights repeated over its query heads
        ref = nn.MultiheadAttention(24, num_heads, batch_first=True, dtype=torch.float64).eval()
        w_k, w_v = module.to_kv.weight.chunk(2)
        b_k, b_v = module.to_kv.bias.chunk(2)
        r = num_heads // groups
        with torch.no_grad():
            ref.in_proj_weight.copy_(
                torch.cat([module.to_q.weight, _repeat_kv_weight(w_k, groups, r), _repeat_kv_weight(w_v, groups, r)])
            )
            ref.in_proj_bias.copy_(
                torch.cat([module.to_q.bias, _repeat_kv_weight(b_k[:, None], groups, r)[:, 0],
                           _repeat_kv_weight(b_v[:, None], groups, r)[:, 0]])
            )
            ref.out_proj.weight.copy_(module.to_out.weight)
            ref.out_proj.bias.copy_(module.to_out.bias)
        mask = torch.ones(6, 6, dtype=torch.bool).triu(1) if causal else None
        close(module(x), ref(x, x, x, attn_mask=mask, need_weights=False)[0])


def test_gqa_matches_torch():
    _check_grouped("grouped_query_attention", num_heads=4, num_kv_heads=2)


def test_mqa_matches_torch():
    _check_grouped("multi_query_attention", num_heads=4, num_kv_heads=None)


def _heads(x: torch.Tensor, linear: nn.Linear, heads: int) -> torch.Tensor:
    b, n, _ = x.shape
    return linear(x).view(b, n, heads, -1).transpose(1, 2)


def test_sliding_window_matches_loop():
    cls = symbol("sliding_window_attention")
    x = torch.randn(2, 9, 16, dtype=torch.float64)
    for causal in (True, False):
        module = randomize_(cls(d_model=16, num_heads=4, num_kv_heads=2, window=2, causal=causal).double().eval())
        q = _heads(x, module.to_q, 4)
        kv = module.to_kv(x).view(2, 9, 2, 2, -1)  # (b, n, two, g, d)
        k, v = kv[:, :, 0].transpose(1, 2), kv[:, :, 1].transpose(1, 2)
        out = torch.zeros_like(q)
        for b in range(2):
            for h in range(4):
                g = h // 2
                for i in range(9):
                    keys = [j for j in range(9) if i - 2 <= j <= i or (not causal and i < j <= i + 2)]
                    scores = torch.stack([q[b, h, i] @ k[b, g, j] / math.sqrt(4) for j in keys])
                    weights = torch.softmax(scores, dim=0)
                    out[b, h, i] = sum(w * v[b, g, j] for w, j in zip(weights, keys, strict=True))
        close(module(x), module.to_out(out.transpose(1, 2).reshape(2, 9, 16)))


def test_linear_attention_matches_loop():
    cls = symbol("linear_attention")
    x = torch.randn(2, 6, 16, dtype=torch.float64)
    for causal in (True, False):
        module = randomize_(cls(d_model=16, num_heads=2, causal=causal).double().eval(), std=0.3)
        qkv = module.to_qkv(x).view(2, 6, 3, 2, 8)
        q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))  # (b, h, n, d)
        phi = lambda t: torch.where(t > 0, t + 1, torch.exp(t))  # noqa: E731 - elu(x) + 1, eq. (7)
        out = torch.zeros_like(v)
        for b in range(2):
            for h in range(2):
                for i in range(6):
                    js = range(i + 1) if causal else range(6)
                    sims = [phi(q[b, h, i]) @ phi(k[b, h, j]) for j in js]
                    num = sum(s * v[b, h, j] for s, j in zip(sims, js, strict=True))
                    out[b, h, i] = num / (sum(sims) + module.eps)  # eq. (2) with sim = phi(q).phi(k)
        close(module(x), module.to_out(out.transpose(1, 2).reshape(2, 6, 16)))


def test_differential_attention_matches_paper():
    cls = symbol("differential_attention")
    layer = 3
    module = randomize_(cls(d_model=16, num_heads=2, causal=True, layer_index=layer).double().eval(), std=0.3)
    lambda_init = 0.8 - 0.6 * math.exp(-0.3 * (layer - 1))
    assert module.lambda_init == lambda_init
    x = torch.randn(2, 5, 16, dtype=torch.float64)
    d = 4  # d_model / heads / 2
    lam = (torch.exp(module.lambda_q1 @ module.lambda_k1) - torch.exp(module.lambda_q2 @ module.lambda_k2)
           + lambda_init)  # eq. (2)
    q, k, v = module.to_q(x), module.to_k(x), module.to_v(x)
    mask = torch.ones(5, 5, dtype=torch.bool).triu(1)
    heads = []
    for h in range(2):
        q1, q2 = q[..., h * 2 * d: h * 2 * d + d], q[..., h * 2 * d + d: (h + 1) * 2 * d]
        k1, k2 = k[..., h * 2 * d: h * 2 * d + d], k[..., h * 2 * d + d: (h + 1) * 2 * d]
        vh = v[..., h * 2 * d: (h + 1) * 2 * d]
        a1 = torch.softmax((q1 @ k1.transpose(1, 2) / math.sqrt(d)).masked_fill(mask, -math.inf), dim=-1)
        a2 = torch.softmax((q2 @ k2.transpose(1, 2) / math.sqrt(d)).masked_fill(mask, -math.inf), dim=-1)
        head = (a1 - lam * a2) @ vh  # eq. (1)
        rms = torch.sqrt((head**2).mean(-1, keepdim=True) + module.eps)
        heads.append((1 - lambda_init) * head / rms * module.head_norm)  # eq. (3)
    close(module(x), module.to_out(torch.cat(heads, dim=-1)))
