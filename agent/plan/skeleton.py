"""Model families the offline planner can build, with their slots and defaults.

Each family is a catalog model component plus the slots it needs filled. A default fills a slot
when the paper says nothing about it; the plan marks it ``assumed`` with the reason given here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SlotDefault:
    component: str  # catalog name, "" for none
    reason: str


@dataclass(frozen=True)
class Skeleton:
    family: str
    model: str  # catalog component filling the "model" slot
    task: str  # the synthetic smoke task of the generated data.py
    defaults: dict[str, SlotDefault] = field(default_factory=dict)
    # Extra words (beyond the model component's own cues) that point at this family.
    phrases: tuple[str, ...] = ()


_LM_DEFAULTS = {
    "block": SlotDefault("pre_norm_encoder_block", "pre-norm blocks, the usual choice for decoder-only LMs (GPT-2)"),
    "attention": SlotDefault("multi_head_attention", "standard multi-head attention (Vaswani et al., 2017)"),
    "norm": SlotDefault("layer_norm", "LayerNorm, the Transformer default (Ba et al., 2016)"),
    "ffn": SlotDefault("feed_forward_gelu", "a GELU MLP, the GPT-2 default"),
    "position": SlotDefault("learned_position", "learned absolute positions (GPT-2)"),
    "loss": SlotDefault("label_smoothed_cross_entropy", "next-token cross-entropy (label smoothing 0 unless stated)"),
    "lr_schedule": SlotDefault("warmup_cosine", "linear warmup then cosine decay, a common LM schedule"),
}

SKELETONS: dict[str, Skeleton] = {
    "seq2seq": Skeleton(
        family="seq2seq",
        model="encoder_decoder_seq2seq",
        task="copy",
        defaults={
            "block": SlotDefault("post_norm_encoder_block", "post-norm blocks as in Vaswani et al. (2017)"),
            "decoder_block": SlotDefault("post_norm_decoder_block", "post-norm blocks as in Vaswani et al. (2017)"),
            "attention": SlotDefault("multi_head_attention", "standard multi-head attention (Vaswani et al., 2017)"),
            "norm": SlotDefault("layer_norm", "LayerNorm, the Transformer default (Ba et al., 2016)"),
            "ffn": SlotDefault("feed_forward_relu", "the Transformer's ReLU feed-forward network"),
            "position": SlotDefault("sinusoidal_position", "sinusoidal positions as in Vaswani et al. (2017)"),
            "loss": SlotDefault("label_smoothed_cross_entropy", "token cross-entropy (no smoothing unless stated)"),
            "lr_schedule": SlotDefault("inverse_sqrt_warmup", "the Transformer's inverse-square-root warmup schedule"),
        },
        phrases=("machine translation", "sequence transduction", "encoder and decoder", "translation", "t5"),
    ),
    "decoder_lm": Skeleton(
        family="decoder_lm",
        model="decoder_only_lm",
        task="grammar_lm",
        defaults=_LM_DEFAULTS,
        phrases=("large language model", "llm", "llms", "pre-training", "pretrained language model", "tokens"),
    ),
    "vit_classifier": Skeleton(
        family="vit_classifier",
        model="vit_classifier",
        task="synthetic_images",
        defaults={
            "patch_embedding": SlotDefault("vit_patch_embedding", "ViT patch embedding with a class token"),
            "block": SlotDefault("pre_norm_encoder_block", "pre-norm blocks as in ViT (Dosovitskiy et al., 2021)"),
            "attention": SlotDefault("multi_head_attention", "standard multi-head attention"),
            "norm": SlotDefault("layer_norm", "LayerNorm as in ViT"),
            "ffn": SlotDefault("feed_forward_gelu", "a GELU MLP as in ViT"),
            "loss": SlotDefault("label_smoothed_cross_entropy", "classification cross-entropy"),
            "lr_schedule": SlotDefault("warmup_cosine", "linear warmup then cosine decay (ViT)"),
        },
        phrases=("image classification", "imagenet", "images", "vision", "patches", "cifar"),
    ),
    "diffusion": Skeleton(
        family="diffusion",
        model="ddpm",
        task="diffusion_images",
        defaults={
            "denoiser": SlotDefault("unet_denoiser", "a small U-Net noise predictor (Ho et al., 2020)"),
            "noise_schedule": SlotDefault("ddpm_linear_schedule", "DDPM's linear beta schedule (Ho et al., 2020)"),
            "channel_norm": SlotDefault("group_norm", "GroupNorm inside the U-Net (Ho et al., 2020)"),
            "lr_schedule": SlotDefault("warmup_cosine", "linear warmup then cosine decay"),
        },
        phrases=("diffusion", "denoising", "score-based", "generative model", "samples", "fid"),
    ),
}

# Slots filled only when the paper gives evidence for them (no default).
OPTIONAL_SLOTS = {
    "seq2seq": ("linear",),
    "decoder_lm": ("linear",),
    "vit_classifier": ("linear",),
    "diffusion": ("guidance", "sampler"),
}

# The family used when nothing in the paper points anywhere in particular.
FALLBACK_FAMILY = "decoder_lm"

# The synthetic task each family's data.py trains on in the smoke run.
TASKS = {name: skeleton.task for name, skeleton in SKELETONS.items()}
