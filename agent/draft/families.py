"""What a generated project looks like for each model family of a :class:`agent.types.Plan`.

A family fixes the skeleton: which catalog component is the model, which slots its blocks have and
what fills them when the plan says nothing, the synthetic smoke task, the einops axis legend, and
the tiny configuration that makes the executed checks fast (d_model 32, 2 layers) and the smoke
training run drop its loss within a few seconds on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.errors import UserError


@dataclass(frozen=True)
class FamilySpec:
    """The skeleton of one model family."""

    name: str
    model: str  # catalog component of the top model (slot "model", or "diffusion")
    wrapper: str  # the generated model class built from Config
    defaults: dict[str, str]  # plan slot -> catalog component when the plan leaves it empty
    task: str  # default synthetic smoke task
    axes: list[tuple[str, str]]  # einops legend, in order
    tiny: dict[str, Any]  # tiny values of Config fields (canonical names)
    tiny_training: dict[str, Any]  # tiny values of the optimiser hyperparameters
    data_paper: dict[str, Any]  # datamodule arguments of config.yaml (synthetic task sizes)
    data_tiny: dict[str, Any]  # datamodule arguments of the smoke run
    smoke_steps: int = 60
    loss_drop: float = 0.5
    summary: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_TOKENS_AXES = [("b", "batch"), ("n", "positions"), ("d", "d_model (features)"), ("h", "attention heads"),
                ("v", "vocabulary")]

FAMILIES: dict[str, FamilySpec] = {
    "seq2seq": FamilySpec(
        name="seq2seq",
        model="encoder_decoder_seq2seq",
        wrapper="Seq2SeqModel",
        defaults={
            "block": "post_norm_encoder_block",
            "decoder_block": "post_norm_decoder_block",
            "attention": "multi_head_attention",
            "ffn": "feed_forward_relu",
            "norm": "layer_norm",
            "position": "sinusoidal_position",
        },
        task="copy",
        axes=[("b", "batch"), ("n", "source positions"), ("m", "target positions"), ("d", "d_model (features)"),
              ("h", "attention heads"), ("v", "vocabulary")],
        tiny={"vocab_size": 12, "d_model": 32, "num_layers": 2, "num_heads": 4, "d_ff": 64, "max_seq_len": 16,
              "dropout": 0.0},
        tiny_training={"learning_rate": 3e-3, "warmup_steps": 10},
        data_paper={"seq_len": 10, "batch_size": 8, "num_batches": 100, "seed": 0},
        data_tiny={"seq_len": 5, "batch_size": 32, "num_batches": 20, "seed": 0},
        smoke_steps=80,
        loss_drop=0.4,
        summary="encoder-decoder Transformer trained on a synthetic copy task",
    ),
    "decoder_lm": FamilySpec(
        name="decoder_lm",
        model="decoder_only_lm",
        wrapper="LanguageModel",
        defaults={
            "block": "pre_norm_encoder_block",
            "attention": "multi_head_attention",
            "ffn": "feed_forward_gelu",
            "norm": "layer_norm",
            "position": "learned_position",
        },
        task="grammar_lm",
        axes=_TOKENS_AXES,
        tiny={"vocab_size": 16, "d_model": 32, "num_layers": 2, "num_heads": 2, "d_ff": 64, "max_seq_len": 32,
              "dropout": 0.0},
        tiny_training={"learning_rate": 2e-2, "warmup_steps": 5},
        data_paper={"seq_len": 64, "batch_size": 8, "num_batches": 100, "branching": 2, "seed": 0},
        data_tiny={"seq_len": 16, "batch_size": 16, "num_batches": 20, "branching": 2, "seed": 0},
        smoke_steps=60,
        loss_drop=0.4,
        summary="decoder-only language model trained on sentences of a synthetic grammar",
    ),
    "encoder_classifier": FamilySpec(
        name="encoder_classifier",
        model="encoder_classifier",
        wrapper="SequenceClassifier",
        defaults={
            "block": "post_norm_encoder_block",
            "attention": "multi_head_attention",
            "ffn": "feed_forward_gelu",
            "norm": "layer_norm",
            "position": "learned_position",
        },
        task="synthetic_classes",
        axes=[("b", "batch"), ("n", "positions"), ("d", "d_model (features)"), ("h", "attention heads"),
              ("k", "classes")],
        tiny={"vocab_size": 16, "num_classes": 4, "d_model": 32, "num_layers": 2, "num_heads": 2, "d_ff": 64,
              "max_seq_len": 16, "dropout": 0.0},
        tiny_training={"learning_rate": 3e-3, "warmup_steps": 5},
        data_paper={"seq_len": 32, "batch_size": 8, "num_batches": 100, "seed": 0},
        data_tiny={"seq_len": 12, "batch_size": 32, "num_batches": 20, "seed": 0},
        smoke_steps=60,
        loss_drop=0.5,
        summary="Transformer encoder classifying synthetic token sequences",
    ),
    "vit_classifier": FamilySpec(
        name="vit_classifier",
        model="vit_classifier",
        wrapper="ImageClassifier",
        defaults={
            "patch_embedding": "vit_patch_embedding",
            "block": "pre_norm_encoder_block",
            "attention": "multi_head_attention",
            "ffn": "feed_forward_gelu",
            "norm": "layer_norm",
        },
        task="synthetic_images",
        axes=[("b", "batch"), ("c", "image channels"), ("h w", "image height and width"),
              ("t", "tokens: class token + patches"), ("d", "d_model (features)"), ("k", "classes")],
        tiny={"image_size": 8, "patch_size": 4, "in_channels": 3, "num_classes": 4, "d_model": 32, "num_layers": 2,
              "num_heads": 2, "d_ff": 64, "dropout": 0.0},
        tiny_training={"learning_rate": 3e-3, "warmup_steps": 5},
        data_paper={"batch_size": 8, "num_batches": 100, "seed": 0},
        data_tiny={"batch_size": 32, "num_batches": 20, "seed": 0},
        smoke_steps=40,
        loss_drop=0.5,
        summary="Vision Transformer classifying synthetic images with class-dependent patterns",
    ),
    "diffusion": FamilySpec(
        name="diffusion",
        model="ddpm",
        wrapper="DiffusionModel",
        defaults={"denoiser": "unet_denoiser", "noise_schedule": "ddpm_linear_schedule"},
        task="synthetic_images",
        axes=[("b", "batch"), ("c", "image channels"), ("h w", "image height and width"),
              ("t", "diffusion steps (one per sample)")],
        tiny={"image_size": 8, "in_channels": 1, "num_classes": 4, "base_channels": 16, "channel_mults": [1, 2],
              "num_groups": 4, "dropout": 0.0, "num_timesteps": 20},
        tiny_training={"learning_rate": 2e-3, "warmup_steps": 5},
        data_paper={"batch_size": 8, "num_batches": 100, "seed": 0},
        data_tiny={"batch_size": 32, "num_batches": 20, "seed": 0},
        smoke_steps=60,
        loss_drop=0.5,
        summary="denoising diffusion model trained on synthetic 8x8 images",
    ),
}

# Plan slots filled by component families, whatever the plan calls them.
SLOT_ALIASES = {"decoder_block": "decoder_block", "encoder_block": "block"}


def family_spec(name: str) -> FamilySpec:
    """The skeleton of family ``name``; :class:`UserError` for a family the drafter cannot build."""
    if name not in FAMILIES:
        raise UserError(f"the offline drafter cannot build a {name!r} model (families: {', '.join(FAMILIES)})")
    return FAMILIES[name]
