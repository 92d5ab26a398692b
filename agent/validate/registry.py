"""The checks ``paper2code validate`` knows: their order, scope, default limits and what is opt-in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckInfo:
    name: str
    scope: str  # "project" (static, in the parent), "module" (per [[module]]), "training"
    timeout_s: float  # default wall-clock limit in the sandbox
    opt_in: bool = False  # run only when named by --checks or [validate] checks
    judged: bool = True  # profile is reported, never judged
    summary: str = ""


CHECKS: tuple[CheckInfo, ...] = (
    CheckInfo("static", "project", 0, summary="AST scan for subprocess, sockets, eval/exec, ctypes, writes"),
    CheckInfo("import", "module", 60, summary="the target imports and builds from the tiny config"),
    CheckInfo("shapes", "module", 60, summary="forward at several drawn sizes matches the output pattern"),
    CheckInfo("gradcheck", "module", 120, summary="torch.autograd.gradcheck in float64, eval mode"),
    CheckInfo("grad_flow", "module", 60, summary="every parameter gets a finite, non-zero gradient"),
    CheckInfo("finite", "module", 60, summary="no NaN/inf at x1, x100, x1e-3, zeros, bf16 autocast"),
    CheckInfo("determinism", "module", 60, summary="same input -> same output; same seed -> same init"),
    CheckInfo("batch_independent", "module", 60, summary="sample i's output ignores sample j"),
    CheckInfo("causal", "module", 60, summary="output at t ignores inputs after t"),
    CheckInfo("reference", "module", 60, summary="equals reference(module, **inputs) in float64"),
    CheckInfo("compile", "module", 300, opt_in=True, summary="torch.compile output matches eager"),
    CheckInfo("profile", "module", 120, judged=False, summary="parameters, FLOPs, latency, peak memory"),
    CheckInfo("smoke_train", "training", 300, summary="Lightning trains max_steps, loss falls, ckpt reloads"),
    CheckInfo("ddp", "training", 300, opt_in=True, summary="2 gloo processes agree; no unused parameters"),
)

BY_NAME: dict[str, CheckInfo] = {c.name: c for c in CHECKS}
CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)
PROPERTIES: tuple[str, ...] = ("batch_independent", "causal")
IMPORT_TIMEOUT_S = 60.0
