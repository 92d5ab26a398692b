"""``import`` of the [training] classes and ``smoke_train``: a short Lightning run on the synthetic
datamodule. The loss must fall by ``loss_drop`` without NaN; the optimizer must hold every
trainable parameter; a checkpoint is written, reloaded and must give the same outputs. On a GPU
(when one is visible and ``--device`` allows) the run uses bf16 mixed precision."""

from __future__ import annotations

import logging
import math
import os
import warnings
from pathlib import Path
from typing import Any

import torch

from agent.validate.checks.common import CheckFailed, check, flatten, fmt, load_object, max_diff, short_error


def lightning_for(cls: type) -> Any:
    """The Lightning package the class derives from (``lightning.pytorch`` or ``pytorch_lightning``)."""
    for base in cls.__mro__:
        root = base.__module__.split(".")[0]
        if root == "lightning":
            import lightning.pytorch as pl

            return pl
        if root == "pytorch_lightning":
            import pytorch_lightning as pl

            return pl
    raise CheckFailed(f"{cls.__name__} is not a LightningModule")


def build(spec: dict[str, Any], seed: int) -> tuple[Any, Any, Any]:
    """(lightning package, LightningModule instance, datamodule instance)."""
    try:
        lit_cls = load_object(spec["module"])
        dm_cls = load_object(spec["datamodule"])
    except Exception as exc:
        raise CheckFailed(f"cannot import the [training] classes: {short_error(exc)}") from exc
    pl = lightning_for(lit_cls)
    torch.manual_seed(seed)
    try:
        lit = lit_cls(**spec["init"])
    except Exception as exc:
        raise CheckFailed(f"{spec['module']}(**{spec['init']}) raised {short_error(exc)}") from exc
    try:
        dm = dm_cls(**spec["datamodule_init"])
    except Exception as exc:
        raise CheckFailed(f"{spec['datamodule']}(**{spec['datamodule_init']}) raised {short_error(exc)}") from exc
    return pl, lit, dm


def quiet() -> None:
    warnings.filterwarnings("ignore")
    for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)


@check("import", scope="training")
def import_training(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    quiet()
    _, lit, dm = build(message["spec"], int(message.get("seed", 0)))
    params = sum(p.numel() for p in lit.parameters())
    detail = f"{type(lit).__name__}: {params:,} parameters; datamodule {type(dm).__name__}"
    return detail, {"parameters": params}


def _loss_value(outputs: Any) -> float | None:
    if isinstance(outputs, torch.Tensor):
        return float(outputs.detach().float())
    if isinstance(outputs, dict) and isinstance(outputs.get("loss"), torch.Tensor):
        return float(outputs["loss"].detach().float())
    return None


def _recorder(pl: Any) -> Any:
    class Recorder(pl.Callback):
        def __init__(self) -> None:
            self.losses: list[float] = []
            self.lrs: list[float] = []
            self.missing: list[str] = []
            self.optimizers = 0

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            held = {id(p) for opt in trainer.optimizers for g in opt.param_groups for p in g["params"]}
            self.optimizers = len(trainer.optimizers)
            self.missing = [n for n, p in pl_module.named_parameters() if p.requires_grad and id(p) not in held]

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            value = _loss_value(outputs)
            if value is not None:
                self.losses.append(value)
                if not math.isfinite(value):
                    trainer.should_stop = True
            if trainer.optimizers:
                self.lrs.append(float(trainer.optimizers[0].param_groups[0]["lr"]))

    return Recorder()


def _first_input(batch: Any) -> Any:
    if isinstance(batch, (tuple, list)) and batch:
        return batch[0]
    return batch


def _to_cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.cpu()
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to_cpu(x) for x in obj)
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    return obj


def _lr_hint(lrs: list[float]) -> str:
    if not lrs:
        return ""
    first, last = lrs[0], lrs[-1]
    if max(lrs) == 0:
        return "; the learning rate is 0 throughout"
    if last < 1e-3 * max(lrs):
        return f"; the learning rate collapsed from {fmt(max(lrs))} to {fmt(last)} (scheduler misconfigured?)"
    return f"; lr {fmt(first)} -> {fmt(last)}"


def _check_reload(pl: Any, lit: Any, dm: Any, spec: dict[str, Any], trainer: Any, root: Path) -> str:
    ckpt = root / "smoke.ckpt"
    try:
        trainer.save_checkpoint(str(ckpt))
    except Exception as exc:
        raise CheckFailed(f"saving a checkpoint raised {short_error(exc)}") from exc
    try:
        reloaded = type(lit).load_from_checkpoint(str(ckpt), map_location="cpu", weights_only=False, **spec["init"])
    except Exception as exc:
        raise CheckFailed(f"{type(lit).__name__}.load_from_checkpoint raised {short_error(exc)}") from exc
    trained = lit.to("cpu").float().eval()
    reloaded = reloaded.float().eval()
    mine, theirs = trained.state_dict(), reloaded.state_dict()
    if set(mine) != set(theirs):
        raise CheckFailed(f"the reloaded checkpoint has different tensors: {sorted(set(mine) ^ set(theirs))[:6]}")
    for name, tensor in mine.items():
        if not torch.equal(tensor, theirs[name]):
            raise CheckFailed(f"after reload {name} differs by {fmt(max_diff(tensor, theirs[name]))}")
    batch = _to_cpu(next(iter(dm.train_dataloader())))
    x = _first_input(batch)
    with torch.no_grad():
        try:
            torch.manual_seed(0)
            a = flatten(trained(**x) if isinstance(x, dict) else trained(x))
            torch.manual_seed(0)
            b = flatten(reloaded(**x) if isinstance(x, dict) else reloaded(x))
        except Exception as exc:  # forward may not take the batch as is: the state_dict comparison stands
            return ("checkpoint reloads with identical tensors (forward on a batch not comparable: "
                    f"{type(exc).__name__})")
    for i, (u, v) in enumerate(zip(a, b)):
        diff = max_diff(u, v)
        if diff > 0:
            raise CheckFailed(
                f"the reloaded checkpoint gives different outputs (output {i} differs by {fmt(diff)}) although the "
                "saved tensors match: state built outside the state_dict (a non-persistent buffer or a plain "
                "tensor attribute drawn at random in __init__)")
    return "checkpoint written, reloaded, same outputs"


@check("smoke_train", scope="training")
def smoke_train(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    quiet()
    spec = message["spec"]
    seed = int(message.get("seed", 0))
    device = message["device_resolved"]
    pl, lit, dm = build(spec, seed)
    gpu = device.startswith("cuda")
    precision = "bf16-mixed" if gpu and torch.cuda.is_bf16_supported() else "32-true"
    root = Path(os.environ.get("TMPDIR", ".")) / "smoke_train"
    root.mkdir(parents=True, exist_ok=True)
    recorder = _recorder(pl)
    trainer = pl.Trainer(
        max_steps=int(spec["max_steps"]), accelerator="gpu" if gpu else "cpu", devices=1, precision=precision,
        logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        num_sanity_val_steps=0, limit_val_batches=0, default_root_dir=str(root), callbacks=[recorder],
    )
    try:
        trainer.fit(lit, datamodule=dm)
    except Exception as exc:
        raise CheckFailed(f"trainer.fit raised {short_error(exc)} after {len(recorder.losses)} steps") from exc
    losses = recorder.losses
    lrs = recorder.lrs
    data = {"device": device, "precision": precision, "steps": len(losses),
            "losses": losses[:: max(1, len(losses) // 20)], "lr_first": lrs[0] if lrs else None,
            "lr_last": lrs[-1] if lrs else None}
    if recorder.missing:
        missing = recorder.missing
        listed = ", ".join(missing[:10]) + (f" (+{len(missing) - 10} more)" if len(missing) > 10 else "")
        raise CheckFailed(f"the optimizer misses {len(recorder.missing)} trainable parameter tensor(s): {listed}; "
                          "configure_optimizers should pass self.parameters()")
    if not losses:
        raise CheckFailed("no training loss was recorded: training_step must return the loss (or {'loss': ...})")
    bad = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
    if bad is not None:
        raise CheckFailed(f"the loss became {losses[bad]} at step {bad + 1} of {spec['max_steps']} "
                          f"(previous {fmt(losses[bad - 1]) if bad else 'none'}){_lr_hint(recorder.lrs)}")
    k = max(1, min(5, len(losses) // 5))
    first = sum(losses[:k]) / k
    last = sum(losses[-k:]) / k
    drop = (first - last) / abs(first) if first else 0.0
    target = float(spec["loss_drop"])
    summary = f"{len(losses)} steps on {device} ({precision}): loss {fmt(first)} -> {fmt(last)} ({drop:.0%} drop)"
    if last > first - target * abs(first):
        raise CheckFailed(f"{summary}, needs a {target:.0%} drop (means of the first and last {k} steps)"
                          f"{_lr_hint(recorder.lrs)}")
    reload = _check_reload(pl, lit, dm, spec, trainer, root)
    return f"{summary}; {reload}", data
