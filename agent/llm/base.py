"""The provider interface and the neutral message format every provider converts from.

Messages are Anthropic-like dicts, ``{"role": "user" | "assistant", "content": str | [block]}``,
with blocks::

    {"type": "text", "text": "..."}
    {"type": "tool_use", "id": "...", "name": "...", "input": {...}}          # assistant only
    {"type": "tool_result", "tool_use_id": "...", "content": "...", "is_error": false}  # user only
    {"type": "document", "path": "paper.pdf", "title": "..."}                 # user only; a PDF

The paper itself is not a message: it is passed to :meth:`LLMProvider.complete` as a
:class:`agent.types.PaperBlock`, and each provider places it (inside an untrusted-data block, marked
for prompt caching) at the head of the first user message. A loop drives a provider like this::

    messages = [user_message(task)]
    while True:
        response = provider.complete(system=system, messages=messages, tools=tools,
                                     max_tokens=config.max_tokens, paper=paper)
        messages.append(assistant_message(response))
        if not response.tool_calls:
            break
        messages.append(tool_results_message([run_tool(call) for call in response.tool_calls]))
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable

from agent.types import LLMResponse, PaperBlock, ToolCall, ToolSpec

STOP_REASONS = ("end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal")


@runtime_checkable
class LLMProvider(Protocol):
    """A chat model that can call tools. Implementations: anthropic, openai, scripted."""

    name: str
    model: str

    def identity(self) -> dict[str, Any]:
        """What, besides the request, decides the response (provider, model, endpoint, sampling
        parameters); part of the response-cache key. Never holds a secret."""
        ...

    def complete(
        self,
        *,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[ToolSpec],
        max_tokens: int,
        paper: PaperBlock | None = None,
    ) -> LLMResponse:
        """One model turn.

        Raises:
            agent.errors.LLMError: the provider failed once retries were spent (one-line message).
        """
        ...


def user_message(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def assistant_message(response: LLMResponse) -> dict[str, Any]:
    """The assistant turn to append to the conversation after ``response``.

    A tool call whose arguments were not a JSON object is echoed with empty input; its tool result
    should carry the parse error back to the model.
    """
    content: list[dict[str, Any]] = []
    if response.text:
        content.append({"type": "text", "text": response.text})
    for call in response.tool_calls:
        content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments or {}})
    if not content:
        content.append({"type": "text", "text": "(no output)"})
    return {"role": "assistant", "content": content}


def tool_result(call_id: str, content: str, *, is_error: bool = False) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": content, "is_error": is_error}


def tool_results_message(results: list[dict[str, Any]], text: str | None = None) -> dict[str, Any]:
    """A user turn answering tool calls (results first, as both APIs require), then optional text."""
    content = list(results)
    if text:
        content.append({"type": "text", "text": text})
    return {"role": "user", "content": content}


def parse_arguments(raw: str) -> tuple[dict[str, Any] | None, str | None]:
    """Parse a model's tool arguments: (arguments, None), or (None, why) when they are not a JSON
    object. Empty input means no arguments."""
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, f"tool arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return None, f"tool arguments must be a JSON object, got {type(value).__name__}"
    return value, None


def make_tool_call(call_id: str, name: str, raw: str) -> ToolCall:
    arguments, error = parse_arguments(raw)
    return ToolCall(id=call_id, name=name, arguments=arguments, raw_arguments=raw, error=error)


def blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The content blocks of a neutral message (a plain string becomes one text block)."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise ValueError(f"message content must be a string or a list of blocks, got {type(content).__name__}")
    return content


def check_messages(messages: list[dict[str, Any]]) -> None:
    """Raise ValueError when ``messages`` break the neutral format (a bug in the caller)."""
    allowed = {"user": {"text", "tool_result", "document"}, "assistant": {"text", "tool_use"}}
    if not messages or messages[0].get("role") != "user":
        raise ValueError("a conversation starts with a user message")
    for i, message in enumerate(messages):
        role = message.get("role")
        if role not in allowed:
            raise ValueError(f"message {i}: role must be 'user' or 'assistant', got {role!r}")
        for block in blocks(message):
            kind = block.get("type") if isinstance(block, dict) else None
            if kind not in allowed[role]:
                raise ValueError(f"message {i}: a {role} message cannot hold a {kind!r} block")


class BrokenStream(Exception):
    """A streamed response that broke off (transport error, error event, no final event): retried."""

    def __init__(self, cause: BaseException | str) -> None:
        super().__init__(str(cause))
        self.cause = cause


def transport_errors(sdk_error: type[BaseException]) -> tuple[type[BaseException], ...]:
    """What a broken stream raises: the SDK's ``APIError`` and the HTTP library's transport errors."""
    errors: list[type[BaseException]] = [sdk_error]
    for module_name in ("httpx2", "httpx"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        errors.append(module.TransportError)
    return tuple(errors)
