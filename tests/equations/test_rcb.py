"""The rcb/ benchmark script: every display equation either verifies or is refused with a named construct."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent.equations import compile_equation
from agent.errors import UserError
from agent.ingest import load_paper
from tests.conftest import REPO_ROOT, require_shared


@pytest.mark.parametrize("paper", ["Diff-Transformer", "DyT", "minp", "Tanh-Init"])
def test_every_equation_verifies_or_names_its_construct(paper: str) -> None:
    source = require_shared("rcb", paper, "paper.tex")
    equations = load_paper(source).equations
    assert equations
    verified = 0
    for eq in equations:
        try:
            result = compile_equation(eq.latex)
        except UserError as exc:  # UnsupportedNotation included
            message = str(exc)
            assert message and "\n" not in message
            assert any(word in message for word in ("construct", "function", "relation", "left-hand side",
                                                    "continuation", "shape", "index", "notation", "malformed")), message
        else:
            verified += result.verified
            assert result.verified, (eq.latex, result.notes)
    assert verified >= 1


def test_benchmark_script_runs_without_crashes() -> None:
    require_shared("rcb")
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "equations_rcb.py"), "--only", "DyT,minp"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "crashes 0" in proc.stdout and "TOTAL" in proc.stdout
