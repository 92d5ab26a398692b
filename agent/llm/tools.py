"""File tools a model uses on the output folder: list, read, write, and SEARCH/REPLACE edits.

:class:`FileTools` gives the tool specs to send and runs a :class:`agent.types.ToolCall` into a
``tool_result`` block. Nothing a model sends raises: bad arguments, unsafe paths, missing files and
failed edits come back as ``is_error`` results the model can act on. Every path is confined to the
root (:func:`agent.llm.paths.confine`). A loop adds its own tools (run validation, submit) beside
these and dispatches on ``call.name in tools.names``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agent.draft.edits import apply_edits, parse_edit_blocks
from agent.errors import UserError
from agent.llm.base import tool_result
from agent.llm.paths import PRIVATE_DIRS, confine
from agent.types import ToolCall, ToolSpec

_PATH = {"type": "string", "description": "Path relative to the project folder, e.g. pkg/model.py"}


class FileTools:
    """The file tools on one output folder; ``changed`` lists what the model wrote, in order."""

    def __init__(self, root: str | Path, *, max_read_chars: int = 60_000, max_write_bytes: int = 1_000_000) -> None:
        self.root = Path(root).resolve()
        self.max_read_chars = max_read_chars
        self.max_write_bytes = max_write_bytes
        self.changed: list[str] = []

    def specs(self) -> list[ToolSpec]:
        return [
            ToolSpec("list_files", "List the project's files.", {"type": "object", "properties": {}}),
            ToolSpec("read_file", "Read one file of the project.",
                     {"type": "object", "properties": {"path": _PATH}, "required": ["path"]}),
            ToolSpec("write_file", "Create or overwrite a whole file.",
                     {"type": "object", "properties": {"path": _PATH, "content": {"type": "string"}},
                      "required": ["path", "content"]}),
            ToolSpec("edit_files", "Change files with SEARCH/REPLACE blocks (the edit format in the prompt).",
                     {"type": "object", "properties": {"blocks": {"type": "string"}}, "required": ["blocks"]}),
        ]

    @property
    def names(self) -> set[str]:
        return {spec.name for spec in self.specs()}

    def run(self, call: ToolCall) -> dict[str, Any]:
        """Run ``call``; returns a ``tool_result`` block (``is_error`` set when it failed)."""
        if call.error is not None or call.arguments is None:
            return tool_result(call.id, f"{call.name}: {call.error or 'no arguments'}", is_error=True)
        handler = getattr(self, f"_{call.name}", None)
        if call.name not in self.names or handler is None:
            return tool_result(call.id, f"unknown tool {call.name!r}; available: {sorted(self.names)}", is_error=True)
        try:
            return tool_result(call.id, handler(**call.arguments))
        except TypeError as exc:  # missing or unexpected arguments
            return tool_result(call.id, f"{call.name}: bad arguments: {exc}", is_error=True)
        except UserError as exc:
            return tool_result(call.id, f"{call.name}: {exc}", is_error=True)

    def _list_files(self) -> str:
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if d not in PRIVATE_DIRS and d != "__pycache__")
            for name in sorted(filenames):
                found.append((Path(dirpath) / name).relative_to(self.root).as_posix())
        return "\n".join(found[:500]) or "(no files yet)"

    def _read_file(self, path: str) -> str:
        target = confine(self.root, path)
        if not target.is_file():
            raise UserError(f"{path}: no such file")
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot read as UTF-8 text: {exc}") from None
        if len(text) > self.max_read_chars:
            return text[: self.max_read_chars] + f"\n[... truncated: {len(text)} characters in all]"
        return text

    def _write_file(self, path: str, content: str) -> str:
        if not isinstance(content, str):
            raise UserError("content must be a string")
        data = content.encode("utf-8")
        if len(data) > self.max_write_bytes:
            raise UserError(f"{len(data)} bytes is over the {self.max_write_bytes}-byte limit for one file")
        target = confine(self.root, path)
        if target.is_dir():
            raise UserError(f"{path} is a folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.write")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        self._note(target)
        return f"wrote {path} ({len(data)} bytes)"

    def _edit_files(self, blocks: str) -> str:
        parsed = parse_edit_blocks(blocks)
        if not parsed:
            raise UserError("no SEARCH/REPLACE blocks found")
        changed = apply_edits(self.root, parsed)
        for target in changed:
            self._note(target)
        names = ", ".join(p.relative_to(self.root).as_posix() for p in changed)
        return f"applied {len(parsed)} edit(s) to {names}"

    def _note(self, target: Path) -> None:
        rel = target.relative_to(self.root).as_posix()
        if rel not in self.changed:
            self.changed.append(rel)
