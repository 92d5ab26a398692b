"""The chat transcript: ``.paper2code/chat.jsonl`` in the implementation folder, one JSON object a line.

Every turn appends the user's input and what came of it (the reply, the commit made). A later chat in
the same folder reads it back: it says how many turns came before, and the LLM turn gets the latest
ones as context. The file is private (never committed); a damaged line is skipped, never fatal.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

TRANSCRIPT = Path(".paper2code") / "chat.jsonl"
MAX_TEXT = 20_000  # characters kept per entry


@dataclass
class Entry:
    """One line of the transcript."""

    role: str  # "user" (what was typed) or "assistant" (what paper2code answered)
    text: str
    kind: str = ""  # "command", "intent", "llm", "error"
    commit: str | None = None  # sha of the commit the turn made
    time: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Transcript:
    """Append-only JSON-lines transcript of the chats held in one folder."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / TRANSCRIPT
        self.earlier = self._read()  # entries of previous chats, oldest first
        self.entries: list[Entry] = []  # this chat's entries

    def _read(self) -> list[Entry]:
        if not self.path.is_file():
            return []
        found: list[Entry] = []
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
        for line in lines:
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict) and isinstance(data.get("role"), str) and isinstance(data.get("text"), str):
                names = Entry.__dataclass_fields__
                found.append(Entry(**{k: v for k, v in data.items() if k in names}))
        return found

    def add(self, role: str, text: str, *, kind: str = "", commit: str | None = None) -> Entry:
        """Append one entry (written at once, so a crash loses nothing said before it)."""
        entry = Entry(role=role, text=text[:MAX_TEXT], kind=kind, commit=commit,
                      time=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        self.entries.append(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return entry

    @property
    def all(self) -> list[Entry]:
        return self.earlier + self.entries

    def user_turns(self, *, earlier_only: bool = False) -> int:
        entries = self.earlier if earlier_only else self.all
        return sum(1 for e in entries if e.role == "user")

    def recent(self, n: int = 20) -> list[Entry]:
        """The last ``n`` entries of every chat in this folder, oldest first."""
        return self.all[-n:] if n > 0 else []
