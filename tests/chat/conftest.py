"""Fixtures of the chat tests: one project generated offline from "Attention Is All You Need" per test
session (rendered and committed, not validated: validation is what the tests exercise), copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import require_shared


@pytest.fixture(scope="session")
def generated_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from agent.draft.project import draft_project
    from agent.ingest import load_paper
    from agent.plan import plan_paper
    from agent.repo import GitRepo

    paper = load_paper(require_shared("transformer", "ms.tex"))
    plan = plan_paper(paper)
    folder = tmp_path_factory.mktemp("chat") / "transformer"
    draft_project(plan, paper, folder)
    GitRepo(folder).commit_all("Generate attention_is_all_you_need from ms.tex (offline)")
    return folder


@pytest.fixture
def project(generated_project: Path, tmp_path: Path) -> Path:
    """A private copy (git history included) of the generated project."""
    folder = tmp_path / "transformer"
    shutil.copytree(generated_project, folder, symlinks=True)
    return folder
