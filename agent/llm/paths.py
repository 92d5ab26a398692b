"""Files a model names are confined to the output folder.

:func:`confine` refuses absolute paths, drive letters, ``..``, NUL bytes, paths into ``.git`` or
paper2code's private ``.paper2code`` folder, and any path that resolves (through symlinks) to a
place outside the root.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from agent.errors import UserError

PRIVATE_DIRS = (".git", ".paper2code")


class UnsafePath(UserError):
    """A path named by a model (or a user) points outside the output folder or into a private one."""


def confine(root: str | Path, relpath: str) -> Path:
    """Return the absolute path of ``relpath`` inside ``root``, or raise :class:`UnsafePath`.

    Args:
        root: the output folder (must exist).
        relpath: a relative path with ``/`` separators, as a model writes it.
    """
    if not isinstance(relpath, str) or not relpath.strip():
        raise UnsafePath("empty path")
    if "\x00" in relpath:
        raise UnsafePath(f"{relpath!r}: NUL byte in path")
    text = relpath.strip().replace("\\", "/")
    if text.startswith("/") or (len(text) >= 2 and text[1] == ":") or text.startswith("~"):
        raise UnsafePath(f"{relpath!r}: absolute paths are refused; give a path relative to the output folder")
    parts = [p for p in PurePosixPath(text).parts if p not in ("", ".")]
    if not parts:
        raise UnsafePath(f"{relpath!r}: names the output folder itself, not a file")
    if ".." in parts:
        raise UnsafePath(f"{relpath!r}: '..' is refused; paths stay inside the output folder")
    if parts[0] in PRIVATE_DIRS:
        raise UnsafePath(f"{relpath!r}: {parts[0]}/ is private to paper2code and git")
    base = Path(root).resolve(strict=True)
    target = base.joinpath(*parts)
    resolved = target.resolve(strict=False)
    if resolved == base or not resolved.is_relative_to(base):
        raise UnsafePath(f"{relpath!r}: resolves outside the output folder (through a symlink)")
    if resolved.relative_to(base).parts[0] in PRIVATE_DIRS:
        raise UnsafePath(f"{relpath!r}: resolves into a folder private to paper2code and git")
    return resolved
