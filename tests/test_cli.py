"""The command line's contract: exit codes, one-line errors, no tracebacks (DESIGN.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent import __version__
from agent.cli import COMMANDS, main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, timeout=120)


def test_version_and_help_list_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("ingest", "equation", "generate", "validate", "chat", "eval", "templates"):
        assert name in COMMANDS
        assert name in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "No such command" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_imports_and_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--help"]) == 0
    assert "Usage: paper2code " + name in capsys.readouterr().out


def test_missing_paper_is_one_line_exit_2_in_a_real_process(tmp_path) -> None:
    proc = run_cli("ingest", str(tmp_path / "nope.pdf"))
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "no such file" in lines[0] and "Traceback" not in proc.stderr


def test_unsupported_input_kind(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = tmp_path / "paper.docx"
    odd.write_bytes(b"PK\x03\x04 not really")
    assert main(["ingest", str(odd)]) == 2
    assert "unsupported input" in capsys.readouterr().err
