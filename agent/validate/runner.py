"""Run a manifest's checks: plan them, copy the implementation to a scratch folder, scan it, and
serve the executed checks from one warm sandboxed worker (a fresh one after a kill)."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import agent
from agent.errors import UserError
from agent.types import CheckResult, Manifest, ValidateOptions, ValidationReport
from agent.validate.manifest import load_manifest
from agent.validate.registry import BY_NAME, CHECKS, IMPORT_TIMEOUT_S
from agent.validate.sandbox import Sandbox, SandboxDied
from agent.validate.static import SKIP_DIRS, scan_folder

DEFAULT_MEMORY_MB = 4096
AS_HEADROOM_MB = 3072  # address space beyond the memory cap: torch maps far more than it touches
MAX_COPY_BYTES = 256 * 1024 * 1024
BACKSTOP_S = 20.0  # the parent kills the sandbox this long after a check's own limit


@dataclass
class Planned:
    name: str
    target: str  # module name, "training" or the project name
    scope: str  # "project", "module", "training"
    spec: dict[str, Any] | None = None
    requested_but_na: str = ""  # non-empty: asked for by --checks but does not apply (reported as skip)


def plan_checks(manifest: Manifest, checks: list[str] | None) -> list[Planned]:
    """The checks to run, in order; ``checks`` restricts them (``import`` always precedes the rest)."""
    if checks is not None:
        unknown = [c for c in checks if c not in BY_NAME]
        if unknown:
            raise UserError(f"unknown check {unknown[0]!r}; known: {', '.join(BY_NAME)}")
    wanted = set(checks) if checks is not None else {c.name for c in CHECKS if not c.opt_in} | set(
        manifest.extra_checks)
    plan: list[Planned] = []
    if "static" in wanted:
        plan.append(Planned("static", manifest.name, "project"))
    for module in manifest.modules:
        spec = module.to_dict()
        items = []
        for info in CHECKS:
            if info.scope != "module" or info.name == "import" or info.name not in wanted:
                continue
            why = ""
            if info.name in ("batch_independent", "causal") and info.name not in module.properties:
                why = f"not listed in properties of {module.name!r}"
            elif info.name == "reference" and not module.reference:
                why = f"no reference given for {module.name!r}"
            if why and checks is None:
                continue
            items.append(Planned(info.name, module.name, "module", spec, why))
        if items or "import" in wanted:
            plan.append(Planned("import", module.name, "module", spec))
            plan.extend(items)
    training_checks = [c for c in CHECKS if c.scope == "training" and c.name in wanted]
    if manifest.training is not None:
        spec = manifest.training.to_dict()
        if training_checks or "import" in wanted:
            plan.append(Planned("import", "training", "training", spec))
            plan.extend(Planned(c.name, "training", "training", spec) for c in training_checks)
    elif checks is not None:
        plan.extend(Planned(c.name, "training", "training", None, "the manifest has no [training] table")
                    for c in training_checks)
    return plan


def _copy_implementation(source: Path, scratch: Path) -> None:
    total = 0

    def ignore(folder: str, names: list[str]) -> set[str]:
        nonlocal total
        skipped = {n for n in names if n in SKIP_DIRS or n.endswith((".pyc", ".ckpt"))}
        for n in names:
            path = os.path.join(folder, n)
            if n not in skipped and os.path.isfile(path) and not os.path.islink(path):
                total += os.path.getsize(path)
        if total > MAX_COPY_BYTES:
            raise UserError(f"{source}: more than {MAX_COPY_BYTES // 2**20} MB to copy; validation copies the "
                            "implementation folder, keep data and checkpoints elsewhere")
        return skipped

    shutil.copytree(source, scratch, symlinks=True, ignore=ignore)


class _Session:
    """The sandboxes of one run: starts one, restarts after a kill, collects environment facts."""

    def __init__(self, scratch: Path, control: Path, options: ValidateOptions, memory_mb: int,
                 preload: list[str]) -> None:
        self.scratch, self.control, self.options = scratch, control, options
        self.memory_mb = memory_mb
        self.preload = preload
        self.sandbox: Sandbox | None = None
        self.starts = 0
        self.environment: dict[str, Any] = {}
        self.isolation: dict[str, Any] = {}

    def ensure(self) -> Sandbox:
        if self.sandbox is not None and self.sandbox.alive():
            return self.sandbox
        self.close()
        sandbox = Sandbox(self.scratch, self.control, threads=self.options.threads, memory_mb=self.memory_mb,
                          max_pids=self.options.max_pids)
        self.starts += 1
        hello = {"op": "hello", "workdir": str(self.scratch), "preload": self.preload, "threads": self.options.threads}
        try:
            reply = sandbox.start(hello, timeout_s=180.0)
        except SandboxDied as exc:
            sandbox.close()
            raise SandboxDied("error", f"the sandbox could not start: {exc.detail}") from None
        self.isolation = sandbox.isolation()
        if not self.environment:
            self.environment = reply.get("environment", {})
        self.sandbox = sandbox
        return sandbox

    def close(self, graceful: bool = False) -> None:
        if self.sandbox is not None:
            self.sandbox.close(graceful)
            self.sandbox = None


def _limits(options: ValidateOptions, manifest: Manifest, name: str) -> tuple[float, int]:
    info = BY_NAME[name]
    wall = options.timeout_s or manifest.timeout_s or (IMPORT_TIMEOUT_S if name == "import" else info.timeout_s)
    return float(wall), int(options.cpu_factor * wall) + 2


def _address_space_mb(options: ValidateOptions, memory_mb: int) -> int | None:
    """RLIMIT_AS for check processes, or None where CUDA may be used (it maps huge address ranges)."""
    gpu_possible = options.device == "cuda" or (options.device == "auto" and Path("/dev/nvidiactl").exists())
    return None if gpu_possible else memory_mb + AS_HEADROOM_MB


def validate_project(path: str | Path, *, checks: list[str] | None = None,
                     options: ValidateOptions | None = None) -> ValidationReport:
    """Validate the implementation in ``path`` (a folder with ``paper2code.toml``); see DESIGN.md."""
    options = options or ValidateOptions()
    root = Path(path)
    if not root.is_dir():
        raise UserError(f"{path}: not a folder (validate takes the implementation folder)")
    if options.device not in ("auto", "cpu", "cuda"):
        raise UserError(f"--device must be auto, cpu or cuda, not {options.device!r}")
    manifest = load_manifest(root)
    plan = plan_checks(manifest, checks)
    memory_mb = options.memory_mb or manifest.memory_mb or DEFAULT_MEMORY_MB
    started = time.perf_counter()
    run_dir = Path(tempfile.mkdtemp(prefix="p2c-validate-"))
    scratch, control = run_dir / "work", run_dir / "control"
    results: list[CheckResult] = []
    profile: dict[str, Any] = {}
    training = any(p.scope == "training" and p.name != "import" for p in plan)
    # imported once in the warm worker instead of in every check that needs them (each ~1 s)
    names = {p.name for p in plan}
    preload = ["torch", "einops"]
    if names & {"gradcheck"}:
        preload.append("torch.fx.experimental.symbolic_shapes")  # sympy, via torch.func.functional_call
    if names & {"profile", "compile"}:
        preload.append("torch._dynamo")  # FlopCounterMode and torch.compile import it on first use
    if training:
        preload.append("pytorch_lightning")
        if importlib.util.find_spec("lightning") is not None:
            preload.append("lightning")
    session = _Session(scratch, control, options, memory_mb, preload)
    devices: set[str] = set()
    try:
        _copy_implementation(root, scratch)
        control.mkdir()
        failed_imports: set[str] = set()
        for item in plan:
            result, data = _run_one(item, manifest, options, session, memory_mb, failed_imports)
            if data.get("device_resolved"):
                devices.add(data["device_resolved"])
            if item.name == "import" and result.status != "pass":
                failed_imports.add(item.target)
            if item.name == "profile" and result.status == "pass":
                profile[item.target] = data.get("data", {})
            results.append(result)
            if options.progress is not None:
                options.progress(result)
    finally:
        session.close(graceful=True)
        if not options.keep_scratch:
            shutil.rmtree(run_dir, ignore_errors=True)
    judged = [r for r in results if BY_NAME[r.name].judged]
    passed = bool(judged) and all(r.status in ("pass", "skip") for r in judged)
    environment = {
        "paper2code": agent.__version__,
        "python": session.environment.get("python", platform.python_version()),
        "torch": session.environment.get("torch"),
        "device_requested": options.device,
        "device": sorted(devices)[0] if len(devices) == 1 else (sorted(devices) or None),
        "network_isolated": bool(session.isolation.get("network_isolated")),
        "sandbox": session.isolation,
        "worker_starts": session.starts,
        "worker_start_s": session.environment.get("worker_start_s"),
        "limits": {"timeout_s": options.timeout_s or manifest.timeout_s, "memory_mb": memory_mb,
                   "address_space_mb": _address_space_mb(options, memory_mb), "max_pids": options.max_pids,
                   "output_cap_bytes": options.output_cap_bytes, "cpu_factor": options.cpu_factor},
        "wall_seconds": round(time.perf_counter() - started, 2),
        "manifest": manifest.path,
    }
    if options.keep_scratch:
        environment["scratch"] = str(scratch)
    return ValidationReport(passed=passed, checks=results, environment=environment, profile=profile)


def _run_one(item: Planned, manifest: Manifest, options: ValidateOptions, session: _Session, memory_mb: int,
             failed_imports: set[str]) -> tuple[CheckResult, dict[str, Any]]:
    started = time.perf_counter()
    if item.requested_but_na:
        return CheckResult(item.name, item.target, "skip", item.requested_but_na), {}
    if item.scope == "project":
        return _static(session.scratch, item.target, options.allow_unsafe, started), {}
    if item.name != "import" and item.target in failed_imports:
        return CheckResult(item.name, item.target, "skip", f"{item.target} did not import/build"), {}
    wall, cpu = _limits(options, manifest, item.name)
    message = {
        "op": "check", "check": item.name, "scope": item.scope, "spec": item.spec, "seed": options.seed,
        "device": options.device, "threads": options.threads, "timeout_s": wall, "cpu_s": cpu,
        "compile_backend": manifest.compile_backend,
        "memory_as_mb": _address_space_mb(options, memory_mb), "output_cap": options.output_cap_bytes,
    }
    try:
        sandbox = session.ensure()
        oom_before = sandbox.group.oom_kills() if sandbox.group else 0
        reply = sandbox.request(message, wall + BACKSTOP_S)
    except SandboxDied as exc:
        session.close()
        return CheckResult(item.name, item.target, exc.status, exc.detail, round(time.perf_counter() - started, 3)), {}
    detail = str(reply.get("detail", ""))
    if sandbox.group is not None and sandbox.group.oom_kills() > oom_before:
        detail += f"\n(the sandbox's memory limit of {memory_mb} MB was hit: the kernel killed the process)"
    if reply.get("status") == "timeout" and not session.isolation.get("pid_namespace"):
        session.close()  # without a PID namespace only a fresh sandbox guarantees nothing is left running
    seconds = float(reply.get("seconds", time.perf_counter() - started))
    result = CheckResult(item.name, item.target, reply.get("status", "error"), detail, round(seconds, 3))
    return result, reply


def _static(scratch: Path, target: str, allow_unsafe: bool, started: float) -> CheckResult:
    findings = scan_folder(scratch)
    seconds = round(time.perf_counter() - started, 3)
    if not findings:
        return CheckResult("static", target, "pass", "no dangerous calls found", seconds)
    more = f" (+{len(findings) - 15} more)" if len(findings) > 15 else ""
    listed = "; ".join(f.text() for f in findings[:15]) + more
    if allow_unsafe:
        return CheckResult("static", target, "pass", f"allowed by --allow-unsafe: {listed}", seconds)
    return CheckResult("static", target, "fail", f"{len(findings)} dangerous call(s): {listed}", seconds)
