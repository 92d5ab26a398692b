"""OpenAI-compatible chat-completions servers (OpenAI, Ollama, vLLM, LM Studio) through the
official ``openai`` SDK: ``openai:MODEL@BASE_URL``.

The key comes from ``OPENAI_API_KEY``; local servers need none, so a placeholder is sent when it is
unset (OpenAI's own endpoint refuses to start without one). Tools go through function calling;
the neutral messages are converted to chat messages (tool results become ``role: tool``). The
paper is the head of the first user message, inside an untrusted-data block. A PDF is never sent:
these servers read text.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from agent.errors import LLMError
from agent.llm.base import BrokenStream, blocks, check_messages, make_tool_call, transport_errors
from agent.llm.config import LLMConfig
from agent.llm.cost import cost_usd
from agent.llm.untrusted import wrap_untrusted
from agent.types import LLMResponse, PaperBlock, ToolCall, ToolSpec, Usage

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "not-needed-for-local-servers"
STOP_REASONS = {"stop": "end_turn", "tool_calls": "tool_use", "function_call": "tool_use", "length": "max_tokens",
                "content_filter": "refusal"}


class OpenAIProvider:
    """``openai:MODEL@BASE_URL``."""

    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        *,
        config: LLMConfig,
        env: Mapping[str, str] | None = None,
        sleep: Any = time.sleep,
    ) -> None:
        import openai

        env = os.environ if env is None else env
        self.model = model
        self.config = config
        self.base_url = (base_url or env.get("OPENAI_BASE_URL") or OPENAI_BASE_URL).rstrip("/")
        api_key = env.get("OPENAI_API_KEY")
        if not api_key:
            if urlparse(self.base_url).hostname == "api.openai.com":
                raise LLMError("OPENAI_API_KEY is not set: export it, or name a local server: openai:MODEL@URL")
            api_key = PLACEHOLDER_KEY
        self._sleep = sleep
        self._client = openai.OpenAI(
            api_key=api_key, base_url=self.base_url, max_retries=config.max_retries, timeout=config.timeout_s
        )

    def identity(self) -> dict[str, Any]:
        return {"provider": self.name, "model": self.model, "base_url": self.base_url,
                "temperature": self.config.temperature}

    def build_request(
        self,
        *,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[ToolSpec],
        max_tokens: int,
        paper: PaperBlock | None,
    ) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for this turn."""
        check_messages(messages)
        chat: list[dict[str, Any]] = [{"role": "system", "content": system}]
        for i, message in enumerate(messages):
            head = wrap_untrusted(paper.text, kind="paper") if (paper is not None and i == 0) else None
            chat.extend(_convert_message(message, head))
        # OpenAI's own API wants max_completion_tokens (its reasoning models refuse max_tokens);
        # the local servers (Ollama, vLLM, LM Studio) read max_tokens.
        limit_key = "max_completion_tokens" if urlparse(self.base_url).hostname == "api.openai.com" else "max_tokens"
        request: dict[str, Any] = {"model": self.model, "messages": chat, limit_key: max_tokens}
        if tools:
            request["tools"] = [
                {"type": "function",
                 "function": {"name": t.name, "description": t.description, "parameters": t.input_schema}}
                for t in tools
            ]
        if self.config.temperature is not None:
            request["temperature"] = self.config.temperature
        return request

    def complete(
        self,
        *,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[ToolSpec],
        max_tokens: int,
        paper: PaperBlock | None = None,
    ) -> LLMResponse:
        import openai

        request = self.build_request(system=system, messages=messages, tools=tools, max_tokens=max_tokens,
                                     paper=paper)
        if not self.config.stream:
            try:
                completion = self._client.chat.completions.create(**request)
            except openai.APIError as exc:
                raise self._error(exc, self._sdk_attempts(exc)) from None
            return self._from_completion(completion)
        attempts = self.config.stream_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._stream_once(request)
            except BrokenStream as broken:
                if attempt == attempts:
                    raise self._error(broken.cause, attempts) from None
                pause = self.config.retry_backoff_s * 2 ** (attempt - 1)
                log.warning("openai stream broke (%s); retry %d/%d in %.1fs", broken, attempt, attempts - 1, pause)
                self._sleep(pause)
        raise AssertionError("unreachable")

    def _stream_once(self, request: dict[str, Any]) -> LLMResponse:
        import openai

        try:
            stream = self._client.chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True}
            )
        except openai.APIError as exc:
            raise self._error(exc, self._sdk_attempts(exc)) from None
        state = _ChatStreamState()
        try:
            with stream:
                for chunk in stream:
                    state.feed(chunk)
        except transport_errors(openai.APIError) as exc:
            raise BrokenStream(exc) from exc
        if state.finish_reason is None:
            raise BrokenStream("the stream ended without a finish_reason")
        return self._response(state.text, state.tool_calls(), state.finish_reason, state.usage, state.model)

    def _from_completion(self, completion: Any) -> LLMResponse:
        if not completion.choices:
            raise LLMError(f"{self.base_url}: the server returned no choices")
        choice = completion.choices[0]
        message = choice.message
        calls = [
            make_tool_call(c.id, c.function.name, c.function.arguments or "") for c in (message.tool_calls or [])
        ]
        return self._response(message.content or "", calls, choice.finish_reason, _usage(completion.usage),
                              completion.model)

    def _response(
        self, text: str, calls: list[ToolCall], finish: str | None, usage: Usage, model: str | None
    ) -> LLMResponse:
        model = model or self.model
        usage.cost_usd = cost_usd(model, usage, self.config.prices)
        stop = STOP_REASONS.get(finish or "stop", "end_turn")
        if calls and stop == "end_turn":  # some local servers say "stop" after tool calls
            stop = "tool_use"
        return LLMResponse(text=text, tool_calls=calls, stop_reason=stop, usage=usage, model=model)

    def _sdk_attempts(self, exc: BaseException) -> int:
        import openai

        retryable = isinstance(exc, openai.APIConnectionError) or (
            isinstance(exc, openai.APIStatusError) and (exc.status_code in (408, 409, 429) or exc.status_code >= 500)
        )
        return self.config.max_retries + 1 if retryable else 1

    def _error(self, exc: BaseException | str, attempts: int) -> LLMError:
        import openai

        tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        server = f"OpenAI-compatible server {self.base_url}"
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status == 401:
                return LLMError(f"OPENAI_API_KEY rejected by {server} (401)")
            if status == 404:
                return LLMError(f"{server}: model '{self.model}' or endpoint not found (404)")
            if status == 429:
                return LLMError(f"{server}: rate limit (429) {tries}")
            if status >= 500:
                return LLMError(f"{server}: error {status} {tries}")
            detail = " ".join(str(getattr(exc, "message", "") or "").split())[:200]
            return LLMError(f"{server} rejected the request ({status}): {detail}")
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(f"{server}: request timed out {tries}")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"cannot reach the {server} {tries}")
        return LLMError(f"{server}: stream broke {tries}: {' '.join(str(exc).split())[:200]}")






def _convert_message(message: dict[str, Any], head: str | None) -> list[dict[str, Any]]:
    """One neutral message as chat messages (tool results first, each its own ``tool`` message)."""
    texts = [head] if head else []
    out: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for block in blocks(message):
        kind = block["type"]
        if kind == "text":
            texts.append(block["text"])
        elif kind == "tool_result":
            content = block.get("content", "")
            if block.get("is_error"):
                content = f"ERROR: {content}"
            out.append({"role": "tool", "tool_call_id": block["tool_use_id"], "content": content})
        elif kind == "tool_use":
            calls.append({"id": block["id"], "type": "function",
                          "function": {"name": block["name"], "arguments": json.dumps(block.get("input") or {})}})
        elif kind == "document":
            texts.append(f"[document {block.get('title') or block.get('path')} omitted: this server reads text only]")
    if message["role"] == "assistant":
        entry: dict[str, Any] = {"role": "assistant", "content": "\n".join(texts) or None}
        if calls:
            entry["tool_calls"] = calls
        return [entry]
    if texts:
        out.append({"role": "user", "content": "\n\n".join(texts)})
    return out


def _usage(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    prompt = usage.prompt_tokens or 0
    details = getattr(usage, "prompt_tokens_details", None)
    cached = (getattr(details, "cached_tokens", None) or 0) if details is not None else 0
    return Usage(input_tokens=prompt - cached, output_tokens=usage.completion_tokens or 0, cache_read_tokens=cached)


class _ChatStreamState:
    """Accumulates chat-completion chunks: text, tool-call fragments by index, usage."""

    def __init__(self) -> None:
        self.text = ""
        self.model: str | None = None
        self.finish_reason: str | None = None
        self.usage = Usage()
        self._calls: dict[int, dict[str, str]] = {}

    def feed(self, chunk: Any) -> None:
        self.model = chunk.model or self.model
        if getattr(chunk, "usage", None) is not None:
            self.usage = _usage(chunk.usage)
        for choice in chunk.choices or []:
            delta = choice.delta
            if delta is not None:
                self.text += delta.content or ""
                for fragment in delta.tool_calls or []:
                    call = self._calls.setdefault(fragment.index, {"id": "", "name": "", "arguments": ""})
                    call["id"] = fragment.id or call["id"]
                    if fragment.function is not None:
                        call["name"] = call["name"] or fragment.function.name or ""
                        call["arguments"] += fragment.function.arguments or ""
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason

    def tool_calls(self) -> list[ToolCall]:
        return [
            make_tool_call(c["id"] or f"call_{i}", c["name"], c["arguments"])
            for i, c in sorted(self._calls.items())
        ]
