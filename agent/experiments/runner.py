"""Run many training runs: reuse the finished ones, start the rest as sandboxed children, up to
``jobs`` at a time, and collect their results.

Each run is a :class:`RunRequest`; its ``key`` hashes everything that determines the outcome (the
code's fingerprint, the manifest's training table, the run's arguments, seed, steps, metric, device),
so a result file whose key matches is reused instead of trained again: an interrupted experiment
resumes where it stopped, and an edited implementation is trained afresh. The parent only copies
files, starts children, reads their progress lines and result files; it never imports the code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agent.experiments.launch import DEFAULT_MEMORY_MB, Child
from agent.experiments.variants import SKIP_NAMES
from agent.types import RunResult

DEFAULT_TIMEOUT_S = 1800.0
POLL_S = 0.2


@dataclass
class RunRequest:
    """One run to make: a cell (or trial) of an experiment with one seed."""

    cell: str
    seed: int
    source: Path  # the implementation folder (or a redrafted variant) copied into the run folder
    fingerprint: str  # agent.experiments.variants.fingerprint(source)
    training: dict[str, Any]  # the manifest's [training]: module, datamodule, init, datamodule_init
    overrides: dict[str, Any]
    max_steps: int
    metric: str
    val_every: int
    result_path: Path
    limit_val_batches: int | None = None
    logger: str = "csv"
    device: str = "auto"
    record: dict[str, Any] = field(default_factory=dict)  # recorded in the result's config (swaps, ...)

    def key(self) -> str:
        identity = {
            "fingerprint": self.fingerprint, "module": self.training["module"],
            "datamodule": self.training["datamodule"], "init": self.training.get("init", {}),
            "datamodule_init": self.training.get("datamodule_init", {}), "overrides": self.overrides,
            "seed": self.seed, "max_steps": self.max_steps, "metric": self.metric, "val_every": self.val_every,
            "limit_val_batches": self.limit_val_batches, "device": self.device,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=repr).encode()).hexdigest()

    def label(self) -> str:
        return f"{self.cell} seed {self.seed}"


class Display(Protocol):
    """What the runner tells whoever shows progress (agent.experiments.progress)."""

    def begin(self, total: int, reused: int) -> None: ...
    def started(self, request: RunRequest) -> None: ...
    def update(self, request: RunRequest, step: int, value: float | None) -> None: ...
    def finished(self, request: RunRequest, result: RunResult, reused: bool = False) -> None: ...
    def end(self) -> None: ...


def load_result(path: Path) -> RunResult | None:
    """A saved run result, or None when the file is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        names = set(RunResult.__dataclass_fields__)
        return RunResult(**{k: v for k, v in data.items() if k in names})
    except (OSError, ValueError, TypeError):
        return None


def save_result(path: Path, result: RunResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result.to_dict(), indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def cached(request: RunRequest) -> RunResult | None:
    """The saved result of this exact run when it finished (failed runs are tried again)."""
    result = load_result(request.result_path)
    if result is not None and result.key == request.key() and result.status == "ok":
        return result
    return None


def copy_code(source: Path, dest: Path, exclude: Path | None = None) -> None:
    """Copy the implementation, leaving out caches, logs, checkpoints, git and ``exclude``."""
    skip = Path(exclude).resolve() if exclude is not None else None

    def ignore(folder: str, names: list[str]) -> set[str]:
        out = {n for n in names if n in SKIP_NAMES or n.startswith(".p2c") or n.endswith((".pyc", ".ckpt"))}
        if skip is not None:
            out |= {n for n in names if (Path(folder) / n).resolve() == skip}
        return out

    shutil.copytree(source, dest, symlinks=True, ignore=ignore)


@dataclass
class _Active:
    request: RunRequest
    child: Child
    run_dir: Path
    offset: int = 0
    pruned: bool = False
    timed_out: bool = False


class Runner:
    """Runs requests, ``jobs`` at a time; see the module docstring.

    Args:
        scratch: where run folders are made (removed after each run).
        jobs: children at once.
        threads: torch threads per child.
        timeout_s: wall-clock limit per run (the whole tree is killed at it).
        memory_mb: memory cap per run (cgroup, where the machine allows).
        exclude: a folder inside the implementation that is never copied (the experiment's output).
        environment: facts added to every result's environment (git commit, paper2code version).
        display: progress display, or None.
    """

    def __init__(self, scratch: Path, *, jobs: int = 1, threads: int = 1, timeout_s: float = DEFAULT_TIMEOUT_S,
                 memory_mb: int = DEFAULT_MEMORY_MB, exclude: Path | None = None,
                 environment: dict[str, Any] | None = None, display: Display | None = None) -> None:
        self.scratch = Path(scratch)
        self.jobs = max(1, jobs)
        self.threads = max(1, threads)
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.exclude = exclude
        self.environment = environment or {}
        self.display = display

    def run(self, requests: list[RunRequest],
            on_metric: Callable[[RunRequest, int, float], bool] | None = None) -> list[RunResult]:
        """Results in the order of ``requests``. ``on_metric(request, step, value)`` returning True prunes
        the run (it is killed and reported as "pruned")."""
        results: dict[int, RunResult] = {}
        pending: list[int] = []
        for i, request in enumerate(requests):
            hit = cached(request)
            if hit is not None:
                results[i] = hit
            else:
                pending.append(i)
        if self.display:
            self.display.begin(len(requests), len(results))
            for i, result in results.items():
                self.display.finished(requests[i], result, reused=True)
        index = {id(requests[i]): i for i in pending}

        def next_request() -> RunRequest | None:
            return requests[pending.pop(0)] if pending else None

        def on_done(request: RunRequest, result: RunResult) -> None:
            results[index[id(request)]] = result

        try:
            self.stream(next_request, on_done, on_metric)
        finally:
            if self.display:
                self.display.end()
        return [results[i] for i in range(len(requests))]

    def stream(self, next_request: Callable[[], RunRequest | None], on_done: Callable[[RunRequest, RunResult], None],
               on_metric: Callable[[RunRequest, int, float], bool] | None = None) -> None:
        """Run requests as ``next_request()`` gives them (None: no more for now), up to ``jobs`` at once, and
        call ``on_done`` with each result. Returns when nothing runs and ``next_request`` gives None.
        Interrupted (Ctrl-C, an error), it kills every running child first."""
        active: list[_Active] = []
        try:
            while True:
                while len(active) < self.jobs:
                    request = next_request()
                    if request is None:
                        break
                    active.append(self._start(request))
                    if self.display:
                        self.display.started(request)
                if not active:
                    return
                time.sleep(POLL_S)
                for item in list(active):
                    self._read_progress(item, on_metric)
                    if item.child.poll() is None and not item.pruned and item.child.elapsed() > self.timeout_s:
                        item.timed_out = True
                        item.child.kill()
                    if item.child.poll() is not None:
                        result = self._finish(item)
                        active.remove(item)
                        if self.display:
                            self.display.finished(item.request, result)
                        on_done(item.request, result)
        finally:
            for item in active:
                item.child.kill()
                shutil.rmtree(item.run_dir, ignore_errors=True)
            try:
                self.scratch.rmdir()  # only when empty
            except OSError:
                pass

    # -- one run ---------------------------------------------------------------------------------
    def _start(self, request: RunRequest) -> _Active:
        key = request.key()
        self.scratch.mkdir(parents=True, exist_ok=True)
        run_dir = Path(tempfile.mkdtemp(prefix=f"{key[:12]}-", dir=self.scratch))
        work = run_dir / "work"
        copy_code(request.source, work, self.exclude)
        spec = {
            "workdir": str(work.resolve()), "module": request.training["module"],
            "datamodule": request.training["datamodule"], "init": request.training.get("init", {}),
            "datamodule_init": request.training.get("datamodule_init", {}), "overrides": request.overrides,
            "seed": request.seed, "max_steps": request.max_steps, "metric": request.metric,
            "val_every": request.val_every, "limit_val_batches": request.limit_val_batches,
            "logger": request.logger, "device": request.device, "threads": self.threads,
        }
        spec_path = run_dir / "spec.json"
        spec_path.write_text(json.dumps(spec, indent=1, default=str), encoding="utf-8")
        child = Child(run_dir, threads=self.threads, memory_mb=self.memory_mb)
        child.start(spec_path)
        return _Active(request, child, run_dir)

    def _read_progress(self, item: _Active, on_metric: Callable[[RunRequest, int, float], bool] | None) -> None:
        path = item.run_dir / "progress.jsonl"
        try:
            with open(path, "rb") as fh:
                fh.seek(item.offset)
                chunk = fh.read()
        except OSError:
            return
        end = chunk.rfind(b"\n") + 1
        item.offset += end
        for line in chunk[:end].splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "metric":
                step, value = int(event["step"]), float(event["value"])
                if self.display:
                    self.display.update(item.request, step, value)
                if on_metric is not None and not item.pruned and on_metric(item.request, step, value):
                    item.pruned = True
                    item.child.kill()
            elif event.get("event") == "step" and self.display:
                self.display.update(item.request, int(event["step"]), None)

    def _finish(self, item: _Active) -> RunResult:
        request, child = item.request, item.child
        seconds = round(child.elapsed(), 3)
        rc = child.poll()
        oom = child.oom_killed()
        child.release()
        data = self._read_result(item.run_dir / "result.json")
        if "curve" in data:
            curve = data["curve"]
        else:  # killed or crashed: what it had reported so far
            curve = [[float(s), float(v)] for s, v in self._partial_curve(item.run_dir)]
        if item.pruned:
            status, error = "pruned", "pruned: the metric was worse than the median of earlier trials at this step"
        elif item.timed_out:
            status, error = "timeout", f"killed at the {self.timeout_s:.0f}s time limit"
        elif data:
            status, error = data.get("status", "failed"), data.get("error", "")
        else:
            why = f"the memory limit of {self.memory_mb} MB was hit" if oom else f"the worker exited (code {rc})"
            tail = child.log_tail()
            status, error = "failed", why + (f": {tail.splitlines()[-1]}" if tail else "")
        config = {"module": request.training["module"], "datamodule": request.training["datamodule"],
                  **data.get("config", {"init": request.training.get("init", {}),
                                        "datamodule_init": request.training.get("datamodule_init", {})}),
                  "overrides": request.overrides, "max_steps": request.max_steps, "val_every": request.val_every,
                  "fingerprint": request.fingerprint, **request.record}
        values = [v for _, v in curve]
        result = RunResult(
            cell=request.cell, seed=request.seed, status=status, metric=request.metric,  # type: ignore[arg-type]
            final=(data.get("final") if status == "ok" else (values[-1] if values else None)),
            curve=curve, config=config, seconds=seconds,
            environment={**data.get("environment", {}), **self.environment}, cost=data.get("cost", {}),
            train_curve=data.get("train_curve", []), error=error, key=request.key(),
        )
        logs = item.run_dir / "work" / "logs"
        if logs.is_dir():
            dest = request.result_path.with_name(request.result_path.stem + "-logs")
            shutil.rmtree(dest, ignore_errors=True)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(logs), str(dest))
        save_result(request.result_path, result)
        shutil.rmtree(item.run_dir, ignore_errors=True)
        return result

    @staticmethod
    def _read_result(path: Path) -> dict[str, Any]:
        """The worker's result file, its shape checked (the file sits where the run's code could write);
        {} when it is missing, and a failed result when it is malformed."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError:
            return {}
        except ValueError:
            return {"status": "failed", "error": "the run's result file is not JSON"}
        try:
            assert isinstance(data, dict) and data.get("status") in ("ok", "failed")
            for key in ("curve", "train_curve"):
                data[key] = [[float(s), float(v)] for s, v in data.get(key, [])]
            if data["status"] == "ok":
                data["final"] = float(data["final"])
            for key in ("config", "environment", "cost"):
                assert isinstance(data.get(key, {}), dict)
            data["error"] = str(data.get("error", ""))
        except (AssertionError, TypeError, ValueError, KeyError):
            return {"status": "failed", "error": "the run's result file is malformed"}
        return data

    @staticmethod
    def _partial_curve(run_dir: Path) -> list[tuple[int, float]]:
        """The metric points a killed run had reported."""
        points: list[tuple[int, float]] = []
        try:
            lines = (run_dir / "progress.jsonl").read_bytes().splitlines()
        except OSError:
            return points
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "metric":
                points.append((int(event["step"]), float(event["value"])))
        return points
