"""The runner trains in sandboxed children: the same seed gives the same curve bit for bit, finished
runs are reused, failures and time limits become results (never exceptions in the parent)."""

from __future__ import annotations

import json
from pathlib import Path

from agent.experiments.runner import Runner, RunRequest
from agent.experiments.variants import fingerprint
from agent.validate import load_manifest


def _request(folder: Path, out: Path, *, seed: int, name: str, steps: int = 20, metric: str = "val_loss",
             overrides: dict | None = None) -> RunRequest:
    training = load_manifest(folder).training
    return RunRequest(
        cell="baseline", seed=seed, source=folder, fingerprint=fingerprint(folder),
        training={"module": training.module, "datamodule": training.datamodule, "init": training.init,
                  "datamodule_init": training.datamodule_init},
        overrides=overrides or {}, max_steps=steps, metric=metric, val_every=5, result_path=out / f"{name}.json",
    )


def test_same_seed_same_curve_bit_for_bit_on_the_generated_example(tiny_lm: Path, tmp_path: Path) -> None:
    runner = Runner(tmp_path / "scratch", jobs=2, threads=1, environment={"git_commit": None})
    first, again, other = runner.run([_request(tiny_lm, tmp_path, seed=0, name="a"),
                                      _request(tiny_lm, tmp_path, seed=0, name="b"),
                                      _request(tiny_lm, tmp_path, seed=1, name="c")])
    for result in (first, again, other):
        assert result.status == "ok", result.error
        assert [int(s) for s, _ in result.curve] == [5, 10, 15, 20]
    assert first.curve == again.curve  # exact float equality, every point
    assert first.train_curve == again.train_curve and len(first.train_curve) == 20
    assert first.curve != other.curve
    assert first.environment["device"] == "cpu" and first.environment["torch"]
    assert first.cost["parameters"] > 1000 and first.cost["step_ms"] > 0
    assert first.config["init"]["learning_rate"] == load_manifest(tiny_lm).training.init["learning_rate"]
    saved = json.loads((tmp_path / "a.json").read_text())
    assert saved["curve"] == first.curve and saved["key"] == first.key
    assert (tmp_path / "a-logs" / "metrics.csv").is_file()  # the CSV logger's file, kept beside the result
    assert not (tmp_path / "scratch").exists()  # run folders are removed


def test_finished_runs_are_reused_and_failures_are_results(toy: Path, tmp_path: Path) -> None:
    good = _request(toy, tmp_path, seed=0, name="good", steps=10)
    missing = _request(toy, tmp_path, seed=0, name="missing", steps=10, metric="val_accuracy")
    results = Runner(tmp_path / "scratch", jobs=2).run([good, missing])
    assert [r.status for r in results] == ["ok", "failed"]
    assert "'val_accuracy' was never logged" in results[1].error and "val_loss" in results[1].error
    stamp = (tmp_path / "good.json").stat().st_mtime_ns
    events: list[str] = []

    class Record:
        def begin(self, total: int, reused: int) -> None:
            events.append(f"begin {total} {reused}")

        def started(self, request: RunRequest) -> None:
            events.append("started")

        def update(self, request: RunRequest, step: int, value: float | None) -> None:
            pass

        def finished(self, request: RunRequest, result, reused: bool = False) -> None:
            events.append(f"finished reused={reused}")

        def end(self) -> None:
            events.append("end")

    (again,) = Runner(tmp_path / "scratch", display=Record()).run([good])
    assert again.curve == results[0].curve and events == ["begin 1 1", "finished reused=True", "end"]
    assert (tmp_path / "good.json").stat().st_mtime_ns == stamp


def test_time_limit_kills_the_run(toy: Path, tmp_path: Path) -> None:
    (result,) = Runner(tmp_path / "scratch", timeout_s=1.0).run([_request(toy, tmp_path, seed=0, name="slow")])
    assert result.status == "timeout" and "1s time limit" in result.error
