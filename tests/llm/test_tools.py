"""File tools for a model, and a short agent loop driving them end to end (scripted provider, real git)."""

from __future__ import annotations

import json

from agent.llm import (
    UsageLedger,
    assistant_message,
    get_provider,
    load_config,
    tool_results_message,
    usage_path,
    user_message,
)
from agent.llm.base import make_tool_call
from agent.llm.prompts import render
from agent.llm.tools import FileTools
from agent.repo import GitRepo


def call(name, arguments=None, raw=None, call_id="c1"):
    return make_tool_call(call_id, name, raw if raw is not None else json.dumps(arguments or {}))


def test_tools_write_read_list_and_edit(tmp_path):
    tools = FileTools(tmp_path)
    assert not tools.run(call("write_file", {"path": "pkg/model.py", "content": "x = 1\n"}))["is_error"]
    assert tools.run(call("read_file", {"path": "pkg/model.py"}))["content"] == "x = 1\n"
    blocks = "pkg/model.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2  # eq. (1)\n>>>>>>> REPLACE\n"
    result = tools.run(call("edit_files", {"blocks": blocks}))
    assert result == {"type": "tool_result", "tool_use_id": "c1", "content": "applied 1 edit(s) to pkg/model.py",
                      "is_error": False}
    (tmp_path / ".paper2code").mkdir()
    (tmp_path / ".paper2code" / "usage.json").write_text("{}")
    assert tools.run(call("list_files"))["content"] == "pkg/model.py"
    assert tools.changed == ["pkg/model.py"]


def test_tool_failures_are_results_not_exceptions(tmp_path):
    tools = FileTools(tmp_path, max_write_bytes=10)
    cases = {
        "not valid JSON": call("write_file", raw='{"path": "a.py", "content": '),
        "'..' is refused": call("write_file", {"path": "../evil.py", "content": "x"}),
        "private": call("write_file", {"path": ".git/config", "content": "x"}),
        "byte limit": call("write_file", {"path": "big.py", "content": "x" * 11}),
        "no such file": call("read_file", {"path": "missing.py"}),
        "bad arguments": call("read_file", {"file": "a.py"}),
        "unknown tool": call("delete_everything", {}),
        "no SEARCH/REPLACE blocks": call("edit_files", {"blocks": "just prose"}),
    }
    for expected, tool_call in cases.items():
        result = tools.run(tool_call)
        assert result["is_error"] and expected in result["content"], (expected, result)
    assert not (tmp_path.parent / "evil.py").exists() and list(tmp_path.iterdir()) == []


def test_a_short_loop_drives_provider_tools_and_git(tmp_path):
    out = tmp_path / "attention"
    out.mkdir()
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        {"text": "Writing the model.", "tool_calls": [
            {"name": "write_file", "arguments": {"path": "attention/model.py",
                                                 "content": "def attention(q, k, v):\n    return q\n"}}]},
        {"text": "Fixing it.", "expect": "wrote attention/model.py", "tool_calls": [
            {"name": "edit_files", "arguments": {"blocks": (
                "attention/model.py\n<<<<<<< SEARCH\n    return q\n=======\n"
                "    return (q @ k.transpose(-2, -1)).softmax(-1) @ v  # eq. (1)\n>>>>>>> REPLACE\n")}}]},
        {"text": "Done: eq. (1) implemented.", "usage": {"input_tokens": 10, "output_tokens": 5}},
    ]))
    ledger = UsageLedger()
    config = load_config(tmp_path, env={})
    provider = get_provider(f"scripted:{script}", config=config, ledger=ledger)
    tools = FileTools(out)
    repo = GitRepo(out)
    system = render("system", tools=sorted(tools.names), project_name="attention", package="attention")
    messages = [user_message("Implement eq. (1).")]
    for _step in range(config.max_steps):
        response = provider.complete(system=system, messages=messages, tools=tools.specs(),
                                     max_tokens=config.max_tokens)
        messages.append(assistant_message(response))
        if not response.tool_calls:
            break
        messages.append(tool_results_message([tools.run(c) for c in response.tool_calls]))
        repo.commit_all(f"Step: {response.text}")
    ledger.save(usage_path(out))
    assert "softmax(-1) @ v  # eq. (1)" in (out / "attention" / "model.py").read_text()
    assert [c.summary for c in repo.log()] == ["Step: Fixing it.", "Step: Writing the model."]
    assert not repo.is_dirty()  # the ledger in .paper2code/ is never committed
    assert json.loads(usage_path(out).read_text())["total"]["calls"] == 3
    repo.undo_last()
    assert "return q" in (out / "attention" / "model.py").read_text()
