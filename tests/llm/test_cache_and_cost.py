"""Response cache keys and storage; prices, the usage ledger and the cost limit."""

from __future__ import annotations

import json

import pytest

from agent.errors import LLMError
from agent.llm.base import user_message
from agent.llm.cache import CachingProvider, ResponseCache, default_cache_dir, request_key
from agent.llm.cost import MeteredProvider, UsageLedger, cost_usd, price_for
from agent.llm.scripted import ScriptedProvider
from agent.types import PaperBlock, ToolSpec, Usage

TOOL = ToolSpec("read_file", "Read a file.", {"type": "object"})


def key(**changes):
    request = {"system": "s", "messages": [user_message("go")], "tools": [TOOL], "max_tokens": 100,
               "paper": PaperBlock(text="paper")}
    request.update(changes)
    return request_key({"provider": "anthropic", "model": "m"}, **request)


def test_key_depends_on_every_part_of_the_request(tmp_path):
    base = key()
    assert base == key()
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(b"%PDF one")
    variants = [key(system="t"), key(messages=[user_message("stop")]), key(tools=[]), key(max_tokens=99),
                key(paper=None), key(paper=PaperBlock(text="paper", pdf_path=str(pdf))),
                request_key({"provider": "anthropic", "model": "other"}, system="s", messages=[user_message("go")],
                            tools=[TOOL], max_tokens=100, paper=PaperBlock(text="paper"))]
    assert len({base, *variants}) == len(variants) + 1
    with_pdf = key(paper=PaperBlock(text="paper", pdf_path=str(pdf)))
    pdf.write_bytes(b"%PDF two")  # same path, new bytes: a new key
    assert key(paper=PaperBlock(text="paper", pdf_path=str(pdf))) != with_pdf


def script(tmp_path, responses):
    path = tmp_path / "script.json"
    path.write_text(json.dumps(responses))
    return ScriptedProvider(path)


def test_cache_hit_skips_the_provider_and_costs_nothing(tmp_path):
    inner = script(tmp_path, [{"text": "answer", "tool_calls": [{"name": "read_file", "arguments": {"path": "x"}}],
                               "usage": {"input_tokens": 10, "output_tokens": 5, "cost_usd": 0.5}}])
    cache = ResponseCache(default_cache_dir(tmp_path / "out"))
    first = CachingProvider(inner, cache).complete(system="s", messages=[user_message("go")], tools=[TOOL],
                                                   max_tokens=10)
    second = CachingProvider(inner, cache).complete(system="s", messages=[user_message("go")], tools=[TOOL],
                                                    max_tokens=10)
    assert inner.remaining == 0 and len(inner.requests) == 1  # the second call never reached the provider
    assert second.cached and not first.cached and second.usage == Usage()
    assert second.text == first.text and second.tool_calls == first.tool_calls
    assert len(cache) == 1 and cache.directory == tmp_path / "out" / ".paper2code" / "cache"


def test_corrupt_entry_is_a_miss(tmp_path):
    cache = ResponseCache(tmp_path)
    path = tmp_path / "ab" / ("ab" + "0" * 62 + ".json")
    path.parent.mkdir()
    path.write_text("{ truncated")
    assert cache.get("ab" + "0" * 62) is None


def test_prices_by_prefix_override_and_unknown():
    assert price_for("claude-sonnet-4-6") == (3.0, 15.0, 0.3, 3.75)
    assert price_for("claude-opus-4-1-20250805")[0] == 15.0 and price_for("claude-opus-4-6")[0] == 5.0
    assert price_for("gpt-4o-mini-2024-07-18")[0] == 0.15 and price_for("gpt-4o")[0] == 2.5
    assert price_for("llama3.1:8b") is None
    assert price_for("llama3.1:8b", {"llama3.1:8b": [1.0, 2.0, 0.0, 0.0]}) == (1.0, 2.0, 0.0, 0.0)
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=2_000_000,
                  cache_write_tokens=400_000)
    assert cost_usd("claude-sonnet-4-6", usage) == pytest.approx(3.0 + 1.5 + 0.6 + 1.5)
    assert cost_usd("llama3.1:8b", usage) == 0.0


def test_ledger_totals_save_load_and_summary(tmp_path):
    ledger = UsageLedger()
    provider = MeteredProvider(script(tmp_path, [
        {"text": "a", "usage": {"input_tokens": 100, "output_tokens": 10, "cost_usd": 0.25}},
        {"text": "b", "usage": {"input_tokens": 200, "output_tokens": 20, "cache_read_tokens": 50, "cost_usd": 0.5}},
    ]), ledger, max_cost_usd=10.0)
    provider.label = "draft"
    for _ in range(2):
        provider.complete(system="s", messages=[user_message("go")], tools=[], max_tokens=10)
    total = ledger.total
    assert (total.input_tokens, total.output_tokens, total.cache_read_tokens, total.cost_usd) == (300, 30, 50, 0.75)
    saved = ledger.save(tmp_path / "out" / "usage.json")
    data = json.loads(saved.read_text())
    assert data["total"]["calls"] == 2 and data["calls"][0]["label"] == "draft"
    assert data["unpriced_models"] == ["scripted"]
    assert UsageLedger.load(saved).to_dict() == ledger.to_dict()
    summary = ledger.summary()
    assert "total" in summary and "0.7500" in summary and "2 calls, 0 cached" in summary


def test_cost_limit_stops_the_run(tmp_path):
    ledger = UsageLedger()
    provider = MeteredProvider(script(tmp_path, [{"text": "x", "usage": {"cost_usd": 1.5}}] * 3), ledger,
                               max_cost_usd=2.0)
    for _ in range(2):
        provider.complete(system="s", messages=[user_message("go")], tools=[], max_tokens=10)
    with pytest.raises(LLMError, match=r"cost limit reached: \$3.00 spent of max_cost_usd \$2.00"):
        provider.complete(system="s", messages=[user_message("go")], tools=[], max_tokens=10)
