"""``paper2code eval DIR``: every implementation below DIR validated in parallel; a broken one is named
with its failed check, and the JSON, JUnit and Markdown reports say the same."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from agent.cli import main
from agent.errors import UserError
from agent.evaluate.implementations import find_implementations
from tests.evaluate.helpers import QUICK_CHECKS, write_implementation


def test_find_implementations_stops_at_each_manifest(tmp_path: Path) -> None:
    for name in ("b_impl", "a_impl", "group/c_impl"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "paper2code.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "a_impl" / "nested").mkdir()
    (tmp_path / "a_impl" / "nested" / "paper2code.toml").write_text("")  # inside an implementation: not its own
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "paper2code.toml").write_text("")
    found = [p.relative_to(tmp_path).as_posix() for p in find_implementations(tmp_path)]
    assert found == ["a_impl", "b_impl", "group/c_impl"]
    assert find_implementations(tmp_path / "b_impl") == [tmp_path / "b_impl"]
    with pytest.raises(UserError, match="not a folder"):
        find_implementations(tmp_path / "missing")


def test_eval_names_the_broken_implementation_and_its_check(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "generated"
    write_implementation(root, "good_norm")
    write_implementation(root, "broken_norm", broken=True)
    bad = root / "bad_manifest"
    bad.mkdir()
    (bad / "paper2code.toml").write_text("[project\nname = ")
    out = tmp_path / "reports"
    rc = main(["eval", str(root), "--checks", ",".join(QUICK_CHECKS), "--jobs", "2", "--json", str(out / "eval.json"),
               "--junit", str(out / "eval.xml"), "--md", str(out / "eval.md")])
    captured = capsys.readouterr()
    assert rc == 1
    failed = [line for line in captured.err.splitlines() if line.startswith("FAILED")]
    assert any("broken_norm" in line and "norm/reference fail" in line for line in failed), failed
    assert any("bad_manifest" in line and "could not validate" in line for line in failed), failed
    assert not any("good_norm" in line for line in failed)
    assert "1/3 implementations pass" in captured.out

    data = json.loads((out / "eval.json").read_text())
    status = {i["path"]: i["status"] for i in data["implementations"]}
    assert status == {"bad_manifest": "error", "broken_norm": "fail", "good_norm": "pass"}
    assert data["passed"] is False and data["jobs"] == 2
    good = next(i for i in data["implementations"] if i["path"] == "good_norm")
    assert {c["name"] for c in good["report"]["checks"]} == {"import", *QUICK_CHECKS}

    suites = ET.parse(out / "eval.xml").getroot().findall("testsuite")
    by_name = {s.get("name"): s for s in suites}
    assert by_name["paper2code.eval.broken_norm"].get("failures") == "1"
    assert by_name["paper2code.eval.good_norm"].get("failures") == "0"
    assert by_name["paper2code.eval.bad_manifest"].get("errors") == "1"
    failure = by_name["paper2code.eval.broken_norm"].find("testcase[@name='reference']/failure")
    assert failure is not None and "differs" in failure.get("message", "")

    md = (out / "eval.md").read_text()
    assert "❌ failed" in md and "| broken_norm |" in md and "norm/reference" in md and "### Failures" in md


def test_eval_of_no_implementations_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "agent", "eval", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"paper2code: error: {tmp_path}: no implementations below it "
                                                "(folders with paper2code.toml)"]
    proc = subprocess.run([sys.executable, "-m", "agent", "eval", str(tmp_path), "--stages", "plan"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--stages applies to a suite" in proc.stderr


def test_committed_generated_implementation_broken_is_named(tmp_path: Path, repo_root: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Acceptance: breaking one file of a committed generated implementation makes eval exit 1, naming it."""
    found = find_implementations(repo_root / "generated") if any((repo_root / "generated").glob("*/paper2code.toml")) \
        else []
    if not found:
        pytest.skip("generated/ holds no implementation yet")
    copy = tmp_path / "generated" / found[0].name
    shutil.copytree(found[0], copy, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    model = next(p for p in copy.glob("*/model.py"))
    model.write_text(model.read_text() + "\nraise ImportError('broken on purpose')\n")
    rc = main(["eval", str(tmp_path / "generated"), "--checks", "shapes"])
    err = capsys.readouterr().err
    assert rc == 1
    assert any(line.startswith("FAILED") and found[0].name in line and "/import" in line for line in err.splitlines())
