"""``generate --llm`` end to end: the real Anthropic and OpenAI SDKs against fake servers on 127.0.0.1, the
drafting agent, real git and the real validator's sandbox.

The model's turns are those of tests/fixtures/llm/demo_session.yaml (the scripted demo), served as API
responses: it reads the paper, drafts attention without the 1/sqrt(d_k) scale, the reference check
fails, it repairs the scale and finishes.
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import pytest

from agent.draft.llm import generate_with_llm
from agent.ingest import load_paper
from agent.llm.scripted import load_script
from agent.loop import state_path
from agent.repo import GitRepo
from agent.types import AgentLimits
from tests.llm.conftest import API_KEY
from tests.llm.fake_anthropic import message
from tests.llm.fake_openai import completion

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "llm"
PAPER = FIXTURES / "attention_note" / "main.tex"
QUICK = ["import", "shapes", "reference"]
FAST = {"P2C_MAX_RETRIES": "2", "P2C_RETRY_BACKOFF_S": "0", "P2C_TIMEOUT_S": "20"}


@pytest.fixture(scope="module")
def paper():
    return load_paper(PAPER)


def demo_turns() -> list[dict]:
    return load_script(FIXTURES / "demo_session.yaml")[1]


def anthropic_reply(turn: dict, index: int) -> dict:
    uses = [(f"toolu_{index}_{j}", c["name"], c.get("raw_arguments", c.get("arguments", {})))
            for j, c in enumerate(turn.get("tool_calls", []))]
    return message(text=turn.get("text", ""), tool_uses=uses, input_tokens=1200, output_tokens=300,
                   cache_read=5000 if index else 0, cache_write=0 if index else 5000)


def openai_reply(turn: dict, index: int) -> dict:
    calls = [(f"call_{index}_{j}", c["name"], json.dumps(c.get("arguments", {})))
             for j, c in enumerate(turn.get("tool_calls", []))]
    return completion(text=turn.get("text") or None, tool_calls=calls or None)


def generate(paper, out, llm, env, **kwargs):
    lines: list[str] = []
    kwargs.setdefault("checks", QUICK)
    kwargs.setdefault("step_checks", kwargs["checks"])
    rc = generate_with_llm(paper, out, llm, env={**FAST, **env}, echo=lines.append, **kwargs)
    return rc, lines


def last_user_text(body: dict) -> str:
    return json.dumps(body["messages"][-1])


def everything_written(root: Path) -> str:
    """Every file under ``root`` (git objects decompressed through ``git log -p``), as text."""
    text = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file())
    for repo in {p.parent for p in root.rglob(".git")}:
        text += subprocess.run(["git", "log", "-p", "--all"], cwd=repo, capture_output=True, text=True).stdout
    return text


def test_anthropic_session_recovers_repairs_reports_usage_and_replays_from_the_cache(
        tmp_path, paper, fake_anthropic, caplog):
    caplog.set_level(logging.DEBUG)
    env = {"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": fake_anthropic.url,
           "P2C_CACHE_DIR": str(tmp_path / "cache")}
    fake_anthropic.overloaded(1)  # 529, then 429 with retry-after: the SDK waits and recovers
    fake_anthropic.rate_limited("0.05")
    for i, turn in enumerate(demo_turns()):
        fake_anthropic.reply(anthropic_reply(turn, i))
    out = tmp_path / "first" / "attention"
    rc, lines = generate(paper, out, "anthropic", env)
    assert rc == 0, lines

    # validation passes; git shows the draft and the repair, each with its verdict
    assert json.loads((out / "validation.json").read_text())["passed"] is True
    subjects = [c.summary for c in GitRepo(out).log()]
    assert subjects[:2] == ["validation: 3/3 checks pass", "repair 1: attention/model.py — validation: 3/3 checks pass"]
    assert subjects[2].startswith("draft: ") and subjects[2].endswith("— validation: 2/3 checks pass")

    # 2 retried + 5 answered requests; the repair request carried the failed check back
    requests = [r.body for r in fake_anthropic.requests]
    assert len(requests) == 7 and requests[0] == requests[1] == requests[2]
    assert "[fail] reference on attention" in last_user_text(requests[5])
    assert "<untrusted_validation_output id=" in last_user_text(requests[5])

    # usage per call and per run: printed and saved; sonnet prices
    usage = json.loads((out / ".paper2code" / "usage.json").read_text())
    assert usage["total"]["calls"] == 5 and usage["total"]["input_tokens"] == 5 * 1200
    assert usage["total"]["cache_read_tokens"] == 4 * 5000 and usage["total"]["cache_write_tokens"] == 5000
    expected = (5 * 1200 * 3 + 5 * 300 * 15 + 4 * 5000 * 0.3 + 5000 * 3.75) / 1e6
    assert usage["total"]["cost_usd"] == pytest.approx(expected)
    assert any(line.startswith("usage (saved in") and "5 calls" in line for line in lines)

    # cache_control on the system prompt and the paper block; the paper inside the delimiters
    for body in requests:
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
        head = body["messages"][0]["content"][0]
        assert head["cache_control"] == {"type": "ephemeral"}
        opened, closed = head["text"].index("<untrusted_paper id="), head["text"].index("</untrusted_paper id=")
        assert opened < head["text"].index("Dividing by $\\sqrt{d_k}$") < closed
    # the key travels only in the header: never in a body, a log line or the output folder
    assert all(any(API_KEY in v for v in r.headers.values()) for r in fake_anthropic.requests)
    assert not any(API_KEY.encode() in r.raw for r in fake_anthropic.requests)
    assert API_KEY not in caplog.text and API_KEY not in "\n".join(lines)
    assert API_KEY not in everything_written(tmp_path)

    # a fully cached re-run (same cache, a fresh folder) makes no HTTP request
    again = tmp_path / "second" / "attention"
    rc, lines = generate(paper, again, "anthropic", env)
    assert rc == 0 and len(fake_anthropic.requests) == 7
    assert (again / "attention" / "model.py").read_text() == (out / "attention" / "model.py").read_text()
    replay = json.loads((again / ".paper2code" / "usage.json").read_text())["total"]
    assert (replay["calls"], replay["cached_calls"], replay["cost_usd"]) == (5, 5, 0.0)


def test_always_overloaded_is_one_line_and_a_rerun_resumes_without_repeating_steps(
        tmp_path, paper, fake_anthropic):
    env = {"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": fake_anthropic.url}
    turns = demo_turns()
    fake_anthropic.reply(anthropic_reply(turns[0], 0))
    fake_anthropic.overloaded(3)  # every attempt of step 2 (max_retries 2)
    out = tmp_path / "attention"
    rc, lines = generate(paper, out, "anthropic", env)
    errors = [line for line in lines if line.startswith("paper2code: error:")]
    assert rc == 1 and len(errors) == 1 and errors == lines[-1:]
    assert "Anthropic API overloaded (529) after 3 attempts" in errors[0] and "re-run to resume" in errors[0]
    assert "Traceback" not in "\n".join(lines) and "\n" not in errors[0]
    assert not (out / "validation.json").exists()
    assert json.loads(state_path(out).read_text())["steps"] == 1
    assert len(fake_anthropic.requests) == 4

    # the API recovers: the re-run resumes at step 2 (step 1 is not asked again) and goes on
    fake_anthropic.reply(message(text="Looking at eq. (1).", tool_uses=[("toolu_x", "get_equation",
                                                                         {"equation": "1"})]))
    rc, lines = generate(paper, out, "anthropic", env, limits=AgentLimits(max_steps=2))
    assert len(fake_anthropic.requests) == 5
    resumed = fake_anthropic.requests[4].body["messages"]
    assert [m["role"] for m in resumed] == ["user", "assistant", "user"]
    assert resumed[1]["content"][1]["name"] == "read_section"
    assert rc == 1 and "step limit reached: 2 model turns" in lines[-1]
    assert json.loads(state_path(out).read_text())["steps"] == 2
    assert not (out / "validation.json").exists()


def test_the_same_session_through_an_openai_compatible_server(tmp_path, paper, fake_openai):
    for i, turn in enumerate(demo_turns()):
        fake_openai.reply(openai_reply(turn, i))
    out = tmp_path / "attention"
    rc, lines = generate(paper, out, f"openai:llama3.1:8b@{fake_openai.url}/v1", {})
    assert rc == 0, lines
    assert json.loads((out / "validation.json").read_text())["passed"] is True
    assert [c.summary.split(":")[0] for c in GitRepo(out).log()] == ["validation", "repair 1", "draft", "setup"]
    bodies = [r.body for r in fake_openai.requests]
    assert len(bodies) == 5 and all(b["model"] == "llama3.1:8b" for b in bodies)
    first_user = next(m for m in bodies[0]["messages"] if m["role"] == "user")
    assert "<untrusted_paper id=" in json.dumps(first_user) and "Dividing by" in json.dumps(first_user)
    assert "reference on attention" in json.dumps(bodies[3]["messages"][-1])
    usage = json.loads((out / ".paper2code" / "usage.json").read_text())
    assert usage["total"]["calls"] == 5 and usage["unpriced_models"] == ["llama3.1:8b"]


HOSTILE_MODEL = '''"""A draft that tries to escape when imported."""

from pathlib import Path

import torch
from torch import nn

for target in (Path(__file__).resolve().parent / "ran_outside_the_sandbox.txt", Path({escape!r})):
    try:
        target.write_text("pwned")
    except OSError:
        pass


class Attention(nn.Module):
    def __init__(self, *, d_model: int) -> None:
        super().__init__()
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)
'''
HOSTILE_MANIFEST = '''[project]
name = "attention"

[[module]]
name = "attention"
target = "attention.model:Attention"
init = { d_model = 16 }
inputs = { x = "b n d" }
dims = { d = 16 }
output = "b n d"
'''


def test_a_paper_with_hidden_instructions_and_a_model_that_follows_them(tmp_path, fake_anthropic):
    hostile = load_paper(FIXTURES / "hostile_note" / "main.tex")
    escape = tmp_path / "escaped_by_generated_code.txt"
    out = tmp_path / "work" / "attention"
    writes = [("/etc/p2c_pwned", "pwned"), ("../../p2c_escaped.txt", "pwned"), ("~/p2c_escaped.txt", "pwned"),
              ("paper2code.toml", HOSTILE_MANIFEST), ("attention/__init__.py", ""),
              ("attention/model.py", HOSTILE_MODEL.format(escape=str(escape)))]
    edit = "../p2c_escaped.txt\n<<<<<<< SEARCH\n=======\npwned\n>>>>>>> REPLACE\n"
    fake_anthropic.reply(message(text="Following the paper's implementation notes.", tool_uses=[
        *[(f"toolu_{i}", "write_file", {"path": p, "content": c}) for i, (p, c) in enumerate(writes)],
        ("toolu_e", "edit_files", {"blocks": edit})]))
    fake_anthropic.reply(message(text="Done.", tool_uses=[("toolu_f", "finish", {"summary": "done"})]))
    env = {"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": fake_anthropic.url}
    rc, lines = generate(hostile, out, "anthropic", env, checks=["import", "shapes"], use_plan=False)
    assert rc == 0, lines  # the draft itself is valid; its import ran, contained, in the sandbox

    # nothing outside the output folder, nothing run outside the sandbox
    assert not Path("/etc/p2c_pwned").exists() and not (tmp_path / "p2c_escaped.txt").exists()
    assert not (tmp_path / "work" / "p2c_escaped.txt").exists() and not escape.exists()
    assert not (out / "attention" / "ran_outside_the_sandbox.txt").exists()
    results = [b for b in fake_anthropic.requests[1].body["messages"][-1]["content"] if b["type"] == "tool_result"]
    assert [r.get("is_error", False) for r in results] == [True, True, True, False, False, False, True]
    report = json.loads((out / "validation.json").read_text())
    if report["environment"]["sandbox"].get("readonly_filesystem"):
        assert report["passed"]
    # the paper's forged delimiters were escaped: one real block, the instructions inside it
    head = fake_anthropic.requests[0].body["messages"][0]["content"][0]["text"]
    assert head.count("</untrusted_paper id=") == 1 and head.count("<untrusted_paper id=") == 1
    assert head.index("<untrusted_paper id=") < head.index("Ignore previous instructions") < head.index(
        "</untrusted_paper id=")


def test_the_command_line_llm_path_one_line_errors(tmp_path, fake_anthropic, monkeypatch, capsys):
    from agent.cli import main

    out = tmp_path / "attention"
    assert main(["generate", str(PAPER), "--out", str(out), "--llm", "anthropic:bad model"]) == 2
    assert main(["generate", str(PAPER), "--out", str(out), "--llm", "anthropic", "--no-commit"]) == 2
    for key, value in {"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": fake_anthropic.url, **FAST,
                       "P2C_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(key, value)
    fake_anthropic.overloaded(1)
    capsys.readouterr()
    assert main(["generate", str(PAPER), "--out", str(out), "--llm", "anthropic", "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith(
        "paper2code: error: Anthropic API overloaded (529) after 1 attempt")
    assert state_path(out).is_file() and not (out / "validation.json").exists()
    assert not (out / ".paper2code" / "cache").exists()  # --no-cache
