"""An on-disk response cache: a repeated run replays its responses and costs no tokens.

The key is the SHA-256 of the canonical JSON of the provider's identity (provider, model,
endpoint, sampling parameters), ``max_tokens``, the system prompt, the messages, the tools and the
paper (its text, title, and the SHA-256 of its PDF). API keys are never part of a provider's
identity, so they never reach the key or the files. Each response is one JSON file,
``<dir>/<key[:2]>/<key>.json``, written atomically; an unreadable entry counts as a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from agent.llm.base import LLMProvider
from agent.types import LLMResponse, PaperBlock, ToolCall, ToolSpec, Usage

CACHE_VERSION = 1


def default_cache_dir(out_dir: str | Path, configured: str | None = None) -> Path:
    """``configured`` (``cache_dir`` / ``$P2C_CACHE_DIR``) when set, else ``<out_dir>/.paper2code/cache``."""
    return Path(configured) if configured else Path(out_dir) / ".paper2code" / "cache"


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        return f"unreadable:{exc.__class__.__name__}"
    return digest.hexdigest()


def _normalise(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with each document's path replaced by the hash of its bytes."""
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = [
                dict(block, path=None, sha256=_file_sha256(block["path"]))
                if isinstance(block, dict) and block.get("type") == "document" and block.get("path")
                else block
                for block in content
            ]
        out.append(dict(message, content=content))
    return out


def request_key(
    identity: dict[str, Any],
    *,
    system: str,
    messages: list[dict[str, Any]],
    tools: list[ToolSpec],
    max_tokens: int,
    paper: PaperBlock | None,
) -> str:
    """The cache key of one request."""
    payload = {
        "v": CACHE_VERSION,
        "identity": identity,
        "max_tokens": max_tokens,
        "system": system,
        "messages": _normalise(messages),
        "tools": [t.to_dict() for t in tools],
        "paper": None
        if paper is None
        else {
            "text": paper.text,
            "title": paper.title,
            "pdf_sha256": _file_sha256(paper.pdf_path) if paper.pdf_path else None,
        },
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """Responses on disk under ``directory``, by request key."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> LLMResponse | None:
        """The stored response (``cached=True``, zero usage), or None."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            stored = data["response"]
            calls = [ToolCall(**call) for call in stored["tool_calls"]]
            return LLMResponse(
                text=stored["text"],
                tool_calls=calls,
                stop_reason=stored["stop_reason"],
                usage=Usage(),
                model=stored["model"],
                cached=True,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, response: LLMResponse, *, provider: str) -> Path:
        """Store ``response`` under ``key``; returns the file written."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "key": key,
            "provider": provider,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "response": response.to_dict(),
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*/*.json")) if self.directory.is_dir() else 0


class CachingProvider:
    """Wraps a provider with a :class:`ResponseCache`: a hit makes no request at all."""

    def __init__(self, inner: LLMProvider, cache: ResponseCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.model = inner.model
        self.hits = 0
        self.misses = 0

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def complete(
        self,
        *,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[ToolSpec],
        max_tokens: int,
        paper: PaperBlock | None = None,
    ) -> LLMResponse:
        key = request_key(
            self.inner.identity(), system=system, messages=messages, tools=tools, max_tokens=max_tokens, paper=paper
        )
        hit = self.cache.get(key)
        if hit is not None:
            self.hits += 1
            return hit
        self.misses += 1
        response = self.inner.complete(
            system=system, messages=messages, tools=tools, max_tokens=max_tokens, paper=paper
        )
        if response.stop_reason != "refusal":
            self.cache.put(key, response, provider=self.name)
        return response
