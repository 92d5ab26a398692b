"""The SEARCH/REPLACE edit-block format: how a model changes files (its prompt is
``prompts/edit_format.md.j2``).

A block names its file on the line before it (a code fence between is allowed; a block with no
path reuses the previous block's)::

    pkg/model.py
    <<<<<<< SEARCH
    old lines
    =======
    new lines
    >>>>>>> REPLACE

:func:`apply_edits` finds each SEARCH text exactly, else line by line ignoring trailing
whitespace and a uniform difference in indentation (the replacement is re-indented to match).
A SEARCH that is missing or ambiguous raises :class:`EditError`, and then no file is written.
An empty SEARCH creates a new file. Paths are confined to the root (:func:`agent.llm.paths.confine`).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from agent.errors import UserError
from agent.llm.paths import UnsafePath, confine

_SEARCH = re.compile(r"^<{5,9} ?SEARCH>?\s*$")
_DIVIDER = re.compile(r"^={5,9}\s*$")
_REPLACE = re.compile(r"^>{5,9} ?REPLACE\s*$")
_FENCE = re.compile(r"^(```|~~~)")


class EditError(UserError):
    """An edit block is malformed, or its SEARCH text is not in the file (or is in it twice)."""


@dataclass
class EditBlock:
    path: str
    search: str
    replace: str


def parse_edit_blocks(text: str) -> list[EditBlock]:
    """All SEARCH/REPLACE blocks in a model's reply, in order."""
    lines = text.splitlines(keepends=True)
    found: list[EditBlock] = []
    previous: str | None = None
    i = 0
    while i < len(lines):
        if not _SEARCH.match(lines[i].rstrip("\r\n")):
            i += 1
            continue
        path = _path_before(lines, i) or previous
        if path is None:
            raise EditError(f"line {i + 1}: SEARCH block without a file path on the line before it")
        j = i + 1
        while j < len(lines) and not _DIVIDER.match(lines[j].rstrip("\r\n")):
            if _SEARCH.match(lines[j].rstrip("\r\n")) or _REPLACE.match(lines[j].rstrip("\r\n")):
                raise EditError(f"line {j + 1}: block for {path} (line {i + 1}) lacks its ======= divider")
            j += 1
        if j == len(lines):
            raise EditError(f"line {i + 1}: block for {path} lacks its ======= divider")
        k = j + 1
        while k < len(lines) and not _REPLACE.match(lines[k].rstrip("\r\n")):
            if _SEARCH.match(lines[k].rstrip("\r\n")):
                raise EditError(f"line {k + 1}: block for {path} (line {i + 1}) lacks its >>>>>>> REPLACE line")
            k += 1
        if k == len(lines):
            raise EditError(f"line {i + 1}: block for {path} lacks its >>>>>>> REPLACE line")
        found.append(EditBlock(path, "".join(lines[i + 1 : j]), "".join(lines[j + 1 : k])))
        previous = path
        i = k + 1
    return found


def _path_before(lines: list[str], index: int) -> str | None:
    """The file path written just above a SEARCH line (skipping one code fence), or None."""
    for back in (1, 2):
        if index - back < 0:
            return None
        line = lines[index - back].strip()
        if _FENCE.match(line):
            continue
        candidate = line.strip("`*#: ").strip()
        looks_like_path = ("." in candidate or "/" in candidate) and not candidate.endswith(".")
        if looks_like_path and not any(c.isspace() for c in candidate):
            return candidate
        return None
    return None


def apply_edits(root: str | Path, blocks: list[EditBlock], *, dry_run: bool = False) -> list[Path]:
    """Apply ``blocks`` to files under ``root``, all or nothing.

    Returns:
        The files changed or created, in first-touched order.
    """
    pending: dict[Path, str] = {}
    for number, block in enumerate(blocks, 1):
        where = f"edit {number} ({block.path})"
        try:
            target = confine(root, block.path)
        except UnsafePath as exc:
            raise EditError(f"{where}: {exc}") from None
        content = pending.get(target)
        if content is None and target.is_file():
            try:
                content = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise EditError(f"{where}: cannot read the file: {exc}") from None
        elif content is None and target.exists():
            raise EditError(f"{where}: not a regular file")
        if not block.search.strip():
            if content is not None and content.strip():
                raise EditError(f"{where}: SEARCH is empty but the file exists; quote the lines to replace")
            pending[target] = block.replace
            continue
        if content is None:
            raise EditError(f"{where}: no such file; to create it, leave SEARCH empty")
        pending[target] = replace_once(content, block.search, block.replace, where=where)
    if not dry_run:
        for target, text in pending.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.edit")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
    return list(pending)


def replace_once(content: str, search: str, replace: str, *, where: str = "edit") -> str:
    """``content`` with the single occurrence of ``search`` replaced (exact, then tolerant)."""
    count = content.count(search)
    if count == 1:
        return content.replace(search, replace, 1)
    if count > 1:
        raise EditError(f"{where}: SEARCH matches {count} places; include more lines to make it unique")
    result = _replace_tolerant(content, search, replace, where)
    if result is None:
        raise EditError(f"{where}: SEARCH text not found in the file{_closest(content, search)}")
    return result


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _replace_tolerant(content: str, search: str, replace: str, where: str) -> str | None:
    """Match line by line, ignoring trailing whitespace and a uniform indentation shift."""
    lines = content.splitlines(keepends=True)
    wanted = search.splitlines()
    while wanted and not wanted[0].strip():
        wanted.pop(0)
    while wanted and not wanted[-1].strip():
        wanted.pop()
    if not wanted:
        return None
    matches: list[tuple[int, str, str]] = []  # (start, indent to add, indent to remove)
    for start in range(len(lines) - len(wanted) + 1):
        shift = _shift(lines[start : start + len(wanted)], wanted)
        if shift is not None:
            matches.append((start, *shift))
    if len(matches) > 1:
        raise EditError(f"{where}: SEARCH matches {len(matches)} places (ignoring whitespace); include more lines")
    if not matches:
        return None
    start, add, remove = matches[0]
    new_lines = []
    for line in replace.splitlines():
        if line.strip():
            line = add + (line[len(remove) :] if remove and line.startswith(remove) else line)
        new_lines.append(line.rstrip() + "\n")
    end = start + len(wanted)
    if end == len(lines) and not lines[-1].endswith("\n") and new_lines:
        new_lines[-1] = new_lines[-1].rstrip("\n")
    return "".join(lines[:start] + new_lines + lines[end:])


def _shift(window: list[str], wanted: list[str]) -> tuple[str, str] | None:
    """(indent to add, indent to remove) that turns ``wanted`` into ``window``, or None."""
    shift: tuple[str, str] | None = None
    for have, want in zip(window, wanted):
        have, want = have.rstrip(), want.rstrip()
        if not want.strip():
            if have.strip():
                return None
            continue
        if have.lstrip() != want.lstrip():
            return None
        have_ind, want_ind = _indent(have), _indent(want)
        if have_ind.endswith(want_ind):
            this = (have_ind[: len(have_ind) - len(want_ind)], "")
        elif want_ind.endswith(have_ind):
            this = ("", want_ind[: len(want_ind) - len(have_ind)])
        else:
            return None
        if shift is None:
            shift = this
        elif shift != this:
            return None
    return shift or ("", "")


def _closest(content: str, search: str) -> str:
    """A hint: the lines of ``content`` most like ``search``."""
    lines = content.splitlines()
    wanted = [w for w in search.splitlines() if w.strip()]
    if not lines or not wanted or len(lines) * len(wanted) > 200_000:
        return ""
    size = len(wanted)
    best, best_at = 0.0, 0
    for start in range(max(1, len(lines) - size + 1)):
        ratio = difflib.SequenceMatcher(None, "\n".join(lines[start : start + size]), "\n".join(wanted)).ratio()
        if ratio > best:
            best, best_at = ratio, start
    if best < 0.5:
        return ""
    shown = "\n".join(lines[best_at : best_at + min(size, 8)])
    return f"; the closest lines (from line {best_at + 1}) are:\n{shown}"
