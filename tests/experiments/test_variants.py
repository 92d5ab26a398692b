"""Plan variants of a generated implementation: plan.json round-trips, swaps are re-wired and redrafted
into folders of their own, fingerprints follow the code, hyperparameters are routed from the source."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.errors import UserError
from agent.experiments import variants
from agent.experiments.targets import init_arguments, route_hyperparameters
from agent.validate import load_manifest


def _package(folder: Path) -> Path:
    return next(p.parent for p in folder.glob("*/module.py"))


def test_plan_and_paper_round_trip_to_identical_files(tiny_lm: Path) -> None:
    plan, paper = variants.load_plan(tiny_lm), variants.load_paper(tiny_lm)
    assert plan is not None and plan.component_for("norm").component == "rms_norm"
    files = variants.render(plan, paper)
    assert files and all((tiny_lm / name).read_text(encoding="utf-8") == text for name, text in files.items())
    assert variants.hand_edited(tiny_lm, plan, paper) == []


def test_swaps_are_rewired_and_redrafted(tiny_lm: Path, tmp_path: Path) -> None:
    plan, paper = variants.load_plan(tiny_lm), variants.load_paper(tiny_lm)
    swapped = variants.vary(plan, {"norm": "layer_norm", "position": "sinusoidal_position"})
    by_slot = {c.slot: c for c in swapped.components}
    assert by_slot["norm"].component == "layer_norm" and "rms_norm" in by_slot["norm"].evidence
    assert by_slot["block"].params["norm"] == "layer_norm"
    assert by_slot["model"].params["position"] == "sinusoidal_position"  # additive: added to the embeddings
    assert by_slot["attention"].params["position"] == ""  # no longer rotated inside attention
    assert plan.component_for("norm").component == "rms_norm"  # the original plan is untouched
    folder = variants.draft_variant(swapped, paper, tmp_path)
    model = (_package(folder) / "model.py").read_text(encoding="utf-8")
    assert "class LayerNorm" in model and "class RMSNorm" not in model
    assert "class SinusoidalPositionalEncoding" in model and "class RotaryEmbedding" not in model
    assert {m.name for m in load_manifest(folder).modules} >= {"layer_norm", "sinusoidal_position"}
    stamp = (folder / "plan.json").stat().st_mtime_ns
    assert variants.draft_variant(variants.vary(plan, {"norm": "layer_norm", "position": "sinusoidal_position"}),
                                  paper, tmp_path) == folder
    assert (folder / "plan.json").stat().st_mtime_ns == stamp  # drafted once, reused
    plain = variants.draft_variant(variants.vary(plan), paper, tmp_path)
    assert plain != folder and variants.fingerprint(plain) == variants.fingerprint(tiny_lm)


def test_bad_swaps_are_user_errors(tiny_lm: Path) -> None:
    plan = variants.load_plan(tiny_lm)
    with pytest.raises(UserError, match="no 'patch_embedding' slot"):
        variants.vary(plan, {"patch_embedding": "vit_patch_embedding"})
    with pytest.raises(UserError, match="fills the slot 'norm'"):
        variants.vary(plan, {"position": "layer_norm"})


def test_plan_hyperparameter_variant(tiny_lm: Path, tmp_path: Path) -> None:
    plan, paper = variants.load_plan(tiny_lm), variants.load_paper(tiny_lm)
    folder = variants.draft_variant(variants.vary(plan, hyperparameters={"rope_theta": 500.0}), paper, tmp_path)
    assert "500.0" in (_package(folder) / "model.py").read_text(encoding="utf-8")
    assert variants.load_plan(folder).hyperparameters["rope_theta"].value == 500.0


def test_fingerprint_follows_code_not_docs(toy: Path) -> None:
    before = variants.fingerprint(toy)
    (toy / "README.md").write_text("notes\n")
    (toy / ".paper2code" / "experiments").mkdir(parents=True)
    (toy / ".paper2code" / "experiments" / "x.json").write_text("{}")
    (toy / "out").mkdir()
    (toy / "out" / "results.json").write_text("{}")
    assert variants.fingerprint(toy, exclude=toy / "out") == before
    module = toy / "toyexp" / "module.py"
    module.write_text(module.read_text() + "\n# edited\n")
    assert variants.fingerprint(toy, exclude=toy / "out") != before


def test_hyperparameters_are_routed_from_source(tiny_lm: Path, toy: Path) -> None:
    manifest = load_manifest(tiny_lm)
    package = _package(tiny_lm).name
    args = init_arguments(tiny_lm, f"{package}.module:LitModel")
    assert {"learning_rate", "warmup_steps", "d_model"} <= args
    assert "seq_len" in init_arguments(tiny_lm, f"{package}.data:SyntheticData")
    plan = variants.load_plan(tiny_lm)
    assert route_hyperparameters(["learning_rate", "seq_len", "rope_theta"], tiny_lm, manifest, plan) == {"rope_theta"}
    with pytest.raises(UserError, match="'nonsense' is not an argument"):
        route_hyperparameters(["nonsense"], tiny_lm, manifest, plan)
    toy_manifest = load_manifest(toy)
    assert route_hyperparameters(["shift", "batch_size"], toy, toy_manifest, None) == set()
    with pytest.raises(UserError, match="they take: .*learning_rate"):
        route_hyperparameters(["rope_theta"], toy, toy_manifest, None)


def test_hand_edits_are_detected(tiny_lm: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tiny_lm, copy)
    module = _package(copy) / "module.py"
    module.write_text(module.read_text() + "\n# tuned by hand\n")
    plan, paper = variants.load_plan(copy), variants.load_paper(copy)
    assert variants.hand_edited(copy, plan, paper) == [f"{module.parent.name}/module.py"]


def test_prepare_designs_cells_with_redrafted_sources(tiny_lm: Path, tmp_path: Path) -> None:
    from agent.experiments.ablation import prepare, requests_for
    from agent.experiments.options import AblationOptions

    options = AblationOptions(out=tmp_path / "out", seeds=2, max_steps=30, sets=("dropout=0.1",))
    prepared = prepare(tiny_lm, ["norm=rmsnorm,layernorm", "learning_rate=1e-3,1e-2"], options)
    assert [c.id for c in prepared.cells] == [
        "norm=rmsnorm learning_rate=1e-3", "norm=rmsnorm learning_rate=1e-2",
        "norm=layernorm learning_rate=1e-3", "norm=layernorm learning_rate=1e-2"]
    sources = [prepared.sources[c.id] for c in prepared.cells]
    assert sources[0] is sources[1] and sources[2] is sources[3] and sources[0].folder != sources[2].folder
    assert sources[0].fingerprint == variants.fingerprint(tiny_lm)  # the baseline redraft is the implementation
    assert any("redrafted from plan.json" in n for n in prepared.notes)
    requests = requests_for(prepared, options)
    assert len(requests) == 8 and len({r.key() for r in requests}) == 8
    assert len({r.result_path for r in requests}) == 8
    assert requests[0].overrides == {"learning_rate": 0.001, "dropout": 0.1} and requests[0].max_steps == 30
    assert requests[0].val_every == 3


def test_environment_facts_name_the_git_commit(toy: Path) -> None:
    from agent.experiments.ablation import environment_facts
    from agent.repo import GitRepo

    assert environment_facts(toy)["git_commit"] is None  # tmp_path is in no repository
    sha = GitRepo(toy).commit_all("toy implementation")
    facts = environment_facts(toy)
    assert facts["git_commit"] == sha and facts["git_dirty"] is False
    (toy / "toyexp" / "module.py").write_text("# edited\n")
    assert environment_facts(toy)["git_dirty"] is True
