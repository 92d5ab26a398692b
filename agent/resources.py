"""Locate the data folders that ship with the package (prompts/, codegen_templates/).

In a source checkout they sit at the top of the repository; in an installed wheel they are the
data packages ``agent.prompts`` and ``agent.codegen_templates`` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_DIR = _PACKAGE_DIR.parent


def data_dir(name: str) -> Path:
    """Return the folder of the shipped data set ``name`` ("prompts" or "codegen_templates")."""
    for candidate in (_PACKAGE_DIR / name, _REPO_DIR / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"paper2code data folder {name!r} not found; is the package installed fully?")


def prompts_dir() -> Path:
    return data_dir("prompts")


def templates_dir() -> Path:
    return data_dir("codegen_templates")
