"""A fake Anthropic Messages API on 127.0.0.1, driven through the real ``anthropic`` SDK.

``FakeAnthropic`` answers ``POST /v1/messages`` from a per-test script: a message as JSON, the
same message as a server-sent-event stream (message_start, content_block_start/delta with
text_delta and input_json_delta, content_block_stop, message_delta with usage, message_stop),
error statuses such as 529 or 429 with retry-after, a stream cut off mid-way, or an ``error``
event inside a stream. Every request is recorded (headers and body).
"""

from __future__ import annotations

import json
from typing import Any

from tests.llm.fake_http import Reply, ScriptedServer

# The SDK honours retry-after-ms, so errors carry a tiny one and retry tests stay fast.
FAST_RETRY = {"retry-after-ms": "1"}


def message(
    *,
    text: str = "",
    tool_uses: list[tuple[str, str, Any]] | None = None,
    stop_reason: str | None = None,
    model: str = "claude-sonnet-4-6",
    input_tokens: int = 100,
    output_tokens: int = 20,
    cache_read: int = 0,
    cache_write: int = 0,
) -> dict[str, Any]:
    """An Anthropic ``Message`` object. ``tool_uses``: (id, name, input) where input is a dict,
    or a str sent verbatim as the tool's JSON (to test invalid JSON from a model)."""
    content: list[dict[str, Any]] = []
    if text:
        content.append({"type": "text", "text": text})
    for tool_id, name, tool_input in tool_uses or []:
        content.append({"type": "tool_use", "id": tool_id, "name": name, "input": tool_input})
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason or ("tool_use" if tool_uses else "end_turn"),
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": cache_read,
            "cache_creation_input_tokens": cache_write,
        },
    }


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def sse_events(msg: dict[str, Any], *, chunk: int = 7) -> list[tuple[str | None, str]]:
    """The server-sent events that stream ``msg``, text and tool JSON cut into small deltas."""
    usage = msg["usage"]
    start = dict(msg, content=[], stop_reason=None)
    start["usage"] = dict(usage, output_tokens=1)
    events: list[tuple[str | None, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
    events.append(("ping", {"type": "ping"}))
    for index, block in enumerate(msg["content"]):
        if block["type"] == "text":
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "text", "text": ""}}))
            for piece in _chunks(block["text"], chunk):
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "text_delta", "text": piece}}))
        else:
            raw = block["input"] if isinstance(block["input"], str) else json.dumps(block["input"])
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "tool_use", "id": block["id"],
                                                                     "name": block["name"], "input": {}}}))
            for piece in _chunks(raw, chunk):
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "input_json_delta",
                                                                 "partial_json": piece}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
                                     "usage": {"output_tokens": usage["output_tokens"]}}))
    events.append(("message_stop", {"type": "message_stop"}))
    return [(name, json.dumps(data)) for name, data in events]


def error_body(kind: str, text: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": text}}


class FakeAnthropic(ScriptedServer):
    """``POST /v1/messages``; answers each request in the form it asked for (stream or not)."""

    def __init__(self) -> None:
        super().__init__(handles="/v1/messages")

    def reply(self, msg: dict[str, Any]) -> None:
        """Answer the next request with ``msg`` (marked; streamed if the request streams)."""
        self.queue(Reply(json_body={"__message__": msg}))

    def overloaded(self, times: int = 1) -> None:
        for _ in range(times):
            self.queue(Reply(status=529, json_body=error_body("overloaded_error", "Overloaded"), headers=FAST_RETRY))

    def rate_limited(self, retry_after: str) -> None:
        self.queue(Reply(status=429, json_body=error_body("rate_limit_error", "slow down"),
                         headers={"retry-after": retry_after}))

    def status(self, code: int, kind: str, text: str) -> None:
        self.queue(Reply(status=code, json_body=error_body(kind, text), headers=FAST_RETRY))

    def drop_stream(self, msg: dict[str, Any], after: int) -> None:
        """Stream ``msg`` but cut the connection after ``after`` events."""
        self.queue(Reply(events=sse_events(msg), drop_after=after))

    def stream_error(self, msg: dict[str, Any], after: int, kind: str = "overloaded_error") -> None:
        """Stream ``after`` events of ``msg``, then an ``error`` event (as the API does mid-stream)."""
        events = sse_events(msg)[:after] + [("error", json.dumps(error_body(kind, "Overloaded")))]
        self.queue(Reply(events=events))

    def _next_reply(self) -> Reply:
        reply = super()._next_reply()
        body = reply.json_body
        if isinstance(body, dict) and "__message__" in body:
            msg = body["__message__"]
            last = self.requests[-1].body or {}
            if last.get("stream"):
                return Reply(events=sse_events(msg))
            return Reply(json_body=msg)
        return reply
