"""The OpenAI-compatible provider, through the real SDK, against a fake chat-completions server."""

from __future__ import annotations

import dataclasses
import json

import pytest

from agent.errors import LLMError
from agent.llm.base import assistant_message, tool_result, tool_results_message, user_message
from agent.llm.openai_provider import PLACEHOLDER_KEY
from agent.llm.registry import get_provider
from agent.types import PaperBlock, ToolSpec
from tests.llm.conftest import OPENAI_KEY
from tests.llm.fake_openai import completion

READ_FILE = ToolSpec(
    name="read_file",
    description="Read a file of the project.",
    input_schema={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)


def provider_for(fake, config, env=None):
    return get_provider(f"openai:llama3.1:8b@{fake.url}/v1", config=config, env=env or {})


def test_streamed_tool_calls_round_trip(fake_openai, config):
    provider = provider_for(fake_openai, config)
    fake_openai.reply(completion(text="Let me look.", tool_calls=[
        ("call_a", "read_file", json.dumps({"path": "pkg/model.py"})),
        ("call_b", "read_file", json.dumps({"path": "NOTES.md"})),
    ]))
    fake_openai.reply(completion(text="The model matches eq. (1)."))
    paper = PaperBlock(text="We use h = 8 heads.")
    messages = [user_message("Check the model.")]
    first = provider.complete(system="sys", messages=messages, tools=[READ_FILE], max_tokens=256, paper=paper)
    assert first.text == "Let me look." and first.stop_reason == "tool_use"
    assert [(c.id, c.arguments) for c in first.tool_calls] == [
        ("call_a", {"path": "pkg/model.py"}), ("call_b", {"path": "NOTES.md"})]
    assert first.usage.input_tokens == 50 and first.usage.output_tokens == 10
    messages += [assistant_message(first),
                 tool_results_message([tool_result("call_a", "class Attention: ..."),
                                       tool_result("call_b", "no such file", is_error=True)])]
    second = provider.complete(system="sys", messages=messages, tools=[READ_FILE], max_tokens=256, paper=paper)
    assert second.text == "The model matches eq. (1)." and second.stop_reason == "end_turn"

    body = fake_openai.requests[1].body
    assert body["stream"] is True and body["model"] == "llama3.1:8b"
    assert body["tools"][0] == {"type": "function", "function": {
        "name": "read_file", "description": READ_FILE.description, "parameters": READ_FILE.input_schema}}
    system, user, assistant, tool_a, tool_b = body["messages"]
    assert system == {"role": "system", "content": "sys"}
    assert "<untrusted_paper id=" in user["content"] and user["content"].endswith("Check the model.")
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_a", "call_b"]
    assert tool_a == {"role": "tool", "tool_call_id": "call_a", "content": "class Attention: ..."}
    assert tool_b["content"].startswith("ERROR:")


def test_non_streaming_and_invalid_arguments(fake_openai, config):
    config.stream = False
    fake_openai.reply(completion(tool_calls=[("call_x", "read_file", "{not json")], cached_tokens=20))
    response = provider_for(fake_openai, config).complete(
        system="s", messages=[user_message("go")], tools=[READ_FILE], max_tokens=64)
    [call] = response.tool_calls
    assert call.arguments is None and call.raw_arguments == "{not json" and "not valid JSON" in call.error
    assert response.usage.cache_read_tokens == 20 and response.usage.input_tokens == 30
    assert "stream" not in fake_openai.requests[0].body


def test_key_placeholder_for_local_servers_and_key_only_in_header(fake_openai, config):
    fake_openai.reply(completion(text="hi"))
    provider_for(fake_openai, config).complete(system="s", messages=[user_message("go")], tools=[], max_tokens=8)
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {PLACEHOLDER_KEY}"
    fake_openai.reply(completion(text="hi"))
    provider_for(fake_openai, config, env={"OPENAI_API_KEY": OPENAI_KEY}).complete(
        system="s", messages=[user_message("go")], tools=[], max_tokens=8)
    request = fake_openai.requests[1]
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert OPENAI_KEY.encode() not in request.raw


def test_server_errors_retried_then_reported(fake_openai, config):
    fake_openai.status(503)
    fake_openai.reply(completion(text="back"))
    provider = provider_for(fake_openai, config)
    assert provider.complete(system="s", messages=[user_message("go")], tools=[], max_tokens=8).text == "back"
    for _ in range(3):
        fake_openai.status(500)
    with pytest.raises(LLMError, match=r"error 500 after 3 attempts"):
        provider.complete(system="s", messages=[user_message("go")], tools=[], max_tokens=8)


def test_official_endpoint_needs_a_key(config):
    with pytest.raises(LLMError, match="OPENAI_API_KEY is not set"):
        get_provider("openai:gpt-4o", config=config, env={})


def test_cached_rerun_makes_no_request(fake_openai, config, tmp_path):
    fake_openai.reply(completion(text="once"))
    for _ in range(2):
        provider = get_provider(f"openai:m@{fake_openai.url}/v1", config=config, env={}, cache_dir=tmp_path)
        assert provider.complete(system="s", messages=[user_message("go")], tools=[], max_tokens=8).text == "once"
    assert len(fake_openai.requests) == 1
    other_server = dataclasses.replace(config)
    fake_openai.reply(completion(text="other model"))
    provider = get_provider(f"openai:m2@{fake_openai.url}/v1", config=other_server, env={}, cache_dir=tmp_path)
    assert provider.complete(system="s", messages=[user_message("go")], tools=[], max_tokens=8).text == "other model"
