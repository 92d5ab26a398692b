"""``scripted:FILE``: replays recorded responses in order; for tests, demos and offline CI.

The file is JSON or YAML, a list of responses or a mapping with ``responses`` (and optionally
``model``)::

    model: scripted-demo
    responses:
      - text: "Writing the model."
        tool_calls:
          - name: write_file
            arguments: {path: "pkg/model.py", content: "..."}
      - text: "Done."
        expect: "all checks passed"     # optional: the newest user turn must contain this

A tool call may give ``raw_arguments`` (a string, sent as the model's JSON, valid or not) instead
of ``arguments``. ``stop_reason`` and ``usage`` are optional. Asking for more responses than the
file holds raises :class:`agent.errors.LLMError`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from agent.errors import LLMError, UserError
from agent.llm.base import blocks, check_messages, make_tool_call
from agent.types import LLMResponse, PaperBlock, ToolSpec, Usage

_RESPONSE_KEYS = {"text", "tool_calls", "stop_reason", "usage", "expect"}
_CALL_KEYS = {"id", "name", "arguments", "raw_arguments"}


def load_script(path: str | Path) -> tuple[str | None, list[dict[str, Any]]]:
    """Read and check a script file: (model name or None, responses)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"scripted:{path}: cannot read: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # yaml and json raise several types; all mean a malformed file
        raise UserError(f"scripted:{path}: not valid {path.suffix.lstrip('.').upper() or 'JSON'}: "
                        f"{' '.join(str(exc).split())[:160]}") from None
    model = None
    if isinstance(data, dict):
        model = data.get("model")
        data = data.get("responses")
    if not isinstance(data, list) or not data:
        raise UserError(f"scripted:{path}: expected a non-empty list of responses (or a mapping with 'responses')")
    for i, item in enumerate(data, 1):
        _check_response(item, f"scripted:{path}: response {i}")
    return (str(model) if model else None), data


def _check_response(item: Any, where: str) -> None:
    if not isinstance(item, dict):
        raise UserError(f"{where}: expected a mapping with 'text' and/or 'tool_calls'")
    unknown = set(item) - _RESPONSE_KEYS
    if unknown:
        raise UserError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_RESPONSE_KEYS)}")
    if "text" not in item and "tool_calls" not in item:
        raise UserError(f"{where}: needs 'text' and/or 'tool_calls'")
    if not isinstance(item.get("text", ""), str):
        raise UserError(f"{where}: 'text' must be a string")
    calls = item.get("tool_calls", [])
    if not isinstance(calls, list):
        raise UserError(f"{where}: 'tool_calls' must be a list")
    for j, call in enumerate(calls, 1):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str) or set(call) - _CALL_KEYS:
            raise UserError(f"{where}, tool call {j}: expected name plus arguments (a mapping) or raw_arguments")
        if "arguments" in call and not isinstance(call["arguments"], dict):
            raise UserError(f"{where}, tool call {j}: 'arguments' must be a mapping")
        if "raw_arguments" in call and not isinstance(call["raw_arguments"], str):
            raise UserError(f"{where}, tool call {j}: 'raw_arguments' must be a string")
    if "usage" in item and not isinstance(item["usage"], dict):
        raise UserError(f"{where}: 'usage' must be a mapping")


class ScriptedProvider:
    """Replays a script; ``requests`` keeps what each call was asked (for tests and demos)."""

    name = "scripted"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        model, self.responses = load_script(self.path)
        self.model = model or "scripted"
        self.position = 0
        self.requests: list[dict[str, Any]] = []
        self._sha256 = hashlib.sha256(self.path.read_bytes()).hexdigest()

    def identity(self) -> dict[str, Any]:
        return {"provider": self.name, "model": self.model, "script_sha256": self._sha256}

    @property
    def remaining(self) -> int:
        return len(self.responses) - self.position

    def complete(
        self,
        *,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[ToolSpec],
        max_tokens: int,
        paper: PaperBlock | None = None,
    ) -> LLMResponse:
        check_messages(messages)
        self.requests.append({"system": system, "messages": messages, "tools": [t.name for t in tools],
                              "max_tokens": max_tokens, "paper": paper})
        if self.position >= len(self.responses):
            raise LLMError(f"scripted:{self.path}: all {len(self.responses)} responses used; the run asked for more")
        item = self.responses[self.position]
        self.position += 1
        expect = item.get("expect")
        if expect is not None and str(expect) not in _last_user_text(messages):
            raise LLMError(f"scripted:{self.path}: response {self.position} expects the last user turn to "
                           f"contain {str(expect)!r}")
        calls = []
        for j, call in enumerate(item.get("tool_calls", []), 1):
            raw = call["raw_arguments"] if "raw_arguments" in call else json.dumps(call.get("arguments", {}))
            calls.append(make_tool_call(call.get("id") or f"call_{self.position}_{j}", call["name"], raw))
        usage = Usage(**{k: v for k, v in item.get("usage", {}).items() if k in Usage.__dataclass_fields__})
        stop = item.get("stop_reason") or ("tool_use" if calls else "end_turn")
        return LLMResponse(text=item.get("text", ""), tool_calls=calls, stop_reason=stop, usage=usage,
                           model=self.model)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            parts = []
            for block in blocks(message):
                if block.get("type") == "text":
                    parts.append(block.get("text", ""))
                elif block.get("type") == "tool_result":
                    parts.append(str(block.get("content", "")))
            return "\n".join(parts)
    return ""
