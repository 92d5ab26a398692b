"""``paper2code sweep`` on the toy least-squares problem: killed mid-way it leaves no run behind and
resumes from its SQLite study, and it finds a learning rate in the range SGD is known to do well in.

The toy's inputs are standard normal, so the mean-squared-error Hessian is about 2 I: SGD contracts the
error by |1 - 2 lr| a step, diverges above lr ~ 1 and crawls below lr ~ 0.01. In 20 steps the loss falls
below 1e-3 only for lr in roughly [0.05, 0.8]."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from agent.cli import main
from tests.conftest import REPO_ROOT

GOOD_RANGE = (0.05, 0.8)
ARGS = ["--param", "learning_rate=loguniform(1e-3,10)", "--max-steps", "20", "--val-every", "5", "--jobs", "2"]


def _trials(db: Path) -> list[optuna.trial.FrozenTrial]:
    if not db.is_file():
        return []
    storage = f"sqlite:///{db}"
    try:
        summaries = optuna.get_all_study_summaries(storage)
        return optuna.load_study(study_name=summaries[0].study_name, storage=storage).get_trials() if summaries else []
    except Exception:  # noqa: BLE001 - the database may be mid-creation
        return []


def _workers_of(folder: Path) -> list[int]:
    """Processes still running a worker of this sweep."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "agent.experiments.worker" in cmdline and str(folder) in cmdline:
                pids.append(int(entry.name))
    return pids


def test_sweep_resumes_after_kill_and_finds_a_good_learning_rate(toy: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = toy / ".paper2code" / "experiments" / "sweep"
    db = out / "sweep.db"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "agent", "sweep", str(toy), *ARGS, "--trials", "6"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if sum(t.state == optuna.trial.TrialState.COMPLETE for t in _trials(db)) >= 1:
                break
            assert proc.poll() is None, "the sweep ended before it was killed"
            time.sleep(0.5)
        else:
            pytest.fail("no trial finished in time")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = {t.number: t for t in _trials(db)}
    finished_before = {n: t.value for n, t in before.items() if t.state == optuna.trial.TrialState.COMPLETE}
    assert finished_before and len(finished_before) < 6
    time.sleep(1.0)
    assert _workers_of(out) == []  # the children died with the sweep

    assert main(["sweep", str(toy), *ARGS, "--trials", "6"]) == 0
    printed = capsys.readouterr()
    trials = _trials(db)
    states = optuna.trial.TrialState
    counted = [t for t in trials if t.state in (states.COMPLETE, states.PRUNED)
               or (t.state == states.FAIL and "error" in t.user_attrs)]
    assert len(counted) == 6  # the killed sweep's unfinished trials were made up for
    for number, value in finished_before.items():  # finished trials were kept, not repeated
        assert trials[number].value == value and trials[number].state == states.COMPLETE
    interrupted = [t for t in trials if t.state == states.FAIL and "error" not in t.user_attrs]
    assert len(interrupted) == len(before) - len(finished_before)
    assert f"resumed: {len(finished_before)} trial(s) were already finished" in printed.err
    complete = [t for t in trials if t.state == states.COMPLETE]
    best = min(complete, key=lambda t: t.value)
    assert GOOD_RANGE[0] <= best.params["learning_rate"] <= GOOD_RANGE[1]
    assert best.value < 1e-3
    for name in ("sweep.md", "trials.csv", "sweep.json", "plots/history.png"):
        assert str(out / name) in printed.out and (out / name).stat().st_size > 0
    report = (out / "sweep.md").read_text()
    assert f"Trial {best.number}: val_loss = " in report and "interrupted: the sweep was stopped" in report


def test_sweep_bad_input_exits_2(toy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(toy), "--param", "learning_rate=loguniform(0,1)"]) == 2
    assert "positive lower bound" in capsys.readouterr().err
    assert main(["sweep", str(toy), "--param", "norm=choice(layernorm,rmsnorm)"]) == 2
    assert "needs the plan.json" in capsys.readouterr().err
