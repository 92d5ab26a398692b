"""``paper2code ablate`` end to end on the toy implementation: a factor with a known effect (shift moves
val_loss by exactly 0.5) is found significant, a factor with none is within noise; the report, the CSV,
the JSON and the plots are written; a second run reuses every finished run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from agent.cli import main

ARGS = ["--factor", "shift=0,0.5", "--factor", "dummy=a,b", "--ofat", "--seeds", "3", "--set", "noise=0.1",
        "--max-steps", "10", "--val-every", "5"]


def test_ablate_finds_the_real_effect_and_not_the_null_one(toy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ablate", str(toy), *ARGS]) == 0
    out = toy / ".paper2code" / "experiments" / "ablate"
    printed = capsys.readouterr()
    for name in ("report.md", "results.csv", "results.json", "plots/curves.png", "plots/means.png"):
        assert str(out / name) in printed.out
        assert (out / name).stat().st_size > 0
    data = json.loads((out / "results.json").read_text())
    comparisons = {c["cell"]: c for c in data["comparisons"]}
    real, null = comparisons["shift=0.5 dummy=a"], comparisons["shift=0 dummy=b"]
    assert real["significant"] and real["difference"] == pytest.approx(0.5, abs=1e-4)
    assert not null["significant"] and null["p_holm"] > 0.05
    stats = {s["cell"]: s for s in data["stats"]}
    assert all(s["n"] == 3 and s["ci_t"][0] < s["mean"] < s["ci_t"][1] for s in stats.values())
    assert stats["shift=0 dummy=a"]["profile"]["module"] == "regressor"  # the validator's profile of the cell
    assert stats["shift=0 dummy=a"]["profile"]["parameters"] == 5
    report = (out / "report.md").read_text()
    assert "shift=0.5 dummy=a: val_loss higher by 0.5" in report and "significant at alpha = 0.05" in report
    assert "Within noise: shift=0 dummy=b." in report
    assert "| shift=0 dummy=a | 3 |" in report and "![metric curves](plots/curves.png)" in report
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 9 and {r["status"] for r in rows} == {"ok"}
    assert {r["shift"] for r in rows} == {"0", "0.5"} and {r["seed"] for r in rows} == {"0", "1", "2"}
    assert (out / "plots" / "means.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # run again: every run is reused, the numbers are the same
    assert main(["ablate", str(toy), *ARGS]) == 0
    assert "9 of 9 runs already finished: reused" in capsys.readouterr().err
    again = json.loads((out / "results.json").read_text())
    assert [s["values"] for s in again["stats"]] == [s["values"] for s in data["stats"]]


@pytest.mark.parametrize(("args", "message"), [
    (["--factor", "norm=layernorm,rmsnorm"], "needs the plan.json"),
    (["--factor", "shift=0,1", "--seeds", "1"], "--seeds"),
    (["--factor", "shift=0,1", "--logger", "tensorboard"], "tensorboard"),
    (["--factor", "warp=0,1"], "'warp' is not an argument"),
    (["--factor", "shift"], "expected NAME=LEVEL"),
])
def test_bad_input_exits_2_with_one_line(toy: Path, args: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    if message == "tensorboard" and importlib.util.find_spec("tensorboard") is not None:
        pytest.skip("tensorboard is installed here")
    assert main(["ablate", str(toy), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ablate", str(tmp_path / "nope"), "--factor", "a=1,2"]) == 2
    assert "not a folder" in capsys.readouterr().err
