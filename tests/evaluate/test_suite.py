"""Suites: reading them, the offline suite against its committed baseline (and a regression caught when a
component leaves the catalog), hidden tests in the sandbox, and the LLM path with a scripted provider."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent.cli import main
from agent.errors import UserError
from agent.evaluate.hidden import run_hidden_tests
from agent.evaluate.runner import parse_stages, result_json, run_suite
from agent.evaluate.suite import find_suite, load_suite
from tests.evaluate.helpers import QUICK_CHECKS, write_implementation

OFFLINE = Path(__file__).resolve().parents[2] / "evals" / "offline"


def _case(folder: Path, text: str) -> None:
    folder.mkdir(parents=True)
    (folder / "case.toml").write_text(textwrap.dedent(text))


def test_load_suite_resolves_papers_and_skips_absent_shared_ones(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    suite = tmp_path / "evals" / "mini"
    (tmp_path / "paper.tex").write_text("\\section{A}")
    suite.mkdir(parents=True)
    (suite / "suite.toml").write_text('[suite]\nname = "mini"\ntolerance = 0.05\nbaseline = "b.json"\n')
    _case(suite / "cases" / "local", 'paper = "../../../../paper.tex"\ncomponents = ["rms_norm"]\n')
    _case(suite / "cases" / "far", 'paper = "shared:nowhere/x.tex"\n[hyperparameters]\nd_model = 8\n')
    (suite / "cases" / "far" / "test_far.py").write_text("def test_x():\n    pass\n")
    monkeypatch.setenv("P2C_SHARED_PAPERS", str(tmp_path / "shared"))
    loaded = load_suite(suite)
    assert (loaded.name, loaded.tolerance, loaded.baseline) == ("mini", 0.05, str(suite / "b.json"))
    far, local = loaded.cases
    assert local.paper == str(tmp_path / "paper.tex") and local.available and local.hidden_tests == []
    assert not far.available and "shared paper not available" in far.skip_reason
    assert far.hidden_tests == [str(suite / "cases" / "far" / "test_far.py")]
    assert find_suite("mini", search=tmp_path) == suite and find_suite(tmp_path) is None

    score = run_suite(loaded, stages=["plan"], cases=["far"]).cases[0]
    assert score.status == "skip" and "not available" in score.error

    (suite / "cases" / "local" / "case.toml").write_text('paper = "../../../../paper.tex"\ncomponent = ["x"]\n')
    with pytest.raises(UserError, match="unknown key.*component"):
        load_suite(suite)
    with pytest.raises(UserError, match="no suite.toml"):
        load_suite(tmp_path)
    with pytest.raises(UserError, match="unknown stage 'lint'"):
        parse_stages("plan,lint")
    assert parse_stages("hidden") == ["plan", "draft", "hidden"]


def test_offline_suite_plan_stage_matches_the_committed_baseline(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    rc = main(["eval", str(OFFLINE), "--stages", "plan", "--case", "tiny_lm", "--json", str(tmp_path / "r.json"),
               "--baseline", str(OFFLINE / "baseline.json")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["comparison"]["regressed"] is False
    assert data["scores"]["tiny_lm"]["components"] == 1.0


def test_a_component_removed_from_the_catalog_is_a_regression(tmp_path: Path, repo_root: Path) -> None:
    """Acceptance: the offline suite, run by a copy of paper2code whose catalog lacks rotary_position, falls
    below the committed baseline and exits 1 naming the case and the metric."""
    for name in ("agent", "codegen_templates", "prompts", "evals", "examples"):
        shutil.copytree(repo_root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (tmp_path / "codegen_templates" / "components").glob("rotary_position.*"):
        path.unlink()
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "eval", "evals/offline", "--stages", "plan", "--case", "tiny_lm",
         "--baseline", "evals/offline/baseline.json", "--json", "result.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert "REGRESSION tiny_lm: components 1.000 -> 0.857" in proc.stderr
    data = json.loads((tmp_path / "result.json").read_text())
    assert data["cases"][0]["components_missing"] == ["rotary_position"]


def test_hidden_tests_count_passes_failures_and_broken_files(tmp_path: Path) -> None:
    project = write_implementation(tmp_path, "hidden_norm")
    tests = tmp_path / "hidden"
    tests.mkdir()
    (tests / "test_norm_hidden.py").write_text(textwrap.dedent("""\
        import torch

        def test_unit_rms(component):
            cls, init = component("norm")
            y = cls(**init)(torch.randn(4, init["dim"]) * 10)
            assert torch.allclose(y.pow(2).mean(-1), torch.ones(4), atol=1e-4)

        def test_wrong_on_purpose(component):
            cls, init = component("norm")
            assert init["dim"] == 9, "the paper says 9"

        def test_cannot_escape(project_dir):
            (project_dir / "written.txt").write_text("inside the scratch copy is fine")
            try:
                open("/etc/p2c-hidden-escape", "w")
            except OSError:
                return
            raise AssertionError("wrote outside the scratch folder")
        """))
    (tests / "test_broken_hidden.py").write_text("import not_a_module_anywhere\n")
    outcome = run_hidden_tests(project, sorted(tests.glob("test_*.py")))
    assert (outcome.passed, outcome.total) == (2, 4), outcome.output
    assert any("test_wrong_on_purpose" in f and "the paper says 9" in f for f in outcome.failures)
    assert any("test_broken_hidden" in f for f in outcome.failures)
    assert not (project / "written.txt").exists()  # the tests ran on a copy


@pytest.mark.slow
def test_llm_suite_with_a_scripted_provider(tmp_path: Path, repo_root: Path) -> None:
    """The LLM path end to end: generate_with_llm replays the demo session (a draft, a failed reference check,
    a repair), then the case is validated and its hidden test run on what the model wrote."""
    fixtures = repo_root / "tests" / "fixtures" / "llm"
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "suite.toml").write_text('[suite]\nname = "scripted"\n')
    _case(suite / "cases" / "attention_note",
          f'paper = "{fixtures / "attention_note" / "main.tex"}"\ncomponents = ["attention"]\n')
    (suite / "cases" / "attention_note" / "test_scale.py").write_text(textwrap.dedent("""\
        import torch

        def test_attention_is_scaled_by_sqrt_dk(component):
            cls, init = component("attention")
            torch.manual_seed(0)
            attention = cls(**init).double().eval()
            x = torch.randn(2, 5, init["d_model"], dtype=torch.float64)
            ref_fn = __import__("attention.ref", fromlist=["attention"]).attention
            torch.testing.assert_close(attention(x), ref_fn(attention, x))
        """))
    script = fixtures / "demo_session.yaml"
    result = run_suite(load_suite(suite), llm=f"scripted:{script}", checks=["import", *QUICK_CHECKS])
    case = result.cases[0]
    assert case.status == "pass", case
    assert case.stages == ["plan", "draft", "validate", "hidden"]
    assert case.components_found == ["attention"] and case.validation_passed is True
    assert (case.hidden_passed, case.hidden_total) == (1, 1)
    data = result_json(result)
    assert data["llm"] == f"scripted:{script}" and data["scores"]["attention_note"]["hidden_tests"] == 1.0
    with pytest.raises(UserError, match="must include draft"):
        run_suite(load_suite(suite), llm=f"scripted:{script}", stages=["plan"])
