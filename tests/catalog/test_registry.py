"""The catalog's metadata, rendering and module assembly."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agent.catalog import all_components, by_family, by_slot, get, render, render_module
from agent.catalog.registry import FAMILIES, components_dir
from agent.catalog.render import dependencies, merge_imports
from agent.errors import UserError
from agent.ingest.hparam_names import CANONICAL

REPO = Path(__file__).resolve().parents[2]
REQUIRED = {
    "scaled_dot_product_attention", "multi_head_attention", "multi_query_attention", "grouped_query_attention",
    "sliding_window_attention", "linear_attention", "differential_attention", "sinusoidal_position",
    "learned_position", "rotary_position", "alibi_position", "shaw_relative_attention", "layer_norm", "rms_norm",
    "dyt", "batch_norm", "group_norm", "weight_norm_linear", "feed_forward_relu", "feed_forward_gelu", "swiglu",
    "geglu", "reglu", "mixture_of_experts", "pre_norm_encoder_block", "post_norm_encoder_block",
    "pre_norm_decoder_block", "post_norm_decoder_block", "vit_patch_embedding", "decoder_only_lm",
    "encoder_decoder_seq2seq", "encoder_classifier", "vit_classifier", "ddpm_linear_schedule",
    "ddpm_cosine_schedule", "ddpm", "ddim_sampler", "classifier_free_guidance", "unet_denoiser", "lora_linear",
    "label_smoothed_cross_entropy", "focal_loss", "info_nce", "nt_xent", "gan_nonsaturating_loss",
    "gan_hinge_loss", "inverse_sqrt_warmup", "warmup_cosine", "gradient_reversal",
}
CANONICAL_EXTRA = {  # canonical names beyond DESIGN.md's list and the paper reader's, for these components
    "num_classes", "in_channels",
    "num_channels", "num_groups", "base_channels", "sampling_steps", "ddim_eta", "guidance_scale", "p_uncond",
    "lora_dropout", "focal_gamma", "focal_alpha", "min_lr_ratio", "grl_lambda",
}
DESIGN_CANONICAL = set(
    "num_layers d_model d_ff num_heads num_kv_heads head_dim dropout attention_dropout label_smoothing "
    "learning_rate warmup_steps batch_size weight_decay adam_beta1 adam_beta2 adam_eps grad_clip patch_size "
    "image_size num_timesteps beta_start beta_end lora_rank lora_alpha temperature epochs max_steps vocab_size "
    "max_seq_len rope_theta norm_eps".split()
)


def test_catalog_covers_issue_5():
    names = {c.name for c in all_components()}
    assert REQUIRED <= names, sorted(REQUIRED - names)


def test_metadata_is_complete_and_consistent():
    for c in all_components():
        assert c.family in FAMILIES and c.slot and c.summary and c.paper, c.name
        assert c.cues.phrases and c.cues.citations, f"{c.name}: no recognition cues"
        assert c.symbol in c.symbols, c.name
        for p in c.params.values():
            assert p.canonical is None or p.canonical in DESIGN_CANONICAL | set(CANONICAL) | CANONICAL_EXTRA, \
                (c.name, p.canonical)
        test_file, _, test_name = c.reference.test.partition("::")
        source = (REPO / test_file).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(test_name)}\(", source, re.M), f"{c.name}: {c.reference.test} missing"
        if c.reference.kind == "builtin":
            assert "torch" in c.reference.target, c.name


def test_every_template_file_is_used():
    used = {c.template for c in all_components()} | {c.reference_file for c in all_components()}
    shipped = {p.name for p in components_dir().iterdir() if p.suffix in (".j2", ".py")}
    assert shipped <= used, sorted(shipped - used)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_render_defaults_defines_its_symbols_without_imports(name):
    source = render(name)
    tree = ast.parse(source)
    assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    defined = [n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))]
    assert defined == get(name).symbols
    assert "{{" not in source and "{%" not in source and "<built-in" not in source


def test_lookups_and_errors():
    assert {c.name for c in by_slot("norm")} >= {"layer_norm", "rms_norm", "dyt", "batch_norm"}
    assert all(c.family == "loss" for c in by_family("loss"))
    with pytest.raises(UserError, match="did you mean rms_norm"):
        get("rms_nrom")
    with pytest.raises(UserError, match="unknown parameter 'heads'"):
        render("multi_head_attention", heads=4)
    with pytest.raises(UserError, match="must be an integer"):
        render("multi_head_attention", d_model="big")
    with pytest.raises(UserError, match="fixed"):
        render("multi_query_attention", num_kv_heads=2)
    with pytest.raises(UserError, match="needs a 'norm' component"):
        render("pre_norm_encoder_block", norm="swiglu")
    with pytest.raises(UserError, match="needs a 'attention' component"):
        render("pre_norm_encoder_block", attention="")
    with pytest.raises(UserError, match="rotary or bias"):
        render("multi_head_attention", position="sinusoidal_position")
    with pytest.raises(UserError, match="cross_attention"):
        render("post_norm_decoder_block", cross_attention="linear_attention")
    with pytest.raises(UserError, match="unknown cite label"):
        render("layer_norm", cite={"nope": "eq. (9)"})
    with pytest.raises(UserError, match="not one of"):
        render("encoder_classifier", pool="max")
    with pytest.raises(UserError, match="not a Python identifier"):
        render("layer_norm", class_name="Layer Norm")


def test_render_parameters_and_citations():
    source = render("multi_head_attention", d_model=768, num_heads=12, class_name="SelfAttention",
                    cite={"attention": "eq. (7)"})
    assert "class SelfAttention(nn.Module)" in source
    assert "d_model: int = 768" in source and "num_heads: int = 12" in source
    assert "# eq. (7)" in source and "eq. (1)" not in source
    assert "eps: float = 1e-05" in render("rms_norm", eps=1e-5)  # floats render as Python literals
    assert "channel_mults: tuple[int, ...] = (1, 2, 2)" in render("unet_denoiser")  # lists become tuples


def test_render_module_orders_dependencies_and_merges_imports():
    params = {"pre_norm_encoder_block": {"norm": "rms_norm", "ffn": "swiglu"}}
    source = render_module(["pre_norm_encoder_block"], params, docstring="A block.")
    tree = ast.parse(source)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes == ["MultiHeadAttention", "RMSNorm", "SwiGLU", "PreNormEncoderBlock"]
    assert ast.get_docstring(tree) == "A block."
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imports == ["import torch", "import torch.nn.functional as F", "from einops import rearrange",
                       "from torch import Tensor, nn"]
    assert dependencies(get("pre_norm_encoder_block"), params["pre_norm_encoder_block"]) == [
        "multi_head_attention", "rms_norm", "swiglu"]
    # a renamed filler is referenced by its new name
    renamed = render_module(["pre_norm_encoder_block"], {"layer_norm": {"class_name": "Norm"}})
    assert "self.norm1 = Norm(d_model=d_model)" in renamed
    with pytest.raises(UserError, match="both define"):
        render_module(["layer_norm", "rms_norm"], {"rms_norm": {"class_name": "LayerNorm"}})
    with pytest.raises(UserError, match="does not render"):
        render_module(["layer_norm"], {"rms_norm": {}})


def test_merge_imports_sorts_like_isort():
    lines = ["from torch import nn", "import math", "from einops import repeat", "import torch",
             "from torch import Tensor", "from einops import rearrange", "from typing import Any"]
    assert merge_imports(lines) == ["import math", "from typing import Any", "", "import torch",
                                    "from einops import rearrange, repeat", "from torch import Tensor, nn"]


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff not installed")
def test_rendered_modules_are_lint_clean_and_importable(tmp_path):
    modules = {
        "everything": render_module(sorted(REQUIRED)),
        "rope_gqa": render_module(["grouped_query_attention", "sliding_window_attention"],
                                  {"grouped_query_attention": {"position": "alibi_position"},
                                   "sliding_window_attention": {"position": "rotary_position"}}),
        "variants": render_module(["encoder_classifier", "encoder_decoder_seq2seq", "multi_head_attention"],
                                  {"encoder_classifier": {"pool": "cls", "position": ""},
                                   "encoder_decoder_seq2seq": {"norm": "layer_norm"},
                                   "multi_head_attention": {"position": "alibi_position"}}),
    }
    for name, source in modules.items():
        (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "E,F,I,UP,W",
         "--line-length", "120", "--target-version", "py310", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run = subprocess.run([sys.executable, "-c", "import everything, rope_gqa, variants"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_render_module_is_byte_identical_across_processes():
    code = ("import hashlib; from agent.catalog import all_components, render_module; "
            "print(hashlib.sha256(render_module([c.name for c in all_components()]).encode()).hexdigest())")
    digests = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1
