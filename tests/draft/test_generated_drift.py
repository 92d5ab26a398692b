"""generated/ holds the offline generation of every bundled example; regenerating must give the same bytes.

Fix a failure by regenerating: ``paper2code generate examples/<name> --out generated/<name> --no-commit``.
validation.json is compared by its verdict and the checks it ran (not their timings); the rest byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.draft.project import draft_project
from agent.ingest import load_paper
from agent.plan import plan_paper
from agent.validate import load_manifest, plan_checks
from tests.conftest import EXAMPLES, REPO_ROOT

GENERATED = REPO_ROOT / "generated"
IGNORED = {".git", ".paper2code", "__pycache__", ".pytest_cache", ".ruff_cache", "lightning_logs"}


def _examples() -> list[str]:
    return sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and (p / "main.tex").is_file())


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and not IGNORED & set(p.relative_to(root).parts)}


def test_every_example_is_generated() -> None:
    names = _examples()
    assert names, "examples/ holds no example paper"
    missing = [n for n in names if not (GENERATED / n / "paper2code.toml").is_file()]
    assert not missing, f"not generated: {missing}; run paper2code generate examples/<name> --out generated/<name>"


@pytest.mark.parametrize("name", _examples())
def test_regeneration_gives_the_same_bytes(name: str, tmp_path: Path) -> None:
    committed = GENERATED / name
    if not committed.is_dir():
        pytest.fail(f"generated/{name} is missing")
    paper = load_paper(EXAMPLES / name)
    out = tmp_path / name
    draft_project(plan_paper(paper), paper, out)
    fresh, kept = _files(out), _files(committed) - {"validation.json"}
    assert fresh == kept, f"files differ: only fresh {sorted(fresh - kept)}, only committed {sorted(kept - fresh)}"
    drifted = [f for f in sorted(fresh) if (out / f).read_bytes() != (committed / f).read_bytes()]
    assert not drifted, f"generated/{name} drifted from a fresh generation in {drifted}"


@pytest.mark.parametrize("name", _examples())
def test_committed_validation_passed(name: str) -> None:
    committed = GENERATED / name
    report = json.loads((committed / "validation.json").read_text())
    assert report["passed"] is True, [c for c in report["checks"] if c["status"] not in ("pass", "skip")]
    expected = {(p.name, p.target) for p in plan_checks(load_manifest(committed), None)}
    assert {(c["name"], c["target"]) for c in report["checks"]} == expected, "validation.json is out of date"
