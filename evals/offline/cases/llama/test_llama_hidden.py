"""Hidden tests of the LLaMA case (Touvron et al., 2023, §2.2): pre-normalisation with RMSNorm, SwiGLU and
rotary embeddings, checked on the generated code. Fixtures come from agent/evaluate/hidden_conftest.py."""

import torch
import torch.nn.functional as F
from torch import nn


def _build(component, name, *symbols):
    cls, init = component(name, *symbols)
    torch.manual_seed(0)
    return cls(**init).double().eval(), init


def test_rms_norm_rescales_without_recentring(component):
    """RMSNorm (Zhang and Sennrich): x / RMS(x) * g, no mean subtraction, no bias."""
    norm, init = _build(component, "rms_norm", "RMSNorm")
    gain = next(p for p in norm.parameters() if p.ndim == 1)
    assert sum(p.numel() for p in norm.parameters()) == gain.numel(), "RMSNorm has a gain and no bias"
    x = torch.randn(2, 3, gain.numel(), dtype=torch.float64) * 100 + 5  # large: eps is negligible
    expected = x / x.pow(2).mean(-1, keepdim=True).sqrt() * gain
    torch.testing.assert_close(norm(x), expected, rtol=1e-6, atol=1e-9)


def test_feed_forward_is_swiglu(component):
    """SwiGLU (Shazeer, 2020): (SiLU(x W) * x V) W_2 in place of the ReLU network."""
    ffn, init = _build(component, "swiglu", "SwiGLU")
    linears = [m for m in ffn.modules() if isinstance(m, nn.Linear)]
    d_model = int(init["d_model"])
    gates = [m for m in linears if m.in_features == d_model]
    outs = [m for m in linears if m.out_features == d_model and m not in gates]
    assert len(gates) == 2 and len(outs) == 1, "SwiGLU has two input projections and one output projection"
    x = torch.randn(2, 3, d_model, dtype=torch.float64)
    options = [F.linear(F.silu(F.linear(x, a.weight, a.bias)) * F.linear(x, b.weight, b.bias), outs[0].weight,
                        outs[0].bias) for a, b in (gates, gates[::-1])]
    assert any(torch.allclose(ffn(x), e, rtol=1e-9, atol=1e-12) for e in options), "not a SwiGLU"


def test_rotary_embeddings_make_scores_relative(component):
    """RoPE (Su et al., 2021): with queries and keys rotated by position, q_m . k_n depends on m - n only."""
    rope, init = _build(component, "rotary_position", "RotaryEmbedding")
    d = int(init.get("head_dim", 8))
    q, k = torch.randn(d, dtype=torch.float64), torch.randn(d, dtype=torch.float64)
    rq, rk = rope(q.expand(1, 1, 8, d).clone())[0, 0], rope(k.expand(1, 1, 8, d).clone())[0, 0]
    scores = rq @ rk.T
    for offset in (-2, 0, 3):
        diagonal = torch.diagonal(scores, offset)
        torch.testing.assert_close(diagonal, diagonal[:1].expand_as(diagonal), rtol=1e-9, atol=1e-10)


def test_language_model_is_causal(component):
    """A causal language model: a later token never changes the logits of earlier positions."""
    model, init = _build(component, "decoder_only_lm", "DecoderOnlyLM")
    vocab = int(init.get("vocab_size", 16))
    tokens = torch.randint(0, vocab, (2, 9))
    changed = tokens.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % vocab
    with torch.no_grad():
        torch.testing.assert_close(model(tokens)[:, :5], model(changed)[:, :5], rtol=1e-9, atol=1e-10)
