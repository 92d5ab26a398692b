"""A fake OpenAI chat-completions API on 127.0.0.1, driven through the real ``openai`` SDK.

``FakeOpenAI`` answers ``POST /v1/chat/completions`` from a per-test script, as one JSON body or
as a stream of ``data:`` chunks ending in ``[DONE]`` (tool-call arguments split across chunks),
and records every request.
"""

from __future__ import annotations

import json
from typing import Any

from tests.llm.fake_http import Reply, ScriptedServer


def completion(
    *,
    text: str | None = None,
    tool_calls: list[tuple[str, str, str]] | None = None,
    finish_reason: str | None = None,
    model: str = "llama3.1:8b",
    prompt_tokens: int = 50,
    completion_tokens: int = 10,
    cached_tokens: int = 0,
) -> dict[str, Any]:
    """A ``chat.completion`` object; ``tool_calls``: (id, name, JSON arguments string)."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
            for cid, name, args in tool_calls
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "message": message,
                     "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop")}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens,
                  "prompt_tokens_details": {"cached_tokens": cached_tokens}},
    }


def stream_chunks(body: dict[str, Any], *, size: int = 5) -> list[tuple[str | None, str]]:
    """The ``chat.completion.chunk`` events that stream ``body``, then usage, then [DONE]."""
    choice = body["choices"][0]
    message = choice["message"]

    def chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> tuple[None, str]:
        choices = [] if usage is not None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        data = {"id": body["id"], "object": "chat.completion.chunk", "created": body["created"],
                "model": body["model"], "choices": choices}
        if usage is not None:
            data["usage"] = usage
        return None, json.dumps(data)

    events = [chunk({"role": "assistant", "content": ""})]
    text = message.get("content") or ""
    events += [chunk({"content": text[i : i + size]}) for i in range(0, len(text), size)]
    for index, call in enumerate(message.get("tool_calls") or []):
        args = call["function"]["arguments"]
        events.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                             "function": {"name": call["function"]["name"], "arguments": ""}}]}))
        events += [chunk({"tool_calls": [{"index": index, "function": {"arguments": args[i : i + size]}}]})
                   for i in range(0, len(args), size)]
    events.append(chunk({}, finish=choice["finish_reason"]))
    events.append(chunk({}, usage=body["usage"]))
    events.append((None, "[DONE]"))
    return events


class FakeOpenAI(ScriptedServer):
    """``POST /v1/chat/completions``; answers in the form each request asked for."""

    def __init__(self) -> None:
        super().__init__(handles="/v1/chat/completions")

    def reply(self, body: dict[str, Any]) -> None:
        self.queue(Reply(json_body={"__completion__": body}))

    def status(self, code: int, text: str = "error") -> None:
        self.queue(Reply(status=code, json_body={"error": {"message": text, "type": "server_error"}},
                         headers={"retry-after-ms": "1"}))

    def _next_reply(self) -> Reply:
        reply = super()._next_reply()
        body = reply.json_body
        if isinstance(body, dict) and "__completion__" in body:
            last = self.requests[-1].body or {}
            if last.get("stream"):
                return Reply(events=stream_chunks(body["__completion__"]))
            return Reply(json_body=body["__completion__"])
        return reply
