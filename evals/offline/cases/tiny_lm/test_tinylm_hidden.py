"""Hidden tests of the TinyLM case (examples/tiny_lm): what the paper states, checked on the generated code.

Run by ``paper2code eval`` with the generated implementation as working directory; the fixtures
(``component``, ``training``) come from agent/evaluate/hidden_conftest.py.
"""

import inspect
import math

import torch
import torch.nn.functional as F
from torch import nn


def _build(component, name, *symbols, **overrides):
    cls, init = component(name, *symbols)
    init.update(overrides)
    torch.manual_seed(0)
    return cls(**init).double().eval(), init


def test_rms_norm_is_eq1_with_the_papers_epsilon(component):
    """Eq. (1): x / sqrt(mean(x^2) + eps) * g, eps = 1e-6 (§2.1); no bias, no mean subtraction."""
    norm, init = _build(component, "rms_norm", "RMSNorm")
    with torch.no_grad():
        for p in norm.parameters():
            p.copy_(torch.rand_like(p) + 0.5)
    gain = next(p for p in norm.parameters() if p.ndim == 1)
    assert sum(p.numel() for p in norm.parameters()) == gain.numel(), "RMSNorm has a learned gain only (§2.1)"
    x = torch.randn(3, 5, gain.numel(), dtype=torch.float64) * 1e-3  # small inputs: eps matters
    expected = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * gain
    torch.testing.assert_close(norm(x), expected, rtol=1e-9, atol=1e-12)


def test_swiglu_is_eq3_without_biases(component):
    """Eq. (3): FFN(x) = (SiLU(x W_1) * x W_3) W_2, and none of the three projections has a bias (§2.2)."""
    ffn, init = _build(component, "swiglu", "SwiGLU")
    linears = [m for m in ffn.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 3, f"SwiGLU has three projections W_1, W_3, W_2, found {len(linears)}"
    assert all(m.bias is None for m in linears), "the paper's projections have no bias (§2.2)"
    d_model = int(init["d_model"])
    gates = [m for m in linears if m.in_features == d_model]
    outs = [m for m in linears if m.out_features == d_model and m not in gates]
    assert len(gates) == 2 and len(outs) == 1, "expected W_1, W_3 (d_model -> d_ff) and W_2 (d_ff -> d_model)"
    out = outs[0]
    x = torch.randn(2, 4, d_model, dtype=torch.float64)
    got = ffn(x)
    options = [(F.silu(x @ a.weight.T) * (x @ b.weight.T)) @ out.weight.T for a, b in (gates, gates[::-1])]
    assert any(torch.allclose(got, e, rtol=1e-9, atol=1e-12) for e in options), "output differs from eq. (3)"


def test_rotary_scores_depend_on_relative_position_only(component):
    """§2.3: rotating q at m and k at n by eq. (5) makes q_m . k_n depend on m - n only."""
    rope, init = _build(component, "rotary_position", "RotaryEmbedding")
    head_dim = int(init.get("head_dim", 8))
    q, k = torch.randn(head_dim, dtype=torch.float64), torch.randn(head_dim, dtype=torch.float64)
    n = 9
    rq = rope(q.expand(1, 1, n, head_dim).clone())[0, 0]
    rk = rope(k.expand(1, 1, n, head_dim).clone())[0, 0]
    scores = rq @ rk.T  # (m, n)
    for offset in range(-3, 4):
        diagonal = torch.diagonal(scores, offset)
        torch.testing.assert_close(diagonal, diagonal[:1].expand_as(diagonal), rtol=1e-9, atol=1e-10)
    assert not torch.allclose(torch.diagonal(scores, 0)[:1], torch.diagonal(scores, 2)[:1]), "no rotation at all"


def test_rotary_frequencies_use_base_10000(component):
    """Eq. (4): theta_i = 10000^(-2(i-1)/d_h); at position 1 pair i turns by exactly theta_i."""
    rope, init = _build(component, "rotary_position", "RotaryEmbedding")
    head_dim = int(init.get("head_dim", 8))
    x = torch.zeros(1, 1, 2, head_dim, dtype=torch.float64)
    x[..., 0::2] = 1.0  # each pair is (1, 0): its angle after rotation is the rotation angle
    rotated = rope(x)[0, 0, 1]
    angles = torch.atan2(rotated[1::2], rotated[0::2])
    theta = 10000.0 ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    torch.testing.assert_close(angles, theta, rtol=1e-9, atol=1e-12)


def test_language_model_is_causal(component):
    """Eq. (7): position i never attends to a later position; a later token cannot change earlier logits."""
    model, init = _build(component, "decoder_only_lm", "DecoderOnlyLM")
    vocab = int(init.get("vocab_size", 16))
    tokens = torch.randint(0, vocab, (2, 10))
    changed = tokens.clone()
    changed[:, 6:] = (changed[:, 6:] + 1) % vocab
    with torch.no_grad():
        a, b = model(tokens), model(changed)
    torch.testing.assert_close(a[:, :6], b[:, :6], rtol=1e-9, atol=1e-10)
    assert not torch.allclose(a[:, 6:], b[:, 6:]), "the changed tokens changed nothing"


def test_initial_loss_is_a_uniform_guess(training):
    """§4.2: at initialisation the loss is close to ln(vocabulary), a uniform guess (ln 256 for the paper)."""
    lit_class, data_class, table = training
    torch.manual_seed(0)
    lit = lit_class(**dict(table.get("init", {}))).eval()
    vocab = int(dict(table.get("init", {})).get("vocab_size", 256))
    tokens = torch.randint(0, vocab, (4, 17))
    with torch.no_grad():
        logits = lit(tokens[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), tokens[:, 1:].reshape(-1))
    assert abs(loss.item() - math.log(vocab)) < 0.3, f"initial loss {loss.item():.3f}, expected about ln {vocab}"


def test_objective_is_plain_negative_log_likelihood(training):
    """Eq. (11): the loss is the mean negative log-likelihood; the paper uses no label smoothing."""
    lit_class, _, table = training
    signature = inspect.signature(lit_class)
    smoothing = {name: p.default for name, p in signature.parameters.items() if "smooth" in name}
    smoothing.update({k: v for k, v in dict(table.get("init", {})).items() if "smooth" in k})
    assert all(float(v or 0.0) == 0.0 for v in smoothing.values()), f"label smoothing not in the paper: {smoothing}"
