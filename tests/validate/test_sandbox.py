"""The sandbox on its own: environment allow-list, what isolation applies here, death handling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agent.validate.sandbox import Sandbox, SandboxDied, namespace_flags, sandbox_env

REPO = Path(__file__).resolve().parents[2]


def test_environment_is_an_allow_list_without_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/lib")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    env = sandbox_env(tmp_path, tmp_path, threads=1, shm_mb=64)
    assert "ANTHROPIC_API_KEY" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert not any("sk-secret" in v or "aws-secret" in v for v in env.values())
    assert env["LD_LIBRARY_PATH"] == "/opt/lib" and env["CUDA_VISIBLE_DEVICES"] == "0"
    assert env["HOME"].startswith(str(tmp_path)) and env["TMPDIR"].startswith(str(tmp_path))


def test_isolation_and_death(tmp_path: Path) -> None:
    scratch, control = tmp_path / "work", tmp_path / "control"
    scratch.mkdir()
    control.mkdir()
    sandbox = Sandbox(scratch, control, threads=1, memory_mb=1024, max_pids=64)
    try:
        reply = sandbox.start({"op": "hello", "workdir": str(scratch), "preload": [], "threads": 1})
        assert reply["ok"] is True and reply["environment"]["torch"]
        isolation = sandbox.isolation()
        if namespace_flags()[0]:
            assert isolation["network_isolated"] and isolation["pid_namespace"]
            assert reply["environment"]["pid_in_sandbox"] == 1
        else:
            assert isolation["problems"]
        os.killpg(sandbox.proc.pid, signal.SIGKILL)
        with pytest.raises(SandboxDied) as info:
            sandbox.request({"op": "hello", "workdir": str(scratch), "threads": 1}, timeout_s=30)
        assert info.value.status == "error" and "worker" in info.value.detail
    finally:
        sandbox.close()
    assert not sandbox.alive()


def test_the_parent_never_imports_torch(tmp_path: Path) -> None:
    """No torch in the parent means no CUDA initialised there, whatever the checks do."""
    code = (
        "import sys\n"
        "from agent.validate import validate_project\n"
        f"report = validate_project({str(REPO / 'tests/fixtures/validate/norm')!r}, checks=['static', 'shapes'])\n"
        "assert report.passed, report.to_dict()\n"
        "assert 'torch' not in sys.modules, 'the parent imported torch'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-2000:]
