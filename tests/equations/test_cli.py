"""``paper2code equation``: code and verification on stdout, JSON, exit codes, --from a paper."""

from __future__ import annotations

import json
import subprocess
import sys

from agent.cli import main
from tests.conftest import require_shared

ATTENTION = r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(\frac{QK^T}{\sqrt{d_k}})V"
SHAPES = "Q=... n d_k; K=... m d_k; V=... m d_v"


def test_prints_code_and_verification(capsys) -> None:
    rc = main(["equation", ATTENTION, "--shapes", SHAPES])
    out = capsys.readouterr().out
    assert rc == 0
    assert "def Attention(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor)" in out
    assert "einsum(Q, K" in out
    assert "# verified: matches the element-wise float64 reference" in out


def test_json_output(capsys) -> None:
    rc = main(["equation", r"y = \mathrm{ReLU}(x W + b)", "--shapes", "x=... d; W=d e; b=e", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert data["verified"] is True and data["inputs"] == ["x", "W", "b"]
    assert data["shapes"] == {"x": "... d", "W": "d e", "b": "e"} and data["output_shape"] == "... e"
    assert "fn" not in data and data["source"].startswith("import torch")


def test_unsupported_notation_exits_2_with_one_line(capsys) -> None:
    rc = main(["equation", r"y = \overbrace{x}^{a}"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.strip() == r"paper2code: error: unsupported LaTeX construct \overbrace"


def test_bad_shapes_exit_2(capsys) -> None:
    assert main(["equation", "y = x + 1", "--shapes", "x n d"]) == 2
    assert "expected NAME=SHAPE" in capsys.readouterr().err
    assert main(["equation", "--number", "1"]) == 2


def test_subprocess_has_no_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "agent", "equation", r"y = \int x"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and r"\int" in proc.stderr


def test_from_paper_numbered_equation(capsys) -> None:
    paper = require_shared("transformer")
    rc = main(["equation", "--from", str(paper), "--number", "1", "--shapes", SHAPES])
    out = capsys.readouterr().out
    assert rc == 0 and "def Attention(" in out and "# verified" in out
    assert main(["equation", "--from", str(paper), "--number", "99"]) == 2
    assert "no equation numbered 99" in capsys.readouterr().err


def test_from_paper_json(capsys) -> None:
    paper = require_shared("transformer")
    rc = main(["equation", "--from", str(paper), "--number", "3", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and data["name"] == "lrate" and data["verified"]


def test_from_paper_with_context_equation(capsys) -> None:
    paper = require_shared("rcb", "Diff-Transformer", "paper.tex")
    shapes = "X=... n e; W^Q=e (2 d); W^K=e (2 d); W^V=e v"
    rc = main(["equation", "--from", str(paper), "--number", "1", "--context", "2", "--shapes", shapes])
    out = capsys.readouterr().out
    assert rc == 0
    assert "def DiffAttn(" in out and "    def lambda_(" in out  # eq. (2) nested, called for \lambda
    assert "# verified" in out
