"""The offline planner on real papers: family, components with evidence, hyperparameters, equations."""

from __future__ import annotations

import functools

import pytest

from agent.ingest import load_paper
from agent.plan import plan_paper, slugify
from agent.plan.evidence import PaperIndex
from agent.plan.hyperparams import from_paper
from agent.plan.matcher import norm_placement
from agent.types import Evidence, Hyperparameter, Paper, Plan, Section
from tests.conftest import require_shared


@functools.cache
def _plan(*parts: str) -> Plan:
    return plan_paper(load_paper(require_shared(*parts)))


def plan_of(*parts: str) -> Plan:
    require_shared(*parts)
    return _plan(*parts)


def components(plan: Plan) -> dict[str, str]:
    return {c.slot: c.component for c in plan.components}


def test_transformer_plan_matches_the_paper() -> None:
    plan = plan_of("transformer")
    assert plan.slug == "attention_is_all_you_need"
    assert plan.family == "seq2seq" and plan.task == "copy"
    slots = components(plan)
    assert slots["model"] == "encoder_decoder_seq2seq"
    assert slots["attention"] == "multi_head_attention"
    assert slots["position"] == "sinusoidal_position"
    assert slots["norm"] == "layer_norm"
    assert slots["block"] == "post_norm_encoder_block" and slots["decoder_block"] == "post_norm_decoder_block"
    assert slots["ffn"] == "feed_forward_relu"
    assert slots["lr_schedule"] == "inverse_sqrt_warmup"
    block = next(c for c in plan.components if c.slot == "block")
    assert "LayerNorm" in block.evidence and not block.assumed
    expected = {"d_model": 512, "d_ff": 2048, "num_heads": 8, "num_layers": 6, "dropout": 0.1,
                "label_smoothing": 0.1, "warmup_steps": 4000, "adam_beta1": 0.9, "adam_beta2": 0.98, "adam_eps": 1e-9}
    for name, value in expected.items():
        hp = plan.hyperparameters[name]
        assert hp.source == "paper" and hp.value == pytest.approx(value), name
        assert hp.evidence, name
    assert plan.hyperparameters["optimizer"].value == "adam"
    # The model wiring: blocks use the chosen attention, norm and FFN.
    block_params = next(c.params for c in plan.components if c.component == "post_norm_encoder_block")
    assert block_params == {"attention": "multi_head_attention", "norm": "layer_norm", "ffn": "feed_forward_relu"}
    # Eq. (1)-(3) are linked to their components and compiled, verified.
    linked = {e.number: e for e in plan.equations}
    assert linked["1"].implemented_by == "multi_head_attention"
    assert linked["2"].implemented_by == "feed_forward_relu"
    assert linked["3"].implemented_by == "inverse_sqrt_warmup"
    assert all(linked[n].compiled and linked[n].verified for n in ("1", "2", "3"))
    assert plan.to_dict()["components"][0].keys() >= {"slot", "component", "evidence"}


def test_plan_is_deterministic() -> None:
    paper = load_paper(require_shared("transformer"))
    assert plan_paper(paper).to_dict() == plan_of("transformer").to_dict()


@pytest.mark.parametrize(
    ("parts", "slot", "component"),
    [
        (("vit", "paper.pdf"), "patch_embedding", "vit_patch_embedding"),
        (("gqa",), "attention", "grouped_query_attention"),
        (("rcb", "Diff-Transformer", "paper.tex"), "attention", "differential_attention"),
        (("rcb", "DyT", "paper.tex"), "norm", "dyt"),
        (("lora", "paper.pdf"), "linear", "lora_linear"),
        (("glu_variants", "paper.pdf"), "ffn", "swiglu"),
        (("roformer", "paper.pdf"), "position", "rotary_position"),
        (("rmsnorm", "paper.pdf"), "norm", "rms_norm"),
        (("classifier_free_guidance", "paper.pdf"), "guidance", "classifier_free_guidance"),
        (("relative_position_shaw", "paper.pdf"), "attention", "shaw_relative_attention"),
    ],
)
def test_key_component_of_each_paper(parts: tuple[str, ...], slot: str, component: str) -> None:
    plan = plan_of(*parts)
    chosen = next(c for c in plan.components if c.slot == slot)
    assert chosen.component == component
    assert not chosen.assumed and chosen.evidence


def test_vit_uses_vit_base_from_table_1() -> None:
    plan = plan_of("vit", "paper.pdf")
    assert plan.family == "vit_classifier"
    hp = plan.hyperparameters
    assert (hp["num_layers"].value, hp["d_model"].value, hp["d_ff"].value, hp["num_heads"].value) == (12, 768, 3072, 12)
    assert hp["batch_size"].value == 4096 and hp["weight_decay"].value == pytest.approx(0.1)
    assert any(a["setting"] and "Large" in a["setting"] for a in hp["d_model"].alternatives)


def test_rotary_positions_go_into_attention_not_the_embeddings() -> None:
    plan = plan_of("roformer", "paper.pdf")
    params = {c.component: c.params for c in plan.components}
    assert params["multi_head_attention"]["position"] == "rotary_position"
    model = plan.components[0]
    assert model.params["position"] == ""


def test_lora_targets_attention_projections() -> None:
    plan = plan_of("lora", "paper.pdf")
    adapter = plan.component_for("linear")
    assert adapter is not None and adapter.params["targets"] == ["to_q", "to_kv"]


def _paper(text: str, title: str = "A paper") -> Paper:
    return Paper(title=title, abstract="", sections=[Section("Method", 1, text)], equations=[], hyperparameters=[],
                 tables=[], algorithms=[], source="latex")


def test_norm_placement_from_prose_and_formula() -> None:
    post = "The output is $\\mathrm{LayerNorm}(x + \\mathrm{Sublayer}(x))$."
    assert norm_placement(PaperIndex(_paper(post)))[0] == "post"
    assert norm_placement(PaperIndex(_paper("We adopt pre-RMSNorm as in LLaMA.")))[0] == "pre"
    assert norm_placement(PaperIndex(_paper("Nothing about normalisation here.")))[0] is None


def test_an_empty_paper_gets_the_fallback_family_with_every_choice_assumed() -> None:
    plan = plan_paper(_paper("We study things.", title="On Things"))
    assert plan.family == "decoder_lm" and plan.slug == "on_things"
    assert all(c.assumed for c in plan.components if c.slot != "model" and c.evidence.startswith("assumed"))
    assert any("family" in a for a in plan.ambiguities)
    assert plan.hyperparameters["d_model"].source == "assumed"


def test_base_setting_wins_and_fine_tuning_loses() -> None:
    def hp(value: int, setting: str | None) -> Hyperparameter:
        return Hyperparameter("batch_size", "batch size", value, Evidence(f"batch {value}"), setting=setting)

    assert from_paper([hp(512, "fine-tuning"), hp(4096, None)]).value == 4096
    assert from_paper([hp(1024, "big"), hp(512, "base")]).value == 512


def test_exact_binary_size_wins_over_its_rounded_mention() -> None:
    """Mixtral's abstract says "a context size of 32k tokens" (read as 32000); Table 1 says 32768."""
    def hp(value: int, text: str) -> Hyperparameter:
        return Hyperparameter("max_seq_len", "context", value, Evidence(text))

    planned = from_paper([hp(32000, "context size of 32k tokens"), hp(32768, "context_len: 32768")])
    assert planned.value == 32768 and planned.evidence == "context_len: 32768"
    assert [a["value"] for a in planned.alternatives] == [32000]  # the prose mention stays as an alternative
    assert from_paper([hp(32000, "32k"), hp(4096, "4096")]).value == 32000  # no exact form: as read


def test_settings_sections_and_bounds() -> None:
    """DeepSeek-V3 first says it "can scale up this number to a maximum of 13 experts", and states 256 routed
    experts under Model Hyper-Parameters; QLoRA's "batch size of 1" is an aside in its Background."""
    def hp(value: int, text: str, section: str) -> Hyperparameter:
        return Hyperparameter("num_experts", "experts", value, Evidence(text, section=section))

    assert from_paper([hp(13, "it can scale up this number to a maximum of 13 experts", "Communication"),
                       hp(256, "1 shared expert and 256 routed experts", "Model Hyper-Parameters")]).value == 256
    assert from_paper([hp(1, "with a batch size of 1", "Background"),
                       hp(16, "batch size 16", "Experimental setup")]).value == 16
    assert from_paper([hp(8, "8 experts", "Introduction"), hp(16, "16 experts", "Results")]).value == 8


def test_mixtral_plan_takes_its_architecture_table() -> None:
    plan = plan_of("mixtral", "paper.pdf")
    assert next(c for c in plan.components if c.slot == "ffn").component == "mixture_of_experts"
    values = {name: hp.value for name, hp in plan.hyperparameters.items() if hp.source == "paper"}
    assert values["num_experts"] == 8 and values["experts_per_token"] == 2 and values["max_seq_len"] == 32768
    assert values["d_model"] == 4096 and values["num_kv_heads"] == 8


def test_slugify() -> None:
    assert slugify("Attention Is All You Need") == "attention_is_all_you_need"
    assert slugify("3D Gaussians: a study of things and more stuff") == "paper_3d_gaussians"
    assert slugify("LoRA: Low-Rank Adaptation of Large Language Models") == "lora"
    vit = "An Image is Worth 16x16 Words: Transformers for Image Recognition"
    assert slugify(vit) == "an_image_is_worth_16x16_words"
    assert slugify("") == "paper"


def test_relative_self_attention_keeps_a_plain_cross_attention() -> None:
    """Shaw et al. put relative positions into self-attention; the decoder's cross-attention (which takes a
    context) stays multi-head attention, and the clipping distance k = 16 is the base model's."""
    plan = plan_of("relative_position_shaw", "paper.pdf")
    decoder = next(c for c in plan.components if c.slot == "decoder_block")
    assert decoder.params["self_attention"] == "shaw_relative_attention"
    assert decoder.params["cross_attention"] == "multi_head_attention"
    assert plan.hyperparameters["max_relative_position"].value == 16
