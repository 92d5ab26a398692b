"""Position components against loops written from their papers' equations (float64, 1e-6)."""

from __future__ import annotations

import math

import torch

from tests.catalog.helpers import close, load, randomize_, symbol


def test_sinusoidal_matches_paper():
    module = symbol("sinusoidal_position")(d_model=10, max_seq_len=32).double()
    x = torch.randn(2, 7, 10, dtype=torch.float64)
    pe = torch.zeros(7, 10, dtype=torch.float64)
    for pos in range(7):
        for i in range(5):
            pe[pos, 2 * i] = math.sin(pos / 10000 ** (2 * i / 10))  # §3.5
            pe[pos, 2 * i + 1] = math.cos(pos / 10000 ** (2 * i / 10))
    close(module(x), x + pe)


def test_learned_position_matches_loop():
    module = symbol("learned_position")(d_model=6, max_seq_len=16).double()
    x = torch.randn(3, 5, 6, dtype=torch.float64)
    expected = torch.stack([torch.stack([x[b, t] + module.weight[t] for t in range(5)]) for b in range(3)])
    close(module(x), expected)


def _rotation_matrix(m: int, d: int, base: float) -> torch.Tensor:
    """R^d_{Theta,m} of RoFormer eq. (15): 2x2 rotations by m theta_i on the diagonal."""
    r = torch.zeros(d, d, dtype=torch.float64)
    for i in range(d // 2):
        theta = base ** (-2 * i / d)
        c, s = math.cos(m * theta), math.sin(m * theta)
        r[2 * i, 2 * i], r[2 * i, 2 * i + 1] = c, -s
        r[2 * i + 1, 2 * i], r[2 * i + 1, 2 * i + 1] = s, c
    return r


def test_rotary_matches_rotation_matrix():
    module = symbol("rotary_position")(head_dim=8, base=100.0)
    x = torch.randn(2, 3, 6, 8, dtype=torch.float64)
    expected = torch.stack([x[..., m, :] @ _rotation_matrix(m, 8, 100.0).T for m in range(6)], dim=-2)
    close(module(x), expected)
    close(module(x[..., 2:, :], offset=2), expected[..., 2:, :])
    # eq. (16): q_m . k_n depends on m - n only
    q, k = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    rq = module(q.expand(1, 1, 6, 8))[0, 0]
    rk = module(k.expand(1, 1, 6, 8))[0, 0]
    close(rq[3] @ rk[1], rq[5] @ rk[3])


def test_rotary_inside_attention_matches_loop():
    """eq. (16): attention logits (R_m W_q x_m)^T (R_n W_k x_n) / sqrt(d), by explicit rotation matrices."""
    cls = getattr(load(["multi_head_attention"], {"multi_head_attention": {"position": "rotary_position"}}),
                  "MultiHeadAttention")
    module = randomize_(cls(d_model=16, num_heads=2, causal=True).double().eval())
    x = torch.randn(2, 5, 16, dtype=torch.float64)
    q = module.to_q(x).view(2, 5, 2, 8).transpose(1, 2)
    k, v = module.to_kv(x).view(2, 5, 2, 2, 8).permute(2, 0, 3, 1, 4)
    rotations = [_rotation_matrix(m, 8, 10000.0) for m in range(5)]
    out = torch.zeros_like(q)
    for b in range(2):
        for h in range(2):
            for i in range(5):
                scores = torch.stack([(rotations[i] @ q[b, h, i]) @ (rotations[j] @ k[b, h, j]) / math.sqrt(8)
                                      for j in range(i + 1)])
                weights = torch.softmax(scores, dim=0)
                out[b, h, i] = sum(weights[j] * v[b, h, j] for j in range(i + 1))
    close(module(x), module.to_out(out.transpose(1, 2).reshape(2, 5, 16)))


def test_alibi_matches_paper():
    cls = symbol("alibi_position")
    eight = cls(num_heads=8)
    close(eight.slopes, torch.tensor([2.0 ** -k for k in range(1, 9)], dtype=torch.float64))  # §3: 1/2 ... 1/256
    six = cls(num_heads=6)  # not a power of two: 4 slopes of h=4, then every other one of h=8
    close(six.slopes, torch.tensor([2.0**-2, 2.0**-4, 2.0**-6, 2.0**-8, 2.0**-1, 2.0**-3], dtype=torch.float64))
    bias = eight(5, 5)
    for h in range(8):
        for i in range(5):
            for j in range(5):
                assert math.isclose(float(bias[h, i, j]), -eight.slopes[h].item() * abs(i - j), abs_tol=1e-12)
    # inside causal attention: softmax(q_i K^T / sqrt(d) + m [-(i-1), ..., -1, 0])
    attn_cls = getattr(load(["multi_head_attention"], {"multi_head_attention": {"position": "alibi_position"}}),
                       "MultiHeadAttention")
    module = randomize_(attn_cls(d_model=16, num_heads=4, causal=True).double().eval())
    x = torch.randn(2, 5, 16, dtype=torch.float64)
    q = module.to_q(x).view(2, 5, 4, 4).transpose(1, 2)
    k, v = module.to_kv(x).view(2, 5, 2, 4, 4).permute(2, 0, 3, 1, 4)
    out = torch.zeros_like(q)
    slopes = cls.head_slopes(4)
    for b in range(2):
        for h in range(4):
            for i in range(5):
                scores = torch.stack([q[b, h, i] @ k[b, h, j] / 2 - slopes[h] * (i - j) for j in range(i + 1)])
                weights = torch.softmax(scores, dim=0)
                out[b, h, i] = sum(weights[j] * v[b, h, j] for j in range(i + 1))
    close(module(x), module.to_out(out.transpose(1, 2).reshape(2, 5, 16)))


def test_shaw_matches_paper_loop():
    cls = symbol("shaw_relative_attention")
    for causal in (False, True):
        module = randomize_(cls(d_model=8, num_heads=2, causal=causal, max_relative_position=2).double().eval(),
                            std=0.4)
        x = torch.randn(2, 6, 8, dtype=torch.float64)
        qkv = module.to_qkv(x).view(2, 6, 3, 2, 4)
        q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))
        out = torch.zeros_like(q)
        for b in range(2):
            for h in range(2):
                for i in range(6):
                    keys = range(i + 1) if causal else range(6)
                    clip = [max(-2, min(2, j - i)) + 2 for j in keys]  # §3.2, clip(j - i, k)
                    e = torch.stack([q[b, h, i] @ (k[b, h, j] + module.rel_k[c]) / 2.0
                                     for j, c in zip(keys, clip, strict=True)])  # eq. (4)
                    alpha = torch.softmax(e, dim=0)
                    out[b, h, i] = sum(a * (v[b, h, j] + module.rel_v[c])
                                       for a, j, c in zip(alpha, keys, clip, strict=True))  # eq. (3)
        close(module(x), module.to_out(out.transpose(1, 2).reshape(2, 6, 8)))
