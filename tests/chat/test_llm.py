"""Free text with a model: the real Anthropic SDK against a fake Anthropic server on 127.0.0.1.

A request becomes an edit that is applied, validated and committed with a message naming the request; an
edit whose SEARCH text is not in the file is reported and sent back, and the model's retry lands; a change
that fails validation is sent back with the failures and repaired; retries are bounded."""

from __future__ import annotations

import json

import pytest

from tests.chat.helpers import chat_env, clean, config_value, git, no_traceback, run_chat, subjects
from tests.llm.fake_anthropic import FakeAnthropic, message

API_KEY = "sk-ant-test-chat-0123456789"


@pytest.fixture
def fake():
    server = FakeAnthropic().start()
    yield server
    server.stop()


def _env(fake, **extra):
    return chat_env({"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": fake.url, "P2C_RETRY_BACKOFF_S": "0",
                     **extra})


def _block(path, search, replace):
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def _texts(request):
    """Every text a request sent: system prompt and message text blocks (tool results included)."""
    body = request.body
    parts = [body["system"] if isinstance(body["system"], str) else json.dumps(body["system"])]
    for m in body["messages"]:
        parts.append(m["content"] if isinstance(m["content"], str) else json.dumps(m["content"]))
    return "\n".join(parts)


def test_request_becomes_a_validated_commit_after_a_bad_edit_is_retried(project, fake):
    line = next(ln for ln in (project / "config.yaml").read_text(encoding="utf-8").splitlines()
                if ln.startswith("  warmup_steps: 4000"))
    fake.reply(message(tool_uses=[("toolu_1", "read_file", {"path": "config.yaml"})]))
    fake.reply(message(text="Halving the warmup.\n\n" + _block("config.yaml", "  warmup_steps: 9999\n",
                                                                   "  warmup_steps: 2000\n")))
    fake.reply(message(text="Halving the warmup (a deviation from §5.3).\n\n"
                       + _block("config.yaml", line + "\n", line.replace("4000", "2000", 1) + "\n")))
    fake.reply(message(text="Because §5.3 says warmup_steps = 4000; you set 2000 in this chat."))
    script = "use 2000 warmup steps\nwhy is warmup 4000?\n/cost\n/quit\n"
    done = run_chat(project, script, "--llm", "anthropic", "--checks", "static", env=_env(fake))
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "the model's edit was not applied" in out and "warmup_steps: 9999" in out
    assert "retry 1 of 3" in out
    assert "validation passed: 1/1 checks pass (static)" in out
    assert config_value(project, "model", "warmup_steps") == "2000"
    assert subjects(project)[0] == "chat: use 2000 warmup steps"
    body = git(project, "log", "-1", "--format=%B")
    assert "Request: use 2000 warmup steps" in body and "Generated-by: paper2code chat" in body
    assert len(subjects(project)) == 2  # the question made no commit
    assert "Because §5.3 says warmup_steps = 4000" in out
    assert "4 calls" in out.split("p2c> /cost", 1)[1]  # the ledger counts the four calls
    usage = json.loads((project / ".paper2code" / "chat_usage.json").read_text(encoding="utf-8"))
    assert usage["total"]["calls"] == 4 and usage["total"]["input_tokens"] == 400
    assert clean(project)

    assert len(fake.requests) == 4
    first = _texts(fake.requests[0])
    assert "untrusted_paper" in first and "Attention Is All You Need" in first
    assert [t["name"] for t in fake.requests[0].body["tools"]] == ["list_files", "read_file"]
    assert "warmup_steps: 4000" in _texts(fake.requests[1])  # the tool result: the file it read
    retry = _texts(fake.requests[2])
    assert "were not applied" in retry and "SEARCH" in retry
    assert "user: use 2000 warmup steps" in _texts(fake.requests[3])  # earlier turns are context
    transcript = [json.loads(ln) for ln in (project / ".paper2code" / "chat.jsonl").read_text().splitlines()]
    assert [e["role"] for e in transcript] == ["user", "assistant"] * 4
    assert transcript[1]["commit"] == git(project, "rev-parse", "HEAD").strip()


def test_failed_validation_is_repaired_and_retries_are_bounded(project, fake):
    package = next(project.glob("*/model.py")).parent.name
    extra = f"{package}/extra.py"
    fake.reply(message(text="Adding a helper.\n\n" + _block(extra, "", "def broken(:\n    pass\n")))
    fake.reply(message(text="Fixed the syntax.\n\n" + _block(extra, "def broken(:\n", "def helper():\n")))
    fake.reply(message(text=_block("config.yaml", "no such line\n", "x\n")))
    fake.reply(message(text=_block("config.yaml", "still no such line\n", "x\n")))
    script = "add a helper module\nrename something\n"
    done = run_chat(project, script, "--llm", "anthropic", "--checks", "static", env=_env(fake, P2C_MAX_REPAIRS="1"))
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "validation FAILED" in out and "repair 1 of 1" in out
    assert "Validation failed (repair 1 of 1)" in _texts(fake.requests[1])
    assert subjects(project)[0] == "chat: add a helper module"
    assert (project / extra).read_text(encoding="utf-8") == "def helper():\n    pass\n"
    # the second request: both edits fail; after one retry nothing is changed or committed
    assert "no change made: edits still failed after 1 retries" in out
    assert len(subjects(project)) == 2 and len(fake.requests) == 4
    assert clean(project) and config_value(project, "model", "d_model") == "512"
