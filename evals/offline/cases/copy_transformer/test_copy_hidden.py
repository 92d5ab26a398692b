"""Hidden tests of the copy-task case (examples/copy_transformer): the paper's equations and numbers,
checked on the generated code. Fixtures come from agent/evaluate/hidden_conftest.py."""

import inspect

import torch
import torch.nn.functional as F


def _build(component, name, *symbols):
    cls, init = component(name, *symbols)
    torch.manual_seed(0)
    return cls(**init), init


def test_layer_norm_is_eq7_with_eps_1e5(component):
    """Eq. (7): gamma * (x - mu) / sqrt(sigma^2 + eps) + beta with eps = 1e-5 (§2.3)."""
    norm, init = _build(component, "layer_norm", "LayerNorm")
    norm = norm.double()
    with torch.no_grad():
        for p in norm.parameters():
            p.copy_(torch.randn_like(p))
    gamma, beta = (p for p in norm.parameters())
    x = torch.randn(3, 4, gamma.numel(), dtype=torch.float64) * 1e-2  # small inputs: eps matters
    expected = F.layer_norm(x, x.shape[-1:], gamma, beta, eps=1e-5)
    torch.testing.assert_close(norm(x), expected, rtol=1e-9, atol=1e-12)


def test_sinusoidal_encoding_is_eqs5_6(component):
    """Eqs. (5)-(6): PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...), added to the input."""
    encoding, init = _build(component, "sinusoidal_position", "SinusoidalPositionalEncoding")
    d = int(init["d_model"])
    n = min(int(init.get("max_seq_len", 8)), 8)
    got = encoding(torch.zeros(1, n, d, dtype=torch.float64))[0].double()
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    two_i = torch.arange(0, d, 2, dtype=torch.float64)[None, :]
    expected = torch.empty(n, d, dtype=torch.float64)
    expected[:, 0::2] = torch.sin(pos / 10000 ** (two_i / d))
    expected[:, 1::2] = torch.cos(pos / 10000 ** (two_i / d))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_label_smoothing_is_eqs11_12(component):
    """Eqs. (11)-(12): q(k) = (1 - eps) delta_ky + eps / V, loss = -mean_t sum_k q_t(k) log p_t(k), eps = 0.1."""
    loss_fn, init = component("label_smoothed_cross_entropy", "label_smoothed_cross_entropy")
    init = {k: v for k, v in init.items() if "smooth" not in k}
    logits = torch.randn(3, 5, 16, dtype=torch.float64)
    target = torch.randint(0, 16, (3, 5))
    q = torch.full_like(logits, 0.1 / 16)
    q += 0.9 * F.one_hot(target, 16).double()
    expected = -(q * F.log_softmax(logits, -1)).sum(-1).mean()
    parameters = inspect.signature(loss_fn).parameters
    smoothing_arg = next((k for k in ("smoothing", "label_smoothing", "epsilon", "eps") if k in parameters), None)
    kwargs = {smoothing_arg: 0.1} if smoothing_arg else {}
    torch.testing.assert_close(loss_fn(logits, target, **init, **kwargs), expected, rtol=1e-9, atol=1e-12)


def test_decoder_is_causal_and_reads_the_source(component):
    """§2.1: decoder position i sees target positions j <= i only; the output depends on the source."""
    model, init = _build(component, "encoder_decoder_seq2seq", "Seq2SeqTransformer")
    model = model.eval()
    vocab = int(init.get("vocab_size", 12))
    src, tgt = torch.randint(0, vocab, (2, 7)), torch.randint(0, vocab, (2, 8))
    later = tgt.clone()
    later[:, 5:] = (later[:, 5:] + 1) % vocab
    other_src = (src + 1) % vocab
    with torch.no_grad():
        out, out_later, out_src = model(src, tgt), model(src, later), model(other_src, tgt)
    torch.testing.assert_close(out[:, :5], out_later[:, :5], rtol=1e-6, atol=1e-6)
    assert not torch.allclose(out, out_src), "the decoder ignores the source (no cross-attention?)"


def test_learning_rate_peaks_at_step_400(training):
    """Eq. (13) with d_model = 64, warmup 400: the rate rises to 6.25e-3 at step 400, then decays (§3.3)."""
    lit_class, _, _ = training
    lit = lit_class()  # the defaults are the paper's configuration
    configured = lit.configure_optimizers()
    if isinstance(configured, dict):
        optimizer, scheduler = configured["optimizer"], configured.get("lr_scheduler")
    elif isinstance(configured, (list, tuple)) and len(configured) == 2:
        optimizer, scheduler = configured[0][0], configured[1][0]
    else:
        optimizer, scheduler = configured, None
    if isinstance(scheduler, dict):
        scheduler = scheduler["scheduler"]
    assert scheduler is not None, "no learning-rate schedule (eq. (13))"
    rates = []
    for _ in range(1200):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    peak = max(range(len(rates)), key=rates.__getitem__)
    assert abs(peak - 399) <= 1, f"the rate peaks at step {peak + 1}, not 400"
    assert abs(rates[peak] - 6.25e-3) < 6.25e-5, f"peak rate {rates[peak]:.3e}, expected 6.25e-3"
    assert rates[1199] < rates[peak] * (400 / 1200) ** 0.5 * 1.01, "no inverse-square-root decay"
