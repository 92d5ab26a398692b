"""Providers looked up by name from an ``--llm`` spec.

Specs: ``offline`` (no model: :func:`get_provider` returns None), ``anthropic[:MODEL]``,
``openai:MODEL@BASE_URL`` (``openai:MODEL`` for OpenAI itself) and ``scripted:FILE``. More kinds
can be added with :func:`register`. Network providers are wrapped with the response cache and,
when a ledger is given, with cost metering.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from agent.errors import UserError
from agent.llm.base import LLMProvider
from agent.llm.config import LLMConfig
from agent.llm.cost import MeteredProvider, UsageLedger

SPEC_FORMS = "offline, anthropic[:MODEL], openai:MODEL@BASE_URL, scripted:FILE"

Factory = Callable[[str, LLMConfig, Mapping[str, str]], LLMProvider]


@dataclass(frozen=True)
class _Kind:
    factory: Factory
    cacheable: bool


_KINDS: dict[str, _Kind] = {}


def register(kind: str, factory: Factory, *, cacheable: bool = True) -> None:
    """Add a provider kind: ``factory(rest, config, env)`` builds it from the text after ``kind:``.

    Args:
        kind: the spec prefix, e.g. "mistral".
        factory: builds the provider; raises UserError for a bad ``rest``.
        cacheable: whether its responses go through the on-disk response cache.
    """
    if not kind.isidentifier() or kind == "offline":
        raise ValueError(f"bad provider kind {kind!r}")
    _KINDS[kind] = _Kind(factory, cacheable)


def kinds() -> list[str]:
    return ["offline", *_KINDS]


def _anthropic(rest: str, config: LLMConfig, env: Mapping[str, str]) -> LLMProvider:
    from agent.llm.anthropic_provider import AnthropicProvider

    return AnthropicProvider(rest or None, config=config, env=env)


def _openai(rest: str, config: LLMConfig, env: Mapping[str, str]) -> LLMProvider:
    from agent.llm.openai_provider import OpenAIProvider

    model, _, base_url = rest.partition("@")
    if not model:
        raise UserError(f"--llm openai:{rest}: name a model, as in openai:MODEL@BASE_URL")
    if base_url:
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise UserError(f"--llm openai:{rest}: BASE_URL must be an http(s) URL such as http://localhost:11434/v1")
    return OpenAIProvider(model, base_url or None, config=config, env=env)


def _scripted(rest: str, config: LLMConfig, env: Mapping[str, str]) -> LLMProvider:
    from agent.llm.scripted import ScriptedProvider

    if not rest:
        raise UserError("--llm scripted:FILE: name the file of recorded responses")
    if not Path(rest).is_file():
        raise UserError(f"--llm scripted:{rest}: no such file")
    return ScriptedProvider(rest)


register("anthropic", _anthropic)
register("openai", _openai)
register("scripted", _scripted, cacheable=False)


def parse_spec(spec: str) -> tuple[str, str]:
    """Split a spec into (kind, rest); raise UserError when the kind is unknown or malformed."""
    text = (spec or "").strip()
    kind, sep, rest = text.partition(":")
    if kind == "offline" and not sep:
        return "offline", ""
    if kind not in _KINDS or (sep and not rest):
        raise UserError(f"--llm {spec!r}: not a provider spec; expected one of: {SPEC_FORMS}")
    if kind in ("anthropic", "openai") and any(c.isspace() for c in rest):
        raise UserError(f"--llm {spec!r}: not a provider spec; expected one of: {SPEC_FORMS}")
    if kind == "anthropic" and "@" in rest:
        raise UserError(f"--llm {spec!r}: anthropic takes no URL; set ANTHROPIC_BASE_URL instead")
    return kind, rest


def get_provider(
    spec: str,
    *,
    config: LLMConfig,
    env: Mapping[str, str] | None = None,
    cache_dir: str | Path | None = None,
    ledger: UsageLedger | None = None,
) -> LLMProvider | None:
    """Build the provider named by ``spec``; None for ``offline``.

    Args:
        spec: an ``--llm`` spec.
        config: LLM settings (model, retries, limits, cache).
        env: environment (default ``os.environ``): API keys and base URLs are read from it.
        cache_dir: the response cache folder; None (or ``config.cache`` off) disables caching.
        ledger: a :class:`agent.llm.cost.UsageLedger` to record calls and enforce max_cost_usd.
    """
    kind, rest = parse_spec(spec)
    if kind == "offline":
        return None
    env = os.environ if env is None else env
    entry = _KINDS[kind]
    provider = entry.factory(rest, config, env)
    if entry.cacheable and config.cache and cache_dir is not None:
        from agent.llm.cache import CachingProvider, ResponseCache

        provider = CachingProvider(provider, ResponseCache(cache_dir))
    if ledger is not None:
        provider = MeteredProvider(provider, ledger, max_cost_usd=config.max_cost_usd, prices=config.prices)
    return provider
