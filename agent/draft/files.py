"""Write a generated project to disk deterministically, and recognise folders paper2code generated.

Files are written as UTF-8 with ``\\n`` line endings, in sorted order; the private marker
``.paper2code/generated`` lists them, so that a later generation removes the files it no longer
produces and never touches anything else in the folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tomllib

from agent.errors import UserError

MARKER = Path(".paper2code") / "generated"
MANIFEST = "paper2code.toml"
GENERATOR_PREFIX = "paper2code generate"


def generated_by_us(folder: Path) -> bool:
    """Whether ``folder`` was made by ``paper2code generate`` (its marker, or its manifest says so)."""
    if (folder / MARKER).is_file():
        return True
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return False
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return False
    generator = data.get("tool", {}).get("paper2code", {}).get("generator", "")
    return isinstance(generator, str) and generator.startswith(GENERATOR_PREFIX)


def is_empty(folder: Path) -> bool:
    """Whether ``folder`` is missing or holds nothing (a ``.git`` of its own counts as nothing)."""
    if not folder.exists():
        return True
    return all(child.name == ".git" for child in folder.iterdir())


def _previous(folder: Path) -> list[str]:
    marker = folder / MARKER
    if not marker.is_file():
        return []
    return [line.strip() for line in marker.read_text(encoding="utf-8").splitlines() if line.strip()]


def _safe(folder: Path, relative: str) -> Path:
    path = (folder / relative).resolve()
    if folder.resolve() not in path.parents:
        raise UserError(f"refusing to write {relative!r} outside {folder}")
    return path


def write_files(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (relative path -> text) under ``folder``; returns the written paths, sorted.

    Files of a previous generation that are not in ``files`` are removed (and folders left empty).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for stale in sorted(set(_previous(folder)) - set(files)):
        path = _safe(folder, stale)
        if path.is_file():
            path.unlink()
            parent = path.parent
            while parent != folder.resolve() and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    written = []
    for relative in sorted(files):
        path = _safe(folder, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(files[relative])
        written.append(path)
    marker = folder / MARKER
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("".join(f"{name}\n" for name in sorted(files)), encoding="utf-8")
    return written


def validation_json(report: Any) -> str:
    """A :class:`ValidationReport` as written to validation.json: sorted keys, no machine paths."""
    data = report.to_dict()
    environment = data.get("environment", {})
    environment.pop("scratch", None)
    if environment.get("manifest"):
        environment["manifest"] = Path(str(environment["manifest"])).name
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_validation(folder: Path, report: Any) -> None:
    """Write validation.json for the code now in ``folder`` and list it in the private marker."""
    (folder / "validation.json").write_text(validation_json(report), encoding="utf-8")
    marker = folder / MARKER
    names = set(marker.read_text(encoding="utf-8").split()) if marker.is_file() else set()
    names.add("validation.json")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("".join(f"{n}\n" for n in sorted(names)), encoding="utf-8")
