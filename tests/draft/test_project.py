"""The drafter renders hand-made plans into complete, deterministic, ruff-clean projects."""

from __future__ import annotations

import ast
import py_compile
import shutil
import subprocess
from pathlib import Path

import pytest
import tomllib

from agent.draft.context import build_context, package_name
from agent.draft.files import MARKER, generated_by_us, write_files
from agent.draft.project import draft_project, render_files
from agent.errors import UserError
from agent.types import Plan, PlannedComponent, PlannedHyperparameter
from agent.validate import load_manifest
from tests.draft.plans import paper_stub, tiny_lm_plan, transformer_plan

EXPECTED = ["paper2code.toml", "README.md", "NOTES.md", "config.yaml", "train.py", "paper.json", "plan.json",
            "pyproject.toml", ".gitignore", "tests/test_model.py"]


def _vit_plan() -> Plan:
    hp = PlannedHyperparameter
    return Plan(
        title="An Image is Worth 16x16 Words", slug="vit", family="vit_classifier", task="synthetic_images",
        components=[PlannedComponent("lr_schedule", "warmup_cosine", "cosine decay", "Training")],
        hyperparameters={"d_model": hp(768, "paper", "Hidden size D: 768 (row: ViT-Base)", "Table 1"),
                         "num_heads": hp(12, "paper", "Heads: 12 (row: ViT-Base)", "Table 1"),
                         "patch_size": hp("16", "paper", "16x16 patches"),
                         "learning_rate": hp("{0.003, 0.01}", "paper", "Base LR: {0.003, 0.01}")},
    )


def _diffusion_plan() -> Plan:
    return Plan(
        title="Classifier-Free Diffusion Guidance", slug="classifier_free_diffusion_guidance", family="diffusion",
        task="diffusion_images",
        components=[PlannedComponent("model", "ddpm", "diffusion models"),
                    PlannedComponent("guidance", "classifier_free_guidance", "classifier-free guidance")],
        hyperparameters={"num_timesteps": PlannedHyperparameter(256, "paper", "T = 256")},
    )


def _gqa_lora_plan() -> Plan:
    plan = tiny_lm_plan()
    plan.slug = "gqa_lora"
    plan.equations = []
    plan.components = [c for c in plan.components if c.slot != "attention"] + [
        PlannedComponent("attention", "grouped_query_attention", "grouped-query attention"),
        PlannedComponent("linear", "lora_linear", "LoRA on the attention projections", params={"targets": ["to_q"]}),
    ]
    plan.hyperparameters["num_kv_heads"] = PlannedHyperparameter(8, "paper", "8 key-value heads")
    return plan


@pytest.fixture(scope="module")
def transformer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("draft") / "aiayn"
    draft_project(transformer_plan(), paper_stub("Attention Is All You Need", "/somewhere/transformer"), out)
    return out


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_transformer_project_has_every_file(transformer: Path) -> None:
    package = transformer / "attention_is_all_you_need"
    for name in EXPECTED:
        assert (transformer / name).is_file(), name
    for name in ("__init__.py", "model.py", "module.py", "data.py", "equations.py", "references.py"):
        assert (package / name).is_file(), name
    assert (transformer / MARKER).is_file() and generated_by_us(transformer)


def test_model_never_imports_lightning(transformer: Path) -> None:
    package = transformer / "attention_is_all_you_need"
    assert not _imports(package / "model.py") & {"pytorch_lightning", "lightning"}
    assert "pytorch_lightning" in _imports(package / "module.py")
    source = (package / "model.py").read_text()
    assert "arXiv:1706.03762" in source and "eq. (1), eq. (2), eq. (3)" in source
    assert "class Config" in source and 'def from_name(cls, name: str) -> "Config"' in source


def test_transformer_follows_the_paper(transformer: Path) -> None:
    package = transformer / "attention_is_all_you_need"
    module = (package / "module.py").read_text()
    assert "transformer_lr" in module and "LambdaLR" in module and "label_smoothed_cross_entropy" in module
    config = (transformer / "config.yaml").read_text()
    for line in ("adam_beta1: 0.9  # source: paper", "adam_beta2: 0.98  # source: paper",
                 "adam_eps: 1e-09  # source: paper", "warmup_steps: 4000  # source: paper",
                 "label_smoothing: 0.1  # source: paper", "d_model: 512  # source: paper",
                 "num_heads: 8  # source: paper", "d_ff: 2048  # source: paper", "num_layers: 6  # source: paper"):
        assert line in config, line
    model_lines = config.split("\nmodel:\n")[1].split("\ndata:\n")[0].splitlines()
    assert all("# source: paper" in line or "# assumed:" in line or "# derived:" in line for line in model_lines)
    equations = (package / "equations.py").read_text()
    assert "Eq. (1) of the paper, compiled from the LaTeX" in equations
    assert "def scaled_dot_product_attention(" in equations and "def lrate(" in equations
    tests = (transformer / "tests/test_model.py").read_text()
    for name in ("test_scaled_dot_product_attention_matches_multi_head_attention", "test_ffn_matches_feed_forward_relu",
                 "test_lrate_matches_inverse_sqrt_warmup", "test_multi_head_attention_matches_reference",
                 "test_one_training_step"):
        assert f"def {name}()" in tests, name


def test_manifest_is_valid_and_tiny(transformer: Path) -> None:
    manifest = load_manifest(transformer)
    names = [m.name for m in manifest.modules]
    assert {"multi_head_attention", "post_norm_encoder_block", "post_norm_decoder_block",
            "encoder_decoder_seq2seq"} <= set(names)
    model = next(m for m in manifest.modules if m.name == "encoder_decoder_seq2seq")
    assert model.init["d_model"] <= 32 and model.init["num_layers"] == 2 and "causal" in model.properties
    references = {m.name: m.reference for m in manifest.modules if m.reference}
    assert references["post_norm_encoder_block"].endswith("references:encoder_block_reference")
    assert manifest.training is not None and manifest.training.init["d_model"] <= 32
    data = tomllib.loads((transformer / "paper2code.toml").read_text())
    assert data["tool"]["paper2code"]["paper"] == "transformer"  # the name, never a machine path


def test_generated_python_compiles_and_is_ruff_clean(transformer: Path, tmp_path: Path) -> None:
    projects = [transformer]
    for plan in (tiny_lm_plan(), _vit_plan(), _diffusion_plan(), _gqa_lora_plan(), _moe_plan()):
        out = tmp_path / plan.slug
        draft_project(plan, paper_stub(plan.title, plan.slug), out)
        projects.append(out)
    for project in projects:
        for path in project.rglob("*.py"):
            py_compile.compile(str(path), doraise=True)
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e .[test])")
    result = subprocess.run([ruff, "check", "--no-cache", *map(str, projects)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_same_plan_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        draft_project(tiny_lm_plan(), paper_stub("TinyLM", "examples/tiny_lm"), out)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_tiny_lm_wiring() -> None:
    ctx = build_context(tiny_lm_plan(), paper_stub("TinyLM", "tiny_lm"))
    assert ctx.params["multi_head_attention"]["position"] == "rotary_position"  # RoPE inside attention
    assert ctx.params["decoder_only_lm"]["position"] == ""
    assert ctx.params["decoder_only_lm"]["norm"] == "rms_norm"  # pre-norm stacks end with a norm
    assert ctx.params["pre_norm_encoder_block"]["ffn"] == "swiglu"
    assert ctx.settings.model_value("d_ff").value == 344
    assert ctx.settings.training_value("optimizer").value == "adamw"
    attention = next(e for e in ctx.entries if e.name == "multi_head_attention")
    assert "reference" not in attention.table  # the torch reference ignores the rotation
    assert any(e.name == "rotary_position" for e in ctx.entries)
    nested = {(c, v.name): v.value for c, v in ctx.settings.nested}
    assert nested[("rms_norm", "norm_eps")] == 1e-6 and nested[("rotary_position", "rope_theta")] == 10000.0


def test_transformer_wiring() -> None:
    ctx = build_context(transformer_plan(), paper_stub("AIAYN", "transformer"))
    assert ctx.params["encoder_decoder_seq2seq"]["norm"] == ""  # post-norm: no final norm
    assert ctx.params["encoder_decoder_seq2seq"]["position"] == "sinusoidal_position"
    assert ctx.settings.training_value("optimizer").value == "adam"
    assert ctx.settings.training_value("learning_rate").value == 1.0  # eq. (3) gives the rate itself
    assert ctx.settings.tiny_training["warmup_steps"] < 100


def test_grouped_query_heads_and_lora(tmp_path: Path) -> None:
    ctx = build_context(_gqa_lora_plan(), paper_stub("GQA", "gqa"))
    kv = next(v.value for c, v in ctx.settings.nested if v.name == "num_kv_heads")
    assert kv == 8 and ctx.settings.tiny["num_heads"] % kv == 0
    assert ctx.settings.tiny["d_model"] % ctx.settings.tiny["num_heads"] == 0
    assert ctx.settings.tiny["lora_freeze_base"] is False and ctx.settings.model_value("lora_freeze_base").value
    _, files = render_files(_gqa_lora_plan(), paper_stub("GQA", "gqa"))
    model = files["gqa_lora/model.py"]
    assert 'LORA_TARGETS = ("to_q",)' in model and "apply_lora(self.net" in model


def test_unusable_paper_values_fall_back_with_a_note() -> None:
    ctx = build_context(_vit_plan(), paper_stub("ViT", "vit"))
    assert ctx.settings.model_value("patch_size").value == 16  # "16" read as a number
    assert ctx.settings.training_value("learning_rate").source == "assumed"
    assert any("learning_rate" in note for note in ctx.notes["deviations"])
    assert ctx.settings.training_value("optimizer").value == "adam"  # no weight decay given


def test_unknown_family_is_a_user_error() -> None:
    plan = tiny_lm_plan()
    plan.family = "graph_network"
    with pytest.raises(UserError, match="cannot build a 'graph_network' model"):
        build_context(plan, paper_stub("x", "x"))


def test_package_names_are_identifiers() -> None:
    assert package_name("attention_is_all_you_need") == "attention_is_all_you_need"
    assert package_name("2-stage model") == "paper_2_stage_model"
    assert package_name("torch") == "torch_impl"


def test_rewrite_removes_stale_files_only(tmp_path: Path) -> None:
    write_files(tmp_path, {"a.txt": "a\n", "pkg/b.py": "b\n"})
    (tmp_path / "mine.txt").write_text("user file\n")
    write_files(tmp_path, {"a.txt": "A\n"})
    assert (tmp_path / "a.txt").read_text() == "A\n"
    assert not (tmp_path / "pkg").exists()
    assert (tmp_path / "mine.txt").is_file()
    with pytest.raises(UserError, match="outside"):
        write_files(tmp_path, {"../escape.txt": "x"})


def test_generated_folders_are_recognised(tmp_path: Path) -> None:
    assert not generated_by_us(tmp_path)
    (tmp_path / "paper2code.toml").write_text('[project]\nname = "x"\n')
    assert not generated_by_us(tmp_path)
    (tmp_path / "paper2code.toml").write_text('[tool.paper2code]\ngenerator = "paper2code generate (offline)"\n')
    assert generated_by_us(tmp_path)


def _moe_plan() -> Plan:
    plan = tiny_lm_plan()
    plan.slug = "moe_lm"
    plan.components = [c for c in plan.components if c.slot != "ffn"] + [
        PlannedComponent("ffn", "mixture_of_experts", "a sparse mixture of experts")]
    return plan


def test_mixture_of_experts_in_the_ffn_slot_has_plain_experts() -> None:
    """The plan's ffn is a mixture of experts; its own ``expert`` slot (an ffn too) must not name itself."""
    plan = _moe_plan()
    ctx = build_context(plan, paper_stub("MoE", "moe"))
    assert ctx.params["pre_norm_encoder_block"]["ffn"] == "mixture_of_experts"
    assert ctx.params["mixture_of_experts"]["expert"] == "swiglu"
    assert ctx.wiring.order.index("swiglu") < ctx.wiring.order.index("mixture_of_experts")


def test_load_balancing_loss_joins_the_training_loss() -> None:
    """A routed ffn keeps a load-balancing loss; training adds it, weighted by aux_loss_weight (the paper's
    value when stated, else Switch's 0.01), and logs it apart from the task loss."""
    plan = _moe_plan()
    plan.hyperparameters["aux_loss_weight"] = PlannedHyperparameter(0.001, "paper", "we set alpha to 0.001")
    ctx = build_context(plan, paper_stub("MoE", "moe"))
    weight = ctx.settings.training_value("aux_loss_weight")
    assert weight.value == 0.001 and weight.source == "paper"
    _, files = render_files(plan, paper_stub("MoE", "moe"))
    module = files["moe_lm/module.py"]
    assert "return loss + self.hparams.aux_loss_weight * balance" in module
    assert 'self.log("aux_loss", balance)' in module and "aux_loss_weight: float = 0.001" in module
    _, plain = render_files(tiny_lm_plan(), paper_stub("TinyLM", "tiny_lm"))
    assert "aux_loss" not in plain["tiny_lm/module.py"]
