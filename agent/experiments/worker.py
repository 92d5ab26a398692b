"""One training run, inside the sandbox: ``python -m agent.experiments.worker SPEC.json``.

A fresh interpreter per run, started by agent.experiments.launch with the run folder (a scratch
copy of the implementation) as working directory and first on ``sys.path``. It seeds everything
(Python, NumPy, torch, Lightning's ``seed_everything``; deterministic algorithms where available),
builds the manifest's LightningModule and datamodule with the run's arguments, trains ``max_steps``
and records the metric each time it is logged. Progress goes to ``progress.jsonl`` as it happens
(the parent shows it, and a sweep prunes on it); the result goes to ``result.json`` at the end,
written atomically. Exit code 0 when the run finished, 1 when it failed (the result says why).
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import math
import os
import platform
import random
import resource
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from agent.validate.checks.training import lightning_for

PROGRESS_EVERY_S = 0.5


class Progress:
    """Appends JSON lines the parent reads while the run trains."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
        self.last = 0.0

    def write(self, event: dict[str, Any], *, force: bool = True) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        self.handle.write(json.dumps(event) + "\n")
        self.handle.flush()


def load_object(target: str) -> Any:
    """Import ``package.module:Name``."""
    module_name, sep, attr = target.partition(":")
    if not sep:
        raise ValueError(f"{target!r}: expected 'package.module:Name'")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def accepted(cls: type) -> tuple[set[str], bool]:
    """The keyword arguments ``cls(...)`` takes, and whether it takes any (``**kwargs``)."""
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return set(), True
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return names, any(p.kind == p.VAR_KEYWORD for p in params)


def route(spec: dict[str, Any], module_cls: type, data_cls: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """The module's and the datamodule's arguments: the manifest's, then the run's overrides, each given
    to the class that takes it (the module first). A module's ``max_steps`` (a schedule's horizon) follows the
    run's length unless the manifest sets it."""
    init, data_init = dict(spec["init"]), dict(spec["datamodule_init"])
    module_names, module_any = accepted(module_cls)
    data_names, _ = accepted(data_cls)
    overrides = dict(spec.get("overrides") or {})
    if "max_steps" in module_names and "max_steps" not in overrides and "max_steps" not in init:
        overrides["max_steps"] = int(spec["max_steps"])  # the schedule's horizon: the run's length
    for name, value in overrides.items():
        if name in module_names or (name in init and module_any):
            init[name] = value
        elif name in data_names or name in data_init:
            data_init[name] = value
        elif module_any:
            init[name] = value
        else:
            raise ValueError(f"{name!r} is not an argument of {module_cls.__name__} or {data_cls.__name__}")
    return init, data_init


def seed_all(seed: int, pl: Any) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    pl.seed_everything(seed, workers=True, verbose=False)
    torch.use_deterministic_algorithms(True, warn_only=True)


def _scalar(value: Any) -> float | None:
    try:
        return float(value.detach().float()) if hasattr(value, "detach") else float(value)
    except (TypeError, ValueError, RuntimeError):
        return None


def recorder(pl: Any, metric: str, progress: Progress, max_steps: int) -> Any:
    """A callback recording the metric (at validation for ``val*`` metrics, else every step)."""
    on_validation = metric.startswith("val")

    class Recorder(pl.Callback):
        def __init__(self) -> None:
            self.curve: list[list[float]] = []
            self.train_curve: list[list[float]] = []
            self.step_times: list[float] = []
            self._started = 0.0
            self.seen: set[str] = set()

        def _record(self, trainer: Any) -> None:
            self.seen.update(trainer.callback_metrics)
            value = _scalar(trainer.callback_metrics.get(metric)) if metric in trainer.callback_metrics else None
            if value is None:
                return
            step = int(trainer.global_step)
            if self.curve and self.curve[-1][0] == step:
                self.curve[-1][1] = value
            else:
                self.curve.append([step, value])
            progress.write({"event": "metric", "step": step, "value": value})
            if not math.isfinite(value):
                trainer.should_stop = True

        def on_train_batch_start(self, trainer: Any, *args: Any) -> None:
            self._started = time.perf_counter()

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            self.step_times.append(time.perf_counter() - self._started)
            loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
            value = _scalar(loss) if loss is not None else None
            if value is not None:
                self.train_curve.append([int(trainer.global_step), value])
            if not on_validation:
                self._record(trainer)
            progress.write({"event": "step", "step": int(trainer.global_step), "max_steps": max_steps}, force=False)

        def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
            if on_validation and not trainer.sanity_checking:
                self._record(trainer)

    return Recorder()


def environment(device: str, threads: int) -> dict[str, Any]:
    import numpy as np
    import torch

    env: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                           "torch": torch.__version__, "numpy": np.__version__, "device": device,
                           "torch_threads": threads, "cpu_count": os.cpu_count()}
    for name in ("pytorch_lightning", "lightning"):
        try:
            env[name] = importlib.import_module(name).__version__
        except Exception:  # noqa: BLE001 - an absent package is simply not listed
            pass
    if device.startswith("cuda"):
        env["gpu"] = torch.cuda.get_device_name(0)
        env["cuda"] = torch.version.cuda
    return env


def cost(lit: Any, rec: Any, device: str) -> dict[str, Any]:
    """What training this configuration cost: parameters, median step time, peak memory."""
    import torch

    times = sorted(rec.step_times[2:] or rec.step_times)
    data: dict[str, Any] = {
        "parameters": sum(p.numel() for p in lit.parameters()),
        "trainable": sum(p.numel() for p in lit.parameters() if p.requires_grad),
        "step_ms": round(times[len(times) // 2] * 1e3, 3) if times else None,
        "steps": len(rec.step_times),
    }
    if device.startswith("cuda"):
        data["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    else:
        data["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return data


def quiet() -> None:
    warnings.filterwarnings("ignore")
    for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)


def make_logger(pl: Any, kind: str, root: Path) -> Any:
    if kind == "none":
        return False
    if kind == "tensorboard":
        return pl.loggers.TensorBoardLogger(save_dir=str(root / "logs"), name="", version="")
    return pl.loggers.CSVLogger(save_dir=str(root / "logs"), name="", version="")


def train(spec: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Train one run; the result fields of :class:`agent.types.RunResult` besides the identity."""
    import torch

    threads = int(spec.get("threads", 1))
    torch.set_num_threads(threads)
    module_cls = load_object(spec["module"])
    data_cls = load_object(spec["datamodule"])
    pl = lightning_for(module_cls)
    init, data_init = route(spec, module_cls, data_cls)
    want = spec.get("device", "auto")
    gpu = want == "cuda" or (want == "auto" and torch.cuda.is_available())
    device = "cuda:0" if gpu else "cpu"
    seed = int(spec["seed"])
    seed_all(seed, pl)
    lit = module_cls(**init)
    dm = data_cls(**data_init)
    root = Path.cwd()
    max_steps = int(spec["max_steps"])
    rec = recorder(pl, spec["metric"], progress, max_steps)
    trainer = pl.Trainer(
        max_steps=max_steps, accelerator="gpu" if gpu else "cpu", devices=1, precision="32-true",
        deterministic="warn", logger=make_logger(pl, spec.get("logger", "csv"), root), callbacks=[rec],
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        num_sanity_val_steps=0, val_check_interval=int(spec["val_every"]), check_val_every_n_epoch=None,
        limit_val_batches=spec.get("limit_val_batches"), log_every_n_steps=1, default_root_dir=str(root / "trainer"),
    )
    started = time.perf_counter()
    trainer.fit(lit, datamodule=dm)
    if spec["metric"].startswith("val") and (not rec.curve or rec.curve[-1][0] != trainer.global_step):
        trainer.validate(lit, datamodule=dm, verbose=False)  # the metric at the last step, too
    seconds = round(time.perf_counter() - started, 3)
    if not rec.curve:
        seen = ", ".join(sorted(rec.seen)) or "none"
        raise LookupError(f"the metric {spec['metric']!r} was never logged (logged: {seen})")
    return {"curve": rec.curve, "train_curve": rec.train_curve, "final": rec.curve[-1][1],
            "config": {"init": init, "datamodule_init": data_init}, "environment": environment(device, threads),
            "cost": {**cost(lit, rec, device), "train_seconds": seconds}, "steps": int(trainer.global_step)}


def write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    spec_path = Path(argv[0]).resolve()
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    root = Path(spec["workdir"]).resolve()
    os.chdir(root)
    sys.path.insert(0, str(root))
    quiet()
    progress = Progress(spec_path.parent / "progress.jsonl")
    result_path = spec_path.parent / "result.json"
    started = time.perf_counter()
    try:
        result = train(spec, progress)
        result["status"] = "ok" if math.isfinite(result["final"]) else "failed"
        if result["status"] == "failed":
            result["error"] = f"the metric became {result['final']} at step {result['curve'][-1][0]}"
    except Exception as exc:  # noqa: BLE001 - every failure becomes the run's result
        where = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(str(root))]
        at = f" (at {os.path.relpath(where[-1].filename, root)}:{where[-1].lineno})" if where else ""
        result = {"status": "failed", "error": " ".join(f"{type(exc).__name__}: {exc}".split())[:600] + at}
    result["seconds"] = round(time.perf_counter() - started, 3)
    progress.write({"event": "done", "status": result["status"]})
    write_json(result_path, result)
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
