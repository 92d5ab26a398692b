"""Start one training run as a sandboxed child process (the same isolation as ``paper2code validate``).

The child is ``python -m agent.experiments.worker SPEC`` in a fresh interpreter, under the validator's
sandbox prelude (agent.validate.sandbox): no network, its own PID namespace, everything read-only but
the run folder, a process and memory cgroup where the machine allows, an environment without secrets,
stdin closed. The parent keeps the ``Popen`` and kills the whole tree at the time limit or on request;
the child dies with the parent (PR_SET_PDEATHSIG). The parent starts children from one thread only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from agent.processes import kill_process_group
from agent.validate import cgroup
from agent.validate.sandbox import PRELUDE, namespace_flags, sandbox_env

DEFAULT_MEMORY_MB = 4096
DEFAULT_MAX_PIDS = 256


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the parent dies, so a killed experiment leaves no run behind
    (unshare --kill-child then takes the whole PID namespace with it). Linux only; elsewhere a no-op."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Child:
    """One running training run. ``run_dir`` is writable inside; the code copy lives in ``run_dir/work``."""

    def __init__(self, run_dir: Path, *, threads: int, memory_mb: int = DEFAULT_MEMORY_MB,
                 max_pids: int = DEFAULT_MAX_PIDS) -> None:
        self.run_dir = Path(run_dir).resolve()
        self.threads = threads
        self.memory_mb = memory_mb
        self.max_pids = max_pids
        self.proc: subprocess.Popen[bytes] | None = None
        self.group: cgroup.SandboxCgroup | None = None
        self.started = 0.0
        self.log_path = self.run_dir / "worker.log"

    def start(self, spec_path: Path) -> None:
        flags, _ = namespace_flags()
        self.group = cgroup.SandboxCgroup.create(self.max_pids, self.memory_mb * 1024 * 1024)
        env = sandbox_env(self.run_dir, self.run_dir, self.threads, max(64, self.memory_mb // 4))
        env["P2C_CGROUP_PROCS"] = " ".join(str(d / "cgroup.procs") for d in self.group.dirs)
        env["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"  # deterministic cuBLAS
        cmd = [sys.executable, "-B", "-s", "-m", "agent.experiments.worker", str(spec_path)]
        cmd = [*flags, "sh", "-c", PRELUDE, "p2c-experiment", *cmd]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         cwd=self.run_dir, env=env, start_new_session=True,
                                         preexec_fn=_die_with_parent)
        self.started = time.monotonic()

    def poll(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def elapsed(self) -> float:
        return time.monotonic() - self.started if self.started else 0.0

    def kill(self) -> None:
        """Kill the whole tree (session, PID namespace, cgroup) and wait for it."""
        if self.proc is not None and self.proc.poll() is None:
            kill_process_group(self.proc)
        self.release()

    def release(self) -> None:
        if self.group is not None:
            self.group.remove()
            self.group = None

    def oom_killed(self) -> bool:
        return bool(self.group is not None and self.group.oom_kills())

    def log_tail(self, limit: int = 1500) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - limit))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(ln for ln in text.splitlines() if not ln.startswith("p2c-sandbox")).strip()
