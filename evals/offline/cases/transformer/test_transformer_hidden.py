"""Hidden tests of the Transformer case (Vaswani et al., 2017): its equations, checked on the generated code.
Fixtures come from agent/evaluate/hidden_conftest.py."""

import torch
import torch.nn.functional as F


def test_positional_encoding_is_section_3_5(component):
    """§3.5: PE(pos, 2i) = sin(pos / 10000^(2i/d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))."""
    cls, init = component("sinusoidal_position", "SinusoidalPositionalEncoding")
    encoding = cls(**init)
    d = int(init["d_model"])
    n = min(int(init.get("max_seq_len", 8)), 8)
    got = encoding(torch.zeros(1, n, d, dtype=torch.float64))[0].double()
    two_i = torch.arange(0, d, 2, dtype=torch.float64)
    angle = torch.arange(n, dtype=torch.float64)[:, None] / 10000 ** (two_i / d)[None, :]
    expected = torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(n, d)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_label_smoothing_of_0_1(component):
    """§5.4: label smoothing of value 0.1 (the smoothed target (1 - 0.1) on the label plus 0.1 / V everywhere)."""
    loss_fn, init = component("label_smoothed_cross_entropy", "label_smoothed_cross_entropy")
    init = {k: v for k, v in init.items() if "smooth" not in k}
    logits, target = torch.randn(4, 6, 11, dtype=torch.float64), torch.randint(0, 11, (4, 6))
    expected = F.cross_entropy(logits.reshape(-1, 11), target.reshape(-1), label_smoothing=0.1)
    torch.testing.assert_close(loss_fn(logits, target, smoothing=0.1, **init), expected, rtol=1e-9, atol=1e-12)


def test_decoder_is_masked_and_attends_to_the_encoder(component):
    """§3.2.3: the decoder's self-attention is masked (position i sees j <= i) and it attends to the encoder."""
    cls, init = component("encoder_decoder_seq2seq", "Seq2SeqTransformer")
    torch.manual_seed(0)
    model = cls(**init).eval()
    vocab = int(init.get("vocab_size", 12))
    src, tgt = torch.randint(0, vocab, (2, 6)), torch.randint(0, vocab, (2, 7))
    later = tgt.clone()
    later[:, 4:] = (later[:, 4:] + 1) % vocab
    with torch.no_grad():
        out, out_later, out_src = model(src, tgt), model(src, later), model((src + 1) % vocab, tgt)
    torch.testing.assert_close(out[:, :4], out_later[:, :4], rtol=1e-6, atol=1e-6)
    assert not torch.allclose(out, out_src), "the output ignores the source"
