"""Tests of the generated implementation of TinyLM: A Small Pre-Norm Decoder-Only Language Model with RMSNorm,
SwiGLU and Rotary Positions.

Shapes at the tiny preset, equivalence with trusted reference implementations in float64, the paper's
compiled equations against the components that implement them, and one optimisation step through Lightning.
Run them from the project folder: ``pytest``.
"""

import pytest
import pytorch_lightning as pl
import torch

from tinylm import equations, references
from tinylm.data import SyntheticData
from tinylm.model import Config, LanguageModel, RMSNorm
from tinylm.module import LitModel

TINY = Config.from_name("tiny")
TINY_TRAINING = {
    "vocab_size": 16,
    "d_model": 32,
    "num_layers": 2,
    "num_heads": 2,
    "d_ff": 64,
    "max_seq_len": 32,
    "dropout": 0.0,
    "learning_rate": 0.02,
    "optimizer": "adamw",
    "adam_beta1": 0.9,
    "adam_beta2": 0.95,
    "adam_eps": 1e-08,
    "weight_decay": 0.01,
    "warmup_steps": 5,
    "max_steps": 600,
    "min_lr_ratio": 0.1,
    "label_smoothing": 0.0,
}
TINY_DATA = {
    "seq_len": 16,
    "batch_size": 16,
    "num_batches": 20,
    "branching": 2,
    "seed": 0,
    "vocab_size": 16,
}


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
    model = LanguageModel(TINY).eval()
    tokens = torch.randint(0, TINY.vocab_size, (3, 7))
    logits = model(tokens)
    assert logits.shape == (3, 7, TINY.vocab_size)
    assert torch.isfinite(logits).all()
    assert model.generate(tokens, 2).shape == (3, 9)


def test_causal() -> None:
    """A later token never changes an earlier output (the attention mask of the paper)."""
    torch.manual_seed(0)
    model = LanguageModel(TINY).eval()
    tokens = torch.randint(0, TINY.vocab_size, (2, 8))
    changed = tokens.clone()
    changed[:, -1] = (changed[:, -1] + 1) % TINY.vocab_size
    torch.testing.assert_close(model(changed)[:, :-1], model(tokens)[:, :-1])


def test_rms_norm_matches_reference() -> None:
    """RMSNorm equals its trusted reference, torch.nn.RMSNorm, holding the same weights (float64)."""
    torch.manual_seed(0)
    module = randomize_(RMSNorm(d_model=16).double().eval())
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    expected = references.rms_norm_reference(module, x=x)
    torch.testing.assert_close(module(x=x), expected)


def test_rmsnorm_matches_rms_norm() -> None:
    """eq. (1) compiled from the paper equals RMSNorm on random input (float64)."""
    torch.manual_seed(0)
    module = RMSNorm(d_model=16).double().eval()
    randomize_(module)
    rows = torch.randn(15, 16, dtype=torch.float64)  # the equation normalises one vector x
    actual = torch.stack([
        equations.rmsnorm(x=row, epsilon=module.eps, g=module.weight)
        for row in rows
    ])
    torch.testing.assert_close(actual, module(rows))


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
