"""``paper2code validate`` end to end: exit codes, --json, --junit, bad manifests."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.validate.mutants import FIXTURES


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", "validate", *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def test_pass_json_and_junit(tmp_path: Path) -> None:
    junit = tmp_path / "report.xml"
    out = run(str(FIXTURES / "norm"), "--checks", "shapes,reference,causal", "--json", "--junit", str(junit),
              cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["passed"] is True
    assert [(c["name"], c["status"]) for c in data["checks"]] == [
        ("import", "pass"), ("shapes", "pass"), ("causal", "pass"), ("reference", "pass")]
    assert data["environment"]["torch"] and "sandbox" in data["environment"]
    cases = ET.parse(junit).getroot().find("testsuite").findall("testcase")
    assert len(cases) == 4 and all(c.find("failure") is None for c in cases)


def test_failing_check_exits_1_with_a_table(tmp_path: Path) -> None:
    project = tmp_path / "norm"
    shutil.copytree(FIXTURES / "norm", project)
    model = project / "layer_norm" / "model.py"
    model.write_text(model.read_text().replace("torch.sqrt(var + self.eps)", "torch.sqrt(var)"))
    out = run(str(project), "--checks", "finite", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert "finite" in out.stdout and "fail" in out.stdout and "NaN" in out.stdout


def test_bad_manifest_and_usage_exit_2(tmp_path: Path) -> None:
    project = tmp_path / "bad"
    project.mkdir()
    (project / "paper2code.toml").write_text('[project]\nname = "x"\n\n[[module]]\nname = "m"\ntarget = "a:B"\n')
    out = run(str(project), cwd=tmp_path)
    assert out.returncode == 2 and "'inputs'" in out.stderr and "Traceback" not in out.stderr
    out = run(str(FIXTURES / "norm"), "--checks", "speed", cwd=tmp_path)
    assert out.returncode == 2 and "unknown check 'speed'" in out.stderr
    out = run(str(tmp_path / "missing"), cwd=tmp_path)
    assert out.returncode == 2 and "not a folder" in out.stderr
