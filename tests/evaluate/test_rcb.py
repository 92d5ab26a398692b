"""The ResearchCodeBench adapter on a small fixture in that benchmark's format (tests/fixtures/rcb): parsing
and masking, and the calibration the issue asks for: the oracle provider scores 100%, the empty one 0%."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli import main
from agent.errors import UserError
from agent.evaluate.rcb import extract_code, judge, result_json, run_benchmark
from agent.evaluate.rcb_tasks import load_tasks, normalise, parse_file
from agent.llm.prompts import render

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rcb"


def test_tasks_snippets_and_weights() -> None:
    tasks = load_tasks(FIXTURE)
    assert [t.id for t in tasks] == ["softclip", "ratio_filter"]
    softclip, ratio = tasks
    assert [(s.name, s.lines) for _, s in softclip.snippets()] == [("parameters", 3), ("bound", 1), ("forward", 2)]
    assert [(s.name, s.lines) for _, s in ratio.snippets()] == [("threshold", 1), ("filter and renormalise", 2)]
    assert ratio.context[0][0] == "helpers.py" and "tempered_probabilities" in ratio.context[0][1]
    assert load_tasks(FIXTURE / "pset", only=["ratio_filter"])[0].id == "ratio_filter"
    with pytest.raises(UserError, match="no paper 'nope'"):
        load_tasks(FIXTURE, only=["nope"])


def test_masking_and_filling_round_trip() -> None:
    file = load_tasks(FIXTURE, only=["softclip"])[0].files[0]
    outer = file.snippets[0]
    masked = file.masked(outer)
    assert '        # TODO: Implement block "parameters"\n        # Approximately 3 line(s) of code.\n' in masked
    assert "paper2code" not in masked and "[1.0] * dim" not in masked and "def __call__" in masked
    original = "\n".join(file.lines) + "\n"
    forward = file.snippets[2]
    assert file.filled(forward, "\n".join(forward.code)) == original
    without_inner_markers = "".join(line for line in original.splitlines(True) if 'name="bound"' not in line)
    assert file.filled(outer, "\n".join(outer.code)) == without_inner_markers  # answers carry no markers
    filled = file.filled(file.snippets[2], "\n    clipped = x\n    return clipped\n\n")  # re-indented
    assert "        clipped = x\n        return clipped\n" in filled
    assert normalise('  # <paper2code name="x">\n    a = 1\n      b = 2\n') == "a = 1\n  b = 2"


def test_answers_are_extracted_and_judged_as_the_benchmark_does() -> None:
    assert extract_code("Here:\n```python\nx = 1\n```\nthanks") == "x = 1"
    assert extract_code("y = 2") == "y = 2"
    assert judge(0, "OK") and not judge(1, "FAILED") and not judge(0, "Traceback (most recent call last)")
    prompt = render("eval/rcb_snippet", title="T", file="a.py", snippet="s", lines=2, context=[],
                    masked="x = 1\n")
    assert "<untrusted_code id=" in prompt and "block \"s\"" in prompt
    assert "untrusted_paper" in render("eval/rcb_system")


def test_malformed_markers_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('# <paper2code name="x">\nx = 1\n# </paper2code name="y">\n')
    with pytest.raises(UserError, match=r"a.py:3: closing marker for 'y', expected 'x'"):
        parse_file(tmp_path, "a.py")
    (tmp_path / "b.py").write_text('# <paper2code name="x">\nx = 1\n')
    with pytest.raises(UserError, match=r"b.py:1: snippet 'x' is never closed"):
        parse_file(tmp_path, "b.py")


def test_oracle_scores_100_and_empty_scores_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    oracle = result_json(run_benchmark(FIXTURE, "oracle", jobs=2))
    assert oracle["overall"]["scaled_pass@1"] == 1.0 and oracle["overall"]["pass@1"] == 1.0
    assert oracle["overall"]["lines"] == 9 and oracle["overall"]["snippets"] == 5

    rc = main(["eval", "--suite", "researchcodebench", "--root", str(FIXTURE), "--llm", "empty", "--jobs", "2",
               "--json", str(tmp_path / "empty.json"), "--junit", str(tmp_path / "empty.xml")])
    assert rc == 0
    empty = json.loads((tmp_path / "empty.json").read_text())
    assert empty["overall"]["scaled_pass@1"] == 0.0 and empty["overall"]["snippets_passed"] == 0
    assert all(s["detail"].startswith("empty answer") for s in empty["snippets"])
    assert empty["papers"]["softclip"]["lines"] == 6
    assert "scaled pass@1 0.0% over 5 snippets" in capsys.readouterr().out

    # the oracle's run as a baseline: the empty provider regresses against it
    (tmp_path / "oracle.json").write_text(json.dumps(oracle))
    rc = main(["eval", "--suite", "researchcodebench", "--root", str(FIXTURE), "--llm", "empty",
               "--case", "ratio_filter", "--baseline", str(tmp_path / "oracle.json")])
    assert rc == 1
    assert "REGRESSION ratio_filter: scaled_pass@1 1.000 -> 0.000" in capsys.readouterr().err


def test_adapter_usage_errors_are_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["eval", "--suite", "researchcodebench"]) == 2
    assert "needs --root" in capsys.readouterr().err
    assert main(["eval", "--suite", "researchcodebench", "--root", str(tmp_path), "--llm", "empty"]) == 2
    assert "no pset/papers.yaml" in capsys.readouterr().err
    assert main(["eval", "--suite", "researchcodebench", "--root", str(FIXTURE), "--llm", "offline"]) == 2
    assert "needs a model" in capsys.readouterr().err
