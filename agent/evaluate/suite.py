"""Read an evaluation suite: ``evals/<suite>/suite.toml`` and its cases.

Layout::

    evals/offline/
      suite.toml            # [suite] name, description, tolerance, baseline, cases, shared_papers
      baseline.json         # the committed scores (paper2code eval ... --write-baseline)
      cases/<id>/case.toml  # paper, components, [hyperparameters]
      cases/<id>/test_*.py  # hidden tests, run with pytest against the generated package

``case.toml``::

    paper = "../../../../examples/tiny_lm"   # relative to the case folder
    # paper = "shared:transformer/ms.tex"    # inside ../shared/papers: the case is skipped when absent
    description = "..."
    components = ["decoder_only_lm", "rms_norm"]   # catalog names the implementation should use
    hidden_tests = ["test_hidden.py"]              # default: every test_*.py in the case folder
    [hyperparameters]
    d_model = 128
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from agent.errors import UserError
from agent.types import EvalCase, EvalSuite

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SUITE_FILE = "suite.toml"
CASE_FILE = "case.toml"
SHARED_PREFIX = "shared:"
_SUITE_KEYS = {"name", "description", "tolerance", "baseline", "cases", "shared_papers"}
_CASE_KEYS = {"id", "paper", "description", "components", "hidden_tests", "hyperparameters"}


def find_suite(target: str | Path, search: Path | None = None) -> Path | None:
    """The folder of the suite ``target`` names (a folder with suite.toml, or a name under ``evals/``),
    or None when ``target`` is no suite."""
    path = Path(target)
    if (path / SUITE_FILE).is_file():
        return path
    if path.name == SUITE_FILE and path.is_file():
        return path.parent
    named = (search or Path.cwd()) / "evals" / str(target)
    if "/" not in str(target) and (named / SUITE_FILE).is_file():
        return named
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None


def _unknown(path: Path, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise UserError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")


def shared_papers_dir(suite_dir: Path, configured: str | None) -> Path:
    """Where ``shared:`` papers live: $P2C_SHARED_PAPERS, else the suite's ``shared_papers`` (relative to
    the suite folder), else ``../shared/papers`` beside the repository holding ``evals/``."""
    override = os.environ.get("P2C_SHARED_PAPERS")
    if override:
        return Path(override)
    if configured:
        return (suite_dir / configured).resolve()
    return (suite_dir.parent.parent.parent / "shared" / "papers").resolve()


def load_suite(folder: str | Path) -> EvalSuite:
    """Parse ``folder/suite.toml`` and every case under its cases folder.

    Raises:
        UserError: a missing or malformed file, an unknown key, a case with no paper or no expectations.
    """
    folder = Path(folder).resolve()
    path = folder / SUITE_FILE
    if not path.is_file():
        raise UserError(f"{folder}: no {SUITE_FILE} (a suite folder holds suite.toml and its cases)")
    data = _read_toml(path)
    table = data.get("suite", {})
    if not isinstance(table, dict) or set(data) - {"suite"}:
        raise UserError(f"{path}: expected a single [suite] table")
    _unknown(path, table, _SUITE_KEYS)
    tolerance = table.get("tolerance", 0.0)
    if not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1:
        raise UserError(f"{path}: tolerance must be a number in [0, 1), got {tolerance!r}")
    shared = shared_papers_dir(folder, table.get("shared_papers"))
    cases_dir = folder / str(table.get("cases", "cases"))
    if not cases_dir.is_dir():
        raise UserError(f"{path}: the cases folder {cases_dir} does not exist")
    cases = [_load_case(d / CASE_FILE, shared) for d in sorted(cases_dir.iterdir()) if (d / CASE_FILE).is_file()]
    if not cases:
        raise UserError(f"{cases_dir}: no cases (folders holding {CASE_FILE})")
    ids = [c.id for c in cases]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise UserError(f"{cases_dir}: two cases are called {duplicate!r}")
    baseline = table.get("baseline")
    return EvalSuite(
        name=str(table.get("name", folder.name)),
        path=str(folder),
        cases=cases,
        description=str(table.get("description", "")),
        tolerance=float(tolerance),
        baseline=str(folder / baseline) if baseline else None,
    )


def _load_case(path: Path, shared: Path) -> EvalCase:
    data = _read_toml(path)
    _unknown(path, data, _CASE_KEYS)
    folder = path.parent
    case_id = str(data.get("id", folder.name))
    paper = data.get("paper")
    if not isinstance(paper, str) or not paper:
        raise UserError(f"{path}: 'paper' must name the paper input (a path, or shared:FOLDER/FILE)")
    components = data.get("components", [])
    if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
        raise UserError(f"{path}: 'components' must be a list of catalog component names")
    hyperparameters = data.get("hyperparameters", {})
    if not isinstance(hyperparameters, dict):
        raise UserError(f"{path}: [hyperparameters] must be a table of canonical name = value")
    if "hidden_tests" in data:
        names = data["hidden_tests"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise UserError(f"{path}: 'hidden_tests' must be a list of pytest files in the case folder")
        tests = [folder / n for n in names]
        missing = [str(t) for t in tests if not t.is_file()]
        if missing:
            raise UserError(f"{path}: hidden test {missing[0]} does not exist")
    else:
        tests = sorted(folder.glob("test_*.py"))
    if not components and not hyperparameters and not tests:
        raise UserError(f"{path}: a case needs expectations: components, hyperparameters or hidden tests")
    requires_shared = paper.startswith(SHARED_PREFIX)
    resolved = (shared / paper[len(SHARED_PREFIX):]) if requires_shared else (folder / paper).resolve()
    available = resolved.exists()
    reason = ""
    if not available:
        if not requires_shared:
            raise UserError(f"{path}: the paper {resolved} does not exist")
        reason = f"shared paper not available: {resolved} is absent"
    return EvalCase(
        id=case_id,
        paper=str(resolved),
        components=list(components),
        hyperparameters=dict(hyperparameters),
        hidden_tests=[str(t) for t in tests],
        description=str(data.get("description", "")),
        requires_shared=requires_shared,
        available=available,
        skip_reason=reason,
    )
