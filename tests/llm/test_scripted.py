"""The scripted provider: recorded responses replayed in order."""

from __future__ import annotations

import json

import pytest

from agent.errors import LLMError, UserError
from agent.llm.base import assistant_message, tool_result, tool_results_message, user_message
from agent.llm.registry import get_provider
from agent.llm.scripted import ScriptedProvider


def write(tmp_path, data, name="script.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else data)
    return path


def test_replays_text_and_tool_calls_in_order(tmp_path, config):
    path = write(tmp_path, {"model": "demo", "responses": [
        {"text": "Writing.", "tool_calls": [{"name": "write_file", "arguments": {"path": "a.py", "content": "x"}}]},
        {"text": "Done.", "expect": "wrote a.py", "usage": {"input_tokens": 7, "output_tokens": 3}},
    ]})
    provider = get_provider(f"scripted:{path}", config=config, cache_dir=tmp_path / "cache")
    assert isinstance(provider, ScriptedProvider)  # never cached: replay order is the point
    messages = [user_message("go")]
    first = provider.complete(system="s", messages=messages, tools=[], max_tokens=10)
    assert first.model == "demo" and first.stop_reason == "tool_use"
    assert first.tool_calls[0].arguments == {"path": "a.py", "content": "x"} and first.tool_calls[0].id == "call_1_1"
    messages += [assistant_message(first), tool_results_message([tool_result("call_1_1", "wrote a.py")])]
    second = provider.complete(system="s", messages=messages, tools=[], max_tokens=10)
    assert (second.text, second.stop_reason, second.usage.input_tokens) == ("Done.", "end_turn", 7)
    assert provider.remaining == 0 and len(provider.requests) == 2
    with pytest.raises(LLMError, match="all 2 responses used"):
        provider.complete(system="s", messages=messages, tools=[], max_tokens=10)


def test_yaml_raw_arguments_and_expect_mismatch(tmp_path):
    path = write(tmp_path, "- tool_calls:\n    - name: write_file\n      raw_arguments: '{\"path\": '\n"
                           "- text: never\n  expect: all checks passed\n", name="script.yaml")
    provider = ScriptedProvider(path)
    call = provider.complete(system="s", messages=[user_message("go")], tools=[], max_tokens=10).tool_calls[0]
    assert call.arguments is None and call.error and call.raw_arguments == '{"path": '
    with pytest.raises(LLMError, match="expects the last user turn to contain 'all checks passed'"):
        provider.complete(system="s", messages=[user_message("2 checks failed")], tools=[], max_tokens=10)


@pytest.mark.parametrize("data, message", [
    ([], "non-empty list"),
    ([{"txt": "typo"}], "unknown key"),
    ([{"tool_calls": [{"name": "x", "arguments": "not a mapping"}]}], "'arguments' must be a mapping"),
    ("{broken", "not valid JSON"),
])
def test_bad_scripts_are_user_errors(tmp_path, data, message):
    path = tmp_path / "bad.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    with pytest.raises(UserError, match=message):
        ScriptedProvider(path)
