"""Run one command on untrusted code (hidden tests, a benchmark's test with a model's code filled in)
inside the same sandbox as validation: the namespaces, read-only filesystem, cgroups and stripped
environment of :mod:`agent.validate.sandbox`, a wall-clock limit that kills the whole tree, and a cap
on the output kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from agent.processes import kill_process_group
from agent.validate import cgroup
from agent.validate.sandbox import PRELUDE, namespace_flags, sandbox_env

# Runs after the prelude: enter the scratch folder again (the working directory inherited from the
# parent predates the prelude's bind mount, so it would still be the read-only view), cap the address space.
_RLIMIT = 'cd "$P2C_SCRATCH" || exit 125; ulimit -v "$P2C_AS_KB" 2>/dev/null; exec "$@"'
AS_HEADROOM_MB = 3072  # torch maps far more address space than it touches


@dataclass
class CommandResult:
    """How a sandboxed command ended."""

    returncode: int | None  # None: killed at the time limit
    output: str  # stdout and stderr together, at most ``output_cap`` bytes from the end
    seconds: float
    timed_out: bool = False
    isolation_problem: str = ""  # why the namespaces could not be used here ("" when they were)


def python_command(*args: str) -> list[str]:
    """``python -B -s ARGS`` with the interpreter running paper2code (no user site, no .pyc files)."""
    return [sys.executable, "-B", "-s", *args]


def run_sandboxed(argv: list[str], workdir: str | Path, *, timeout_s: float = 300.0, memory_mb: int = 4096,
                  threads: int = 1, max_pids: int = 256, output_cap: int = 256 * 1024) -> CommandResult:
    """Run ``argv`` with ``workdir`` (a scratch copy: the only writable place) as working directory.

    Args:
        argv: the command; usually :func:`python_command` plus a script or ``-m pytest``.
        workdir: the scratch folder; the code under test must already be copied there.
        timeout_s: wall-clock limit; the whole process tree is killed at it.
        memory_mb: memory cap (cgroup where possible; address space otherwise).
        threads: torch/BLAS threads.
        max_pids: process and thread cap (pids cgroup).
        output_cap: bytes of output kept (the end of it).
    """
    workdir = Path(workdir).resolve()
    flags, problem = namespace_flags()
    control = Path(tempfile.mkdtemp(prefix="p2c-eval-control-"))
    group = cgroup.SandboxCgroup.create(max_pids, memory_mb * 1024 * 1024)
    env = sandbox_env(workdir, control, threads, max(64, memory_mb // 2))
    env["P2C_CGROUP_PROCS"] = " ".join(str(d / "cgroup.procs") for d in group.dirs)
    gpu_possible = Path("/dev/nvidiactl").exists()
    env["P2C_AS_KB"] = "unlimited" if gpu_possible else str((memory_mb + AS_HEADROOM_MB) * 1024)
    command = [*flags, "sh", "-c", PRELUDE, "p2c-sandbox", "sh", "-c", _RLIMIT, "p2c-limit", *argv]
    log_path = control / "output.log"
    started = time.perf_counter()
    timed_out = False
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    cwd=workdir, env=env, start_new_session=True)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill(proc, group)
        seconds = time.perf_counter() - started
        output = _tail(log_path, output_cap)
    finally:
        group.remove()
        for leftover in control.iterdir():
            leftover.unlink(missing_ok=True)
        control.rmdir()
    lines = [ln for ln in output.splitlines() if not ln.startswith(("p2c-sandbox:", "p2c-sandbox-problem:"))]
    return CommandResult(None if timed_out else proc.returncode, "\n".join(lines), round(seconds, 3), timed_out,
                         problem)


def _kill(proc: subprocess.Popen[bytes], group: cgroup.SandboxCgroup) -> None:
    kill_process_group(proc, wait_s=None)
    group.kill_all()  # whatever left the session (setsid) but not the cgroup
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _tail(path: Path, cap: int) -> str:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - cap))
        data = fh.read()
    text = data.decode("utf-8", "replace")
    return ("[... output cut ...]\n" + text) if size > cap else text
