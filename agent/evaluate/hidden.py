"""Run a case's hidden tests (pytest files the generator never saw) against a generated implementation,
in the sandbox, on a scratch copy; count what passed from pytest's JUnit XML."""

from __future__ import annotations

import shutil
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from agent.evaluate.sandboxed import python_command, run_sandboxed

HIDDEN_DIR = "_p2c_hidden_tests"
_COPY_SKIP = {".git", "__pycache__", ".paper2code", "lightning_logs", ".pytest_cache", HIDDEN_DIR}
_INI = "[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings =\n    ignore::DeprecationWarning\n"


@dataclass
class HiddenOutcome:
    passed: int
    total: int
    failures: list[str] = field(default_factory=list)  # "test_file.py::test_name: first line of the error"
    seconds: float = 0.0
    output: str = ""


def run_hidden_tests(project: str | Path, tests: list[str | Path], *, timeout_s: float = 600.0,
                     memory_mb: int = 4096) -> HiddenOutcome:
    """Run ``tests`` with pytest against the implementation in ``project``.

    A test file that cannot even be collected (the package does not import) counts as one failed
    test; a run killed at ``timeout_s`` fails every test it did not report.
    """
    project = Path(project)
    run_dir = Path(tempfile.mkdtemp(prefix="p2c-hidden-"))
    scratch = run_dir / "work"
    try:
        shutil.copytree(project, scratch, symlinks=True, ignore=lambda _d, names: {n for n in names
                                                                                    if n in _COPY_SKIP})
        hidden = scratch / HIDDEN_DIR
        hidden.mkdir()
        conftest = Path(__file__).with_name("hidden_conftest.py")
        shutil.copyfile(conftest, hidden / "conftest.py")
        (hidden / "pytest.ini").write_text(_INI, encoding="utf-8")
        for test in tests:
            shutil.copyfile(test, hidden / Path(test).name)
        report = hidden / "report.xml"
        argv = python_command("-m", "pytest", "-q", "--continue-on-collection-errors", "-c", f"{HIDDEN_DIR}/pytest.ini",
                              "--rootdir", HIDDEN_DIR,
                              f"--junitxml={HIDDEN_DIR}/report.xml", "-p", "no:cacheprovider", HIDDEN_DIR)
        result = run_sandboxed(argv, scratch, timeout_s=timeout_s, memory_mb=memory_mb)
        outcome = _read_junit(report, expected_files=[Path(t).name for t in tests])
        outcome.seconds = result.seconds
        outcome.output = result.output
        if result.timed_out:
            outcome.failures.append(f"the hidden tests were killed after {timeout_s:.0f}s")
            outcome.total = max(outcome.total, len(tests), 1)
        elif outcome.total == 0:
            tail = " | ".join(result.output.strip().splitlines()[-3:])
            outcome.failures.append(f"pytest ran no test (exit code {result.returncode}): {tail[:300]}")
            outcome.total = max(1, len(tests))
        return outcome
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _read_junit(path: Path, expected_files: list[str]) -> HiddenOutcome:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return HiddenOutcome(0, 0)
    passed = total = 0
    failures: list[str] = []
    for case in root.iter("testcase"):
        total += 1
        problem = next((case.find(t) for t in ("failure", "error", "skipped") if case.find(t) is not None), None)
        if problem is None:
            passed += 1
            continue
        name = f"{case.get('classname', '')}::{case.get('name', '')}".removeprefix(f"{HIDDEN_DIR}.")
        lines = (problem.get("message") or problem.text or problem.tag).strip().splitlines() or [problem.tag]
        message = " ".join(lines[0].split())  # the first line: later ones carry object addresses
        failures.append(f"{name}: {'skipped: ' if problem.tag == 'skipped' else ''}{message[:300]}")
    return HiddenOutcome(passed, total, failures)
