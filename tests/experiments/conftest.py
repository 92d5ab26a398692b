"""Fixtures of the experiment tests: the toy implementation (tests/experiments/toy.py) and the offline
draft of the bundled tiny_lm example (planned and drafted, not validated: the tests need its files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.experiments.toy import write_toy


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    return write_toy(tmp_path / "toy")


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from agent.draft.project import draft_project
    from agent.ingest import load_paper
    from agent.plan import plan_paper

    paper = load_paper(EXAMPLES / "tiny_lm")
    folder = tmp_path_factory.mktemp("generated") / "tiny_lm"
    draft_project(plan_paper(paper, paper_source=str(EXAMPLES / "tiny_lm")), paper, folder)
    return folder
