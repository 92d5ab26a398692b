"""Session-wide validation runs shared by the validate tests (each family is validated once)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from agent.types import CheckResult, ValidationReport
from agent.validate import validate_project
from tests.validate.mutants import FIXTURES, build_module_family

MODULE_CHECKS = ["static", "shapes", "gradcheck", "grad_flow", "finite", "determinism", "batch_independent",
                 "causal", "reference"]


def by_target(report: ValidationReport) -> dict[str, dict[str, CheckResult]]:
    out: dict[str, dict[str, CheckResult]] = defaultdict(dict)
    for check in report.checks:
        out[check.target][check.name] = check
    return out


def _family(tmp_path_factory: pytest.TempPathFactory, family: str):
    root = tmp_path_factory.mktemp(f"{family}-family") / "project"
    mutants = build_module_family(family, root)
    report = validate_project(root, checks=MODULE_CHECKS)
    return mutants, report


@pytest.fixture(scope="session")
def attention_family(tmp_path_factory: pytest.TempPathFactory):
    return _family(tmp_path_factory, "attention")


@pytest.fixture(scope="session")
def norm_family(tmp_path_factory: pytest.TempPathFactory):
    return _family(tmp_path_factory, "norm")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
