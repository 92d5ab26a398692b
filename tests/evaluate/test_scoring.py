"""Scoring a generated folder against expectations, and comparing runs with a baseline (pure functions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.errors import UserError
from agent.evaluate.baseline import compare, load_baseline
from agent.evaluate.scoring import implementation_choices, score_choices, values_match
from agent.types import CaseScore


@pytest.mark.parametrize("expected, got, ok", [
    (128, 128, True), (128, 128.0, True), (3e-4, 0.0003, True), (3e-4, "3e-4", True), (1e-9, 1e-8, False),
    (0.0, None, False), ("AdamW", "adamw", True), ("adam", "adamw", False), (True, 1, False), (0.1, True, False),
    ([0.9, 0.98], [0.9, 0.98], True), (512, "{512, 1024}", False),
])
def test_values_match(expected: object, got: object, ok: bool) -> None:
    assert values_match(expected, got) is ok


def test_choices_come_from_manifest_config_and_plan(tmp_path: Path) -> None:
    (tmp_path / "paper2code.toml").write_text(
        '[project]\nname = "x"\n\n[[module]]\nname = "my_norm"\ntarget = "x.model:RMSNorm"\ninit = {}\n'
        'inputs = { x = "b d" }\n')
    (tmp_path / "config.yaml").write_text("model:\n  d_model: 64  # source: paper\n  dropout: 0.1\n"
                                          "trainer:\n  max_steps: 10\n")
    (tmp_path / "plan.json").write_text(json.dumps({
        "components": [{"slot": "ffn", "component": "swiglu", "evidence": ""}],
        "hyperparameters": {"d_model": {"value": 128, "source": "paper", "evidence": ""},
                            "head_dim": {"value": 16, "source": "paper", "evidence": ""}}}))
    components, values = implementation_choices(tmp_path, trust_plan=False)
    assert {"my_norm", "rms_norm"} <= components and "swiglu" not in components  # RMSNorm is rms_norm's symbol
    assert values == {"d_model": 64, "dropout": 0.1, "max_steps": 10}
    components, values = implementation_choices(tmp_path, trust_plan=True)
    assert "swiglu" in components  # the offline plan is what was drafted; what the model runs with wins:
    assert values == {"d_model": 64, "dropout": 0.1, "max_steps": 10, "head_dim": 16}

    score = CaseScore(case="x", status="pass", stages=["plan"])
    score_choices(score, ["rms_norm", "swiglu", "rotary_position"], {"d_model": 64, "dropout": 0.0},
                  components, values)
    assert score.components_missing == ["rotary_position"]
    assert score.hyperparameters_wrong == {"dropout": {"expected": 0.0, "got": 0.1}}
    assert score.metrics() == {"components": 2 / 3, "hyperparameters": 0.5, "validation": None, "hidden_tests": None}


def _run(scores: dict, stages: list[str] | None = None, skipped: dict | None = None, llm: str = "offline") -> dict:
    return {"kind": "suite", "suite": "s", "llm": llm, "stages": stages or ["plan", "draft", "validate", "hidden"],
            "scores": scores, "skipped": skipped or {}}


def test_compare_finds_regressions_beyond_the_tolerance() -> None:
    baseline = _run({"a": {"components": 1.0, "hidden_tests": 0.75, "validation": 1.0},
                     "b": {"components": 0.5, "validation": None}, "gone": {"components": 1.0}})
    current = _run({"a": {"components": 0.8, "hidden_tests": 0.875, "validation": None},
                    "b": {"components": 0.5, "validation": 0.0}, "new": {"components": 1.0}},
                   skipped={"gone": "shared paper not available"})
    result = compare(current, baseline, tolerance=0.0)
    assert [d.text() for d in result.regressions] == ["a: components 1.000 -> 0.800",
                                                      "a: validation 1.000 -> not measured"]
    assert [d.text() for d in result.improvements] == ["a: hidden_tests 0.750 -> 0.875"]
    assert any("gone" in n and "skipped" in n for n in result.notes)
    assert any(n.startswith("new: new") for n in result.notes)
    assert result.regressed and result.to_dict()["regressed"] is True
    assert [d.text() for d in compare(current, baseline, tolerance=0.25).regressions] == [
        "a: validation 1.000 -> not measured"]  # a case that stopped measuring regresses whatever the tolerance
    tolerant = compare(_run({"a": {"components": 0.8}}), _run({"a": {"components": 1.0}}), tolerance=0.25)
    assert not tolerant.regressed


def test_compare_skips_stages_not_run_and_unselected_cases() -> None:
    baseline = _run({"a": {"components": 1.0, "validation": 1.0}, "b": {"components": 1.0}})
    current = _run({"a": {"components": 1.0, "validation": None}}, stages=["plan"])
    result = compare(current, baseline, selected=["a"])
    assert not result.regressed and not result.notes
    other = compare(_run({"a": {"components": 1.0}}, llm="anthropic"), _run({"a": {"components": 1.0}}))
    assert other.notes == ["the baseline was made with --llm offline, this run with anthropic"]
    with pytest.raises(UserError, match="not suite"):
        compare(_run({}), {**_run({}), "kind": "researchcodebench"})


def test_load_baseline_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        load_baseline(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UserError, match="not valid JSON"):
        load_baseline(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(UserError, match="not a paper2code eval result"):
        load_baseline(tmp_path / "other.json")
