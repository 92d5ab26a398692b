"""Render a changed plan into a folder without losing edits made since it was generated.

The project is rendered twice, from the plan before the change (what the tool wrote, the *base*) and
from the plan after it (*new*). Each file on disk is then updated like a three-way merge: a file
nobody edited takes the new rendering; a file the change does not touch keeps its edits; a file both
changed is merged with ``git merge-file``. When a merge conflicts nothing is written at all.

:class:`Snapshot` keeps the files' previous contents, so a change that fails validation is rolled
back exactly.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.draft.files import MARKER
from agent.errors import UserError


@dataclass
class Snapshot:
    """Contents of files before a change (None = the file did not exist)."""

    folder: Path
    before: dict[str, str | None] = field(default_factory=dict)

    def keep(self, relative: str) -> None:
        if relative not in self.before:
            self.before[relative] = read_text(self.folder / relative)

    def changed(self) -> list[str]:
        """The kept files whose content differs now."""
        return [p for p, text in sorted(self.before.items()) if read_text(self.folder / p) != text]

    def restore(self) -> None:
        """Put every kept file back as it was (deleting the ones that did not exist)."""
        for relative, text in self.before.items():
            path = self.folder / relative
            if text is None:
                path.unlink(missing_ok=True)
                _prune(self.folder, path.parent)
            else:
                write_text(path, text)


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _prune(folder: Path, parent: Path) -> None:
    root = folder.resolve()
    parent = parent.resolve()
    while parent != root and root in parent.parents and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def merge_text(current: str, base: str, new: str, *, name: str) -> str | None:
    """Three-way merge of one file with ``git merge-file``; None when the edits conflict."""
    with tempfile.TemporaryDirectory(prefix="p2c-merge-") as tmp:
        paths = []
        for label, text in (("current", current), ("base", base), ("new", new)):
            path = Path(tmp) / label
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        try:
            done = subprocess.run(["git", "merge-file", "-p", "-L", f"{name} (yours)", "-L", "generated",
                                   "-L", "regenerated", *paths], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UserError(f"git merge-file failed on {name}: {exc}") from None
    if done.returncode < 0 or done.returncode > 127:
        raise UserError(f"git merge-file failed on {name}: {done.stderr.decode(errors='replace').strip()[:160]}")
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8")


def plan_updates(folder: Path, base: dict[str, str], new: dict[str, str],
                 pristine: Callable[[str], bool] | None = None) -> dict[str, str | None]:
    """What to write so ``folder`` goes from rendering ``base`` to rendering ``new``, keeping edits.

    Args:
        folder: the implementation folder.
        base: the rendering of the plan before the change.
        new: the rendering after it.
        pristine: says whether a file holds only what paper2code rendered (no edit by anyone since);
            such a file simply takes the new rendering, even where this paper2code renders it
            differently from the one that wrote it.

    Returns:
        {relative path: new text, or None to delete}, only for files that change.

    Raises:
        UserError: an edit made since the last rendering conflicts with the change (nothing is written).
    """
    updates: dict[str, str | None] = {}
    conflicts: list[str] = []
    for relative in sorted(set(base) | set(new)):
        current = read_text(folder / relative)
        old, fresh = base.get(relative), new.get(relative)
        if old == fresh:
            continue  # the change does not touch this file: keep whatever is there
        if current == fresh:
            continue
        if fresh is None:  # the new plan no longer renders it
            if current == old:
                updates[relative] = None
            continue  # edited since: leave it to the user
        if current is None or current == old or (pristine is not None and pristine(relative)):
            updates[relative] = fresh
            continue
        merged = merge_text(current, old or "", fresh, name=relative)
        if merged is None:
            conflicts.append(relative)
        elif merged != current:
            updates[relative] = merged
    if conflicts:
        raise UserError(f"the change conflicts with edits made since generation in {', '.join(conflicts)} (or a "
                        "newer paper2code renders them differently); nothing was changed: make the change by hand, "
                        "or /undo the edits first")
    return updates


def apply_updates(folder: Path, updates: dict[str, str | None], snapshot: Snapshot) -> list[str]:
    """Write ``updates`` (keeping each file's previous content in ``snapshot``); returns the paths."""
    for relative, text in updates.items():
        snapshot.keep(relative)
        path = folder / relative
        if text is None:
            path.unlink(missing_ok=True)
            _prune(folder, path.parent)
        else:
            write_text(path, text)
    return sorted(updates)


def update_marker(folder: Path, rendered: dict[str, str]) -> None:
    """Record the rendered files in the private marker (so a later ``generate`` knows what it wrote)."""
    marker = folder / MARKER
    previous = set(marker.read_text(encoding="utf-8").split()) if marker.is_file() else set()
    names = set(rendered) | ({"validation.json"} & previous)
    write_text(marker, "".join(f"{n}\n" for n in sorted(names)))
