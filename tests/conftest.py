"""Shared fixtures.

``shared_papers``: the third-party papers in ``../shared/papers`` (private test material, never
copied into the repository). Tests that need them skip when the folder is absent, and fail
instead when ``P2C_REQUIRE_SHARED=1`` (CI sets it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"


def _shared_papers_dir() -> Path:
    override = os.environ.get("P2C_SHARED_PAPERS")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "papers"


SHARED_PAPERS = _shared_papers_dir()


def require_shared(*parts: str) -> Path:
    """Path inside ../shared/papers; skip (or fail under P2C_REQUIRE_SHARED=1) when absent."""
    path = SHARED_PAPERS.joinpath(*parts)
    if not path.exists():
        reason = f"shared test papers not available: {path} is absent"
        if os.environ.get("P2C_REQUIRE_SHARED") == "1":
            pytest.fail(reason + " (P2C_REQUIRE_SHARED=1)")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def shared_papers() -> Path:
    return require_shared()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
