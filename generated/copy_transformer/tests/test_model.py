"""Tests of the generated implementation of Learning to Copy with a Small Post-Norm Encoder-Decoder Transformer.

Shapes at the tiny preset, equivalence with trusted reference implementations in float64, the paper's
compiled equations against the components that implement them, and one optimisation step through Lightning.
Run them from the project folder: ``pytest``.
"""

import pytest
import pytorch_lightning as pl
import torch
from einops import rearrange

from learning_to_copy_with_a_small import equations, references
from learning_to_copy_with_a_small.data import SyntheticData
from learning_to_copy_with_a_small.model import (
    Config,
    FeedForward,
    LayerNorm,
    MultiHeadAttention,
    PostNormDecoderBlock,
    PostNormEncoderBlock,
    Seq2SeqModel,
    SinusoidalPositionalEncoding,
)
from learning_to_copy_with_a_small.module import LitModel, transformer_lr

TINY = Config.from_name("tiny")
TINY_TRAINING = {
    "vocab_size": 12,
    "d_model": 32,
    "num_layers": 2,
    "num_heads": 4,
    "d_ff": 64,
    "max_seq_len": 16,
    "dropout": 0.0,
    "learning_rate": 0.053666,
    "optimizer": "adam",
    "adam_beta1": 0.9,
    "adam_beta2": 0.98,
    "adam_eps": 1e-09,
    "weight_decay": 0.0,
    "warmup_steps": 10,
    "label_smoothing": 0.1,
}
TINY_DATA = {"seq_len": 5, "batch_size": 32, "num_batches": 20, "seed": 0, "vocab_size": 12}


def randomize_(module: torch.nn.Module, std: float = 0.5) -> torch.nn.Module:
    """Fill every parameter with N(0, std^2) draws so that zero-initialised biases and gains are exercised."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype) * std)
    return module


def test_presets() -> None:
    assert Config.from_name("paper") == Config()
    assert Config.from_name("tiny") != Config()
    with pytest.raises(ValueError):
        Config.from_name("no-such-preset")


def test_output_shape() -> None:
    torch.manual_seed(0)
    model = Seq2SeqModel(TINY).eval()
    src = torch.randint(0, TINY.vocab_size, (3, 7))
    tgt = torch.randint(0, TINY.vocab_size, (3, 5))
    logits = model(src, tgt)
    assert logits.shape == (3, 5, TINY.vocab_size)
    assert torch.isfinite(logits).all()
    decoded = model.greedy_decode(src, bos=1, max_len=4)
    assert decoded.shape == (3, 4)


def test_causal() -> None:
    """A later token never changes an earlier output (the attention mask of the paper)."""
    torch.manual_seed(0)
    model = Seq2SeqModel(TINY).eval()
    src = torch.randint(0, TINY.vocab_size, (2, 6))
    tgt = torch.randint(0, TINY.vocab_size, (2, 6))
    changed = tgt.clone()
    changed[:, -1] = (changed[:, -1] + 1) % TINY.vocab_size
    torch.testing.assert_close(model(src, changed)[:, :-1], model(src, tgt)[:, :-1])


def test_multi_head_attention_matches_reference() -> None:
    """MultiHeadAttention equals its trusted reference, torch.nn.MultiheadAttention, holding the same weights
    (float64)."""
    torch.manual_seed(0)
    module = randomize_(MultiHeadAttention(d_model=16, num_heads=2, dropout=0.0).double().eval())
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    expected = references.multi_head_attention_reference(module, x=x)
    torch.testing.assert_close(module(x=x), expected)


def test_layer_norm_matches_reference() -> None:
    """LayerNorm equals its trusted reference, torch.nn.LayerNorm, holding the same weights (float64)."""
    torch.manual_seed(0)
    module = randomize_(LayerNorm(d_model=16).double().eval())
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    expected = references.layer_norm_reference(module, x=x)
    torch.testing.assert_close(module(x=x), expected)


def test_feed_forward_relu_matches_reference() -> None:
    """FeedForward equals its trusted reference, torch.nn.TransformerEncoderLayer feed-forward
    (linear2(dropout(relu(linear1(x))))), holding the same weights (float64)."""
    torch.manual_seed(0)
    module = randomize_(FeedForward(d_model=16, d_ff=32).double().eval())
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    expected = references.feed_forward_relu_reference(module, x=x)
    torch.testing.assert_close(module(x=x), expected)


def test_post_norm_encoder_block_matches_reference() -> None:
    """PostNormEncoderBlock equals its trusted reference, torch.nn.TransformerEncoderLayer(norm_first=False),
    holding the same weights (float64)."""
    torch.manual_seed(0)
    module = randomize_(PostNormEncoderBlock(d_model=32, num_heads=4, d_ff=64, dropout=0.0).double().eval())
    x = torch.randn(3, 5, 32, dtype=torch.float64)
    expected = references.encoder_block_reference(module, x=x)
    torch.testing.assert_close(module(x=x), expected)


def test_post_norm_decoder_block_matches_reference() -> None:
    """PostNormDecoderBlock equals its trusted reference, torch.nn.TransformerDecoderLayer(norm_first=False),
    holding the same weights (float64)."""
    torch.manual_seed(0)
    module = randomize_(PostNormDecoderBlock(d_model=32, num_heads=4, d_ff=64, dropout=0.0).double().eval())
    x = torch.randn(3, 5, 32, dtype=torch.float64)
    memory = torch.randn(3, 4, 32, dtype=torch.float64)
    expected = references.decoder_block_reference(module, x=x, memory=memory)
    torch.testing.assert_close(module(x=x, memory=memory), expected)


def test_attention_matches_multi_head_attention() -> None:
    """eq. (1) compiled from the paper equals MultiHeadAttention on random input (float64)."""
    torch.manual_seed(0)
    module = MultiHeadAttention(d_model=16, num_heads=2, dropout=0.0, causal=False).double().eval()
    randomize_(module)
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    q = rearrange(module.to_q(x), "b n (h d) -> b h n d", h=2)
    k, v = rearrange(module.to_kv(x), "b m (two h d) -> two b h m d", two=2, h=2)
    heads = equations.attention(Q=q, K=k, V=v, d_k=8)
    out = module.to_out(rearrange(heads, "b h n d -> b n (h d)"))
    torch.testing.assert_close(out, module(x))


def test_ffn_matches_feed_forward_relu() -> None:
    """eq. (4) compiled from the paper equals FeedForward on random input (float64)."""
    torch.manual_seed(0)
    module = FeedForward(d_model=16, d_ff=32, dropout=0.0).double().eval()
    randomize_(module)
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    actual = equations.ffn(
        x=x,
        W_1=module.w_1.weight.T,
        b_1=module.w_1.bias,
        W_2=module.w_2.weight.T,
        b_2=module.w_2.bias,
    )
    torch.testing.assert_close(actual, module(x))


def test_pe_pos_2_i_matches_sinusoidal_position() -> None:
    """eq. (5) compiled from the paper equals SinusoidalPositionalEncoding on random input (float64)."""
    torch.manual_seed(0)
    module = SinusoidalPositionalEncoding(d_model=16, max_seq_len=12)
    pos = torch.arange(12, dtype=torch.float64)[:, None]  # positions, one a row
    i = torch.arange(8, dtype=torch.float64)[None, :]  # dimension pairs, one a column
    d_model = torch.tensor(16.0, dtype=torch.float64)
    actual = equations.pe_pos_2_i(pos=pos, i=i, d_model=d_model)
    # the module keeps its table in the default dtype (float32): compare at float32 precision
    torch.testing.assert_close(actual, module.pe[:, 0::2].double(), atol=1e-6, rtol=1e-6)


def test_pe_pos_2_i_plus_1_matches_sinusoidal_position() -> None:
    """eq. (6) compiled from the paper equals SinusoidalPositionalEncoding on random input (float64)."""
    torch.manual_seed(0)
    module = SinusoidalPositionalEncoding(d_model=16, max_seq_len=12)
    pos = torch.arange(12, dtype=torch.float64)[:, None]  # positions, one a row
    i = torch.arange(8, dtype=torch.float64)[None, :]  # dimension pairs, one a column
    d_model = torch.tensor(16.0, dtype=torch.float64)
    actual = equations.pe_pos_2_i_plus_1(pos=pos, i=i, d_model=d_model)
    # the module keeps its table in the default dtype (float32): compare at float32 precision
    torch.testing.assert_close(actual, module.pe[:, 1::2].double(), atol=1e-6, rtol=1e-6)


def test_layernorm_matches_layer_norm() -> None:
    """eq. (7) compiled from the paper equals LayerNorm on random input (float64)."""
    torch.manual_seed(0)
    module = LayerNorm(d_model=16).double().eval()
    randomize_(module)
    rows = torch.randn(15, 16, dtype=torch.float64)  # the equation normalises one vector x
    actual = torch.stack([
        equations.layernorm(
            x=row,
            gamma=module.weight,
            mu=row.mean(dim=-1, keepdim=True),
            sigma=row.var(dim=-1, unbiased=False, keepdim=True).sqrt(),
            epsilon=module.eps,
            beta=module.bias,
        )
        for row in rows
    ])
    torch.testing.assert_close(actual, module(rows))


def test_lrate_matches_inverse_sqrt_warmup() -> None:
    """eq. (13) compiled from the paper equals transformer_lr on random input (float64)."""
    torch.manual_seed(0)
    def f64(value: float) -> torch.Tensor:
        return torch.tensor(float(value), dtype=torch.float64)

    for step in (0, 1, 5, 9, 10, 11, 50, 500):
        expected = transformer_lr(step, d_model=16, warmup_steps=10)
        actual = float(equations.lrate(d_model=f64(16), step=f64(step + 1), warmup_steps=f64(10)))
        assert abs(actual - expected) <= 1e-12 * max(1.0, expected)


def test_one_training_step() -> None:
    """One Lightning optimisation step at the tiny preset: a finite loss, and the weights move."""
    torch.manual_seed(0)
    lit = LitModel(**TINY_TRAINING)
    data = SyntheticData(**TINY_DATA)
    before = [p.detach().clone() for p in lit.parameters() if p.requires_grad]
    trainer = pl.Trainer(
        max_steps=1,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
    )
    trainer.fit(lit, datamodule=data)
    assert torch.isfinite(trainer.callback_metrics["train_loss"])
    after = [p.detach() for p in lit.parameters() if p.requires_grad]
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
