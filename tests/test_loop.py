"""The drafting agent (agent.loop) and its tools (agent.llm.agent_tools), driven by the scripted provider,
with real git repositories and the real validator's sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.draft.llm import generate_with_llm
from agent.errors import UserError
from agent.ingest import load_paper
from agent.llm.agent_tools import AgentTools
from agent.llm.base import make_tool_call
from agent.loop import state_path
from agent.repo import GitRepo
from agent.types import AgentLimits

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "llm"
PAPER = FIXTURES / "attention_note" / "main.tex"
DEMO = FIXTURES / "demo_session.yaml"
QUICK = ["import", "shapes", "reference"]


@pytest.fixture(scope="module")
def paper():
    return load_paper(PAPER)


def scripted(tmp_path: Path, responses: list[dict]) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"model": "scripted-test", "responses": responses}))
    return f"scripted:{path}"


def generate(paper, out, llm, **kwargs):
    lines: list[str] = []
    rc = generate_with_llm(paper, out, llm, env={}, echo=lines.append, **kwargs)
    return rc, lines


def state(out: Path) -> dict:
    return json.loads(state_path(out).read_text())


def tool_results(out: Path) -> list[dict]:
    return [b for m in state(out)["messages"] if m["role"] == "user" for b in m["content"]
            if b["type"] == "tool_result"]


def call(name, arguments=None, raw=None):
    return make_tool_call("c1", name, raw if raw is not None else json.dumps(arguments or {}))


def test_scripted_session_drafts_a_bug_repairs_it_and_finishes(tmp_path, paper):
    out = tmp_path / "attention"
    rc, lines = generate(paper, out, f"scripted:{DEMO}", checks=QUICK, step_checks=QUICK)
    assert rc == 0, lines
    subjects = [c.summary for c in GitRepo(out).log()]
    assert subjects[0] == "validation: 3/3 checks pass"
    assert subjects[1] == "repair 1: attention/model.py — validation: 3/3 checks pass"
    assert subjects[2].startswith("draft: ") and subjects[2].endswith("validation: 2/3 checks pass")
    assert subjects[3].startswith("setup: ") and len(subjects) == 4
    assert not GitRepo(out).is_dirty()
    report = json.loads((out / "validation.json").read_text())
    assert report["passed"] and {c["name"] for c in report["checks"]} == set(QUICK)
    assert "/ math.sqrt(self.head_dim)  # eq. (1)" in (out / "attention" / "model.py").read_text()
    saved = state(out)
    assert (saved["finished"], saved["steps"], saved["phase"]) == (True, 5, "repair 1")
    [repair] = saved["repairs"]
    assert (repair["verdict_before"], repair["verdict_after"]) == ("2/3 checks pass", "3/3 checks pass")
    assert repair["failures"][0].startswith("[fail] reference on attention:")
    assert any(line.startswith("repair 1: 2/3 checks pass -> 3/3 checks pass") for line in lines)
    assert any("total" in line and "5 calls" in line for line in lines)  # the usage table
    assert json.loads((out / ".paper2code" / "usage.json").read_text())["total"]["calls"] == 5
    # the paper's words came back to the model inside an untrusted block
    section = tool_results(out)[0]["content"]
    assert section.count("<untrusted_paper_section id=") == 1 and "Dividing by" in section

    # a finished run re-run: no model call, no validation of the unchanged files again, no new commit
    rc, lines = generate(paper, out, f"scripted:{DEMO}", checks=QUICK, step_checks=QUICK)
    assert rc == 0 and state(out)["steps"] == 5 and len(GitRepo(out).log()) == 4 and not GitRepo(out).is_dirty()
    assert json.loads((out / ".paper2code" / "usage.json").read_text())["total"]["calls"] == 5
    assert json.loads((out / "validation.json").read_text())["passed"]


def test_bad_tool_calls_get_error_results_and_the_loop_goes_on(tmp_path, paper):
    out = tmp_path / "attention"
    llm = scripted(tmp_path, [
        {"text": "Trying things.", "tool_calls": [
            {"name": "write_file", "raw_arguments": '{"path": "a.py", "content": '},
            {"name": "delete_everything", "arguments": {}},
            {"name": "write_file", "arguments": {"path": "../outside.py", "content": "x = 1\n"}},
            {"name": "read_file", "arguments": {"path": "/etc/passwd"}},
            {"name": "get_equation", "arguments": {"equation": "99"}},
            {"name": "compile_equation", "arguments": {"latex": "\\frac{"}},
            {"name": "show_component", "arguments": {"nme": "multi_head_attention"}},
            {"name": "finish", "raw_arguments": "[1, 2]"},
        ]},
        {"text": "I could not write anything.", "expect": "unknown tool 'delete_everything'"},
    ])
    rc, lines = generate(paper, out, llm, max_repairs=0, checks=QUICK, use_plan=False)
    results = tool_results(out)
    assert len(results) == 8 and all(r["is_error"] for r in results), results
    for result, words in zip(results, ["not valid JSON", "unknown tool", "'..' is refused", "absolute paths",
                                       "no equation '99'", "compile_equation", "bad arguments", "JSON object"]):
        assert words in result["content"], (words, result)
    assert state(out)["steps"] == 2 and not (tmp_path / "outside.py").exists()
    # the submit was judged: no manifest, so a failed verdict (never a passing validation.json)
    assert rc == 1 and lines[-1].startswith("paper2code: validation failed after 0 repair(s): [error] manifest")
    assert json.loads((out / "validation.json").read_text())["passed"] is False


def test_a_reply_cut_off_at_max_tokens_runs_nothing_and_the_model_is_told(tmp_path, paper):
    out = tmp_path / "attention"
    llm = scripted(tmp_path, [
        {"tool_calls": [{"name": "write_file", "arguments": {"path": "a.py", "content": "x = 1\n"}}],
         "stop_reason": "max_tokens"},
        {"text": "Stopping.", "expect": "cut off at the max_tokens limit"},
    ])
    rc, _ = generate(paper, out, llm, max_repairs=0, checks=QUICK, use_plan=False)
    assert rc == 1 and not (out / "a.py").exists()
    assert tool_results(out)[0]["is_error"] and state(out)["steps"] == 2


@pytest.mark.parametrize("limits, words, steps", [
    (AgentLimits(max_steps=1), "step limit reached: 1 model turns", 1),
    (AgentLimits(max_cost_usd=0.4), "cost limit reached: $0.50", 1),
    (AgentLimits(max_tokens=1000), "token limit reached: 1100 tokens", 1),
    (AgentLimits(max_wall_s=0.0), "wall-time limit reached", 0),
])
def test_limits_stop_the_run_with_one_line_and_keep_the_state(tmp_path, paper, limits, words, steps):
    out = tmp_path / "attention"
    llm = scripted(tmp_path, [
        {"text": "Reading.", "tool_calls": [{"name": "list_equations", "arguments": {}}],
         "usage": {"input_tokens": 1000, "output_tokens": 100, "cost_usd": 0.5}},
        {"text": "Done."},
    ])
    rc, lines = generate(paper, out, llm, limits=limits, use_plan=False)
    assert rc == 1 and words in lines[-1] and "re-run to resume" in lines[-1]
    assert state(out)["steps"] == steps and not state(out)["finished"]
    assert not (out / "validation.json").exists()  # no final validation ran


def test_a_state_from_another_paper_is_refused(tmp_path, paper):
    out = tmp_path / "attention"
    llm = scripted(tmp_path, [{"text": "Done."}])
    generate(paper, out, llm, limits=AgentLimits(max_steps=0), use_plan=False)
    other = load_paper(FIXTURES / "hostile_note" / "main.tex")
    with pytest.raises(UserError, match="belongs to a run on another paper"):
        generate(other, out, llm, use_plan=False)


def test_paper_and_catalog_tools(tmp_path, paper):
    tools = AgentTools(tmp_path, paper)
    run = tools.run
    section = run(call("read_section", {"section": "multi-head"}))["content"]
    assert "<untrusted_paper_section id=" in section and "$h = 2$" in section
    assert "eq1 (1)" in run(call("list_equations"))["content"]
    assert "dimension of the keys" in run(call("get_equation", {"equation": "(1)"}))["content"]
    compiled = run(call("compile_equation", {"latex": paper.equations[0].latex,
                                             "shapes": {"Q": "n d", "K": "m d", "V": "m e"}}))["content"]
    facts = json.loads(compiled.split("\n\n")[0])
    assert facts["verified"] and facts["inputs"] == ["Q", "K", "V", "d_k"] and "def Attention(" in compiled
    assert "multi_head_attention [attention]" in run(call("list_components", {"slot": "attention"}))["content"]
    shown = json.loads(run(call("show_component", {"name": "multi_head_attention"}))["content"])
    assert shown["interface"].startswith("__init__(") and shown["contracts"]
    rendered = run(call("render_component", {"name": "multi_head_attention"}))["content"]
    assert "class MultiHeadAttention(nn.Module)" in rendered and "reference functions" in rendered
    assert run(call("show_component", {"name": "multi_head_atention"}))["is_error"]
    assert "unknown check 'speed'" in run(call("validate", {"checks": ["speed"]}))["content"]
    no_manifest = run(call("validate", {"checks": ["import"]}))
    assert not no_manifest["is_error"] and "[error] manifest" in no_manifest["content"]
    assert "FAILED" in no_manifest["content"] and tools.validations == 1
    run(call("validate", {"checks": ["import"]}))
    assert tools.validations == 1  # the same files and checks are validated once
