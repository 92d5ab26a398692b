"""--llm specs: parsing, errors, registration, and the wrappers get_provider adds."""

from __future__ import annotations

import pytest

from agent.errors import UserError
from agent.llm import registry
from agent.llm.cache import CachingProvider
from agent.llm.cost import MeteredProvider, UsageLedger
from agent.llm.registry import get_provider, parse_spec
from agent.types import LLMResponse, Usage


@pytest.mark.parametrize("spec", ["", "gpt4", "anthropic:", "openai", "openai:", "scripted:", "offline:x",
                                  "anthropic:claude@http://x", "ollama:llama3", "anthropic:bad model"])
def test_bad_specs_are_one_line_user_errors(spec, config):
    with pytest.raises(UserError) as caught:
        get_provider(spec, config=config, env={})
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("spec, message", [
    ("openai:@http://localhost:1/v1", "name a model"),
    ("openai:llama3@localhost:11434", "must be an http"),
    ("scripted:/nonexistent/responses.json", "no such file"),
])
def test_bad_spec_details(spec, message, config):
    with pytest.raises(UserError, match=message):
        get_provider(spec, config=config, env={})


def test_parse_and_offline(config):
    assert parse_spec("offline") == ("offline", "")
    assert parse_spec("openai:qwen2.5:7b@http://127.0.0.1:8000/v1") == ("openai", "qwen2.5:7b@http://127.0.0.1:8000/v1")
    assert get_provider("offline", config=config) is None


class EchoProvider:
    """A provider registered by a plugin: echoes the last user text."""

    name = "echo"

    def __init__(self, model: str) -> None:
        self.model = model

    def identity(self) -> dict:
        return {"provider": self.name, "model": self.model}

    def complete(self, *, system, messages, tools, max_tokens, paper=None) -> LLMResponse:
        text = messages[-1]["content"][0]["text"]
        return LLMResponse(text=text, tool_calls=[], stop_reason="end_turn", usage=Usage(), model=self.model)


def test_register_a_new_kind_with_cache_and_ledger(config, tmp_path):
    registry.register("echo", lambda rest, cfg, env: EchoProvider(rest or "default"))
    try:
        ledger = UsageLedger()
        provider = get_provider("echo:loud", config=config, cache_dir=tmp_path, ledger=ledger)
        assert isinstance(provider, MeteredProvider) and isinstance(provider.inner, CachingProvider)
        messages = [{"role": "user", "content": [{"type": "text", "text": "hello"}]}]
        assert provider.complete(system="", messages=messages, tools=[], max_tokens=5).text == "hello"
        assert provider.complete(system="", messages=messages, tools=[], max_tokens=5).cached
        assert len(ledger.calls) == 2 and "echo" in registry.kinds()
    finally:
        registry._KINDS.pop("echo")
    with pytest.raises(ValueError):
        registry.register("offline", lambda rest, cfg, env: EchoProvider(rest))
