"""LLM access: providers behind one Protocol, looked up by ``--llm`` spec, with an on-disk
response cache, cost accounting, untrusted-data blocks for paper text and path confinement.

Typical use by an agent loop::

    config = load_config(out_dir, extra_files=[out_dir / "paper2code.toml"])
    ledger = UsageLedger()
    provider = get_provider(spec, config=config, cache_dir=default_cache_dir(out_dir, config.cache_dir),
                            ledger=ledger)          # None for "offline"
    response = provider.complete(system=render("system", ...), messages=[user_message(task)],
                                 tools=tools, max_tokens=config.max_tokens, paper=paper_block)
    ...
    ledger.save(usage_path(out_dir)); print(ledger.summary())

SDKs are imported only when a provider is built, so importing this package stays cheap.
"""

from agent.llm.base import (
    LLMProvider,
    assistant_message,
    tool_result,
    tool_results_message,
    user_message,
)
from agent.llm.cache import CachingProvider, ResponseCache, default_cache_dir
from agent.llm.config import LLMConfig, default_spec, load_config
from agent.llm.cost import MeteredProvider, UsageLedger, usage_path
from agent.llm.registry import get_provider, parse_spec, register

__all__ = [
    "CachingProvider",
    "LLMConfig",
    "LLMProvider",
    "MeteredProvider",
    "ResponseCache",
    "UsageLedger",
    "assistant_message",
    "default_cache_dir",
    "default_spec",
    "get_provider",
    "load_config",
    "parse_spec",
    "register",
    "tool_result",
    "tool_results_message",
    "usage_path",
    "user_message",
]
