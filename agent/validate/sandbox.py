"""The sandbox the untrusted implementation runs in (parent side).

One sandbox = one warm worker (``agent.validate.worker``) in a fresh interpreter, started as::

    unshare --net --pid --fork --kill-child --mount-proc  sh -c PRELUDE  python -m agent.validate.worker

* network: a new network namespace (only a loopback of its own); nothing outside is reachable.
* processes: a new PID namespace whose init is the worker; when it dies the kernel kills every
  process inside, so a double fork or ``setsid`` escapes nothing. The whole tree also sits in its
  own session (``killpg``) and, where cgroups can be written, in a cgroup with a process cap
  (fork bombs) and a memory cap.
* filesystem: in its own mount namespace the prelude makes every mount read-only except the
  scratch copy of the implementation, gives it a private ``/dev/shm``, then drops every
  capability (``setpriv``), so the code cannot remount, move itself out of its cgroup or write
  outside the scratch folder.
* environment: a short allow-list (no ``*_API_KEY``, tokens, credentials); stdin is
  ``/dev/null``; HOME and TMPDIR point into the scratch folder.

What could not be applied on this machine is listed in :meth:`Sandbox.isolation` and ends up
in the report's ``environment``. Requests and replies travel as JSON lines over two private
pipes; the worker's own stdout/stderr go to a log file outside the scratch folder.
"""

from __future__ import annotations

import functools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import agent
from agent.processes import kill_process_group
from agent.validate import cgroup

_AGENT_ROOT = str(Path(agent.__file__).resolve().parent.parent)
_ENV_ALLOW = (
    "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "CUDA_HOME",
    "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
)
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION", re.IGNORECASE)

# Runs first in the sandbox (inside the new namespaces when unshare works): joins the cgroups
# ("0" = the writing process; children follow), then sets up the mounts. Mount changes happen
# only when the mount namespace really differs from the parent's (P2C_HOST_MNTNS), never on the host.
PRELUDE = r"""
ulimit -c 0
for f in $P2C_CGROUP_PROCS; do echo 0 > "$f" || echo "p2c-sandbox-problem: cannot join $f" >&2; done
if [ "$(readlink /proc/self/ns/net)" != "$P2C_HOST_NETNS" ]; then
  echo p2c-sandbox: network >&2
  ip link set lo up 2>/dev/null
fi
if [ "$(readlink /proc/self/ns/mnt)" != "$P2C_HOST_MNTNS" ] && mount --make-rprivate / 2>/dev/null \
   && mount --bind "$P2C_SCRATCH" "$P2C_SCRATCH" 2>/dev/null; then
  if mount -o remount,bind,ro / 2>/dev/null; then
    ok=readonly
    for m in $(awk '{print $2}' /proc/self/mounts | sort -u); do
      case "$m" in /|"$P2C_SCRATCH"|/proc|/dev|/dev/pts|/dev/shm|/dev/mqueue|*\\*) continue;; esac
      mount -o remount,bind,ro "$m" 2>/dev/null || ok=
    done
    for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs; do
      [ -e "$p" ] && { mount --bind "$p" "$p" && mount -o remount,bind,ro "$p"; } 2>/dev/null
    done
    mount -t tmpfs -o "size=${P2C_SHM_MB}m,nosuid,nodev" tmpfs /dev/shm 2>/dev/null && echo p2c-sandbox: shm >&2
    [ -n "$ok" ] && echo p2c-sandbox: readonly >&2
  fi
fi
[ "$(readlink /proc/self/ns/pid)" != "$P2C_HOST_PIDNS" ] && echo p2c-sandbox: pid >&2
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo p2c-sandbox: caps >&2
  exec setpriv --bounding-set -all --inh-caps -all --no-new-privs -- "$@"
fi
exec "$@"
"""


class SandboxDied(Exception):
    """The worker ended (killed at a limit, crashed, or timed out at the backstop)."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status  # "timeout" or "error"
        self.detail = detail


@functools.cache
def namespace_flags() -> tuple[tuple[str, ...], str]:
    """The ``unshare`` flags that work here, and why isolation is partial (empty when it is full)."""
    unshare = shutil.which("unshare")
    if unshare is None or not sys.platform.startswith("linux"):
        return (), "no unshare(1) on this system: no network, PID or mount namespace"
    base = ("--net", "--pid", "--fork", "--kill-child", "--mount-proc")
    for extra in ((), ("--user", "--map-root-user")):
        flags = (unshare, *extra, *base)
        try:
            ok = subprocess.run([*flags, "true"], stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return flags, ""
    return (), "unshare is not permitted here (no CAP_SYS_ADMIN, no user namespaces)"


def sandbox_env(scratch: Path, control: Path, threads: int, shm_mb: int) -> dict[str, str]:
    """The worker's environment: an allow-list, secrets dropped even when allowed by name."""
    env = {k: v for k, v in os.environ.items() if k in _ENV_ALLOW and not _SECRET.search(k)}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    home, tmp = scratch / ".home", scratch / ".tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    n = str(threads)

    def ns(kind: str) -> str:
        try:
            return os.readlink(f"/proc/self/ns/{kind}")
        except OSError:
            return "unknown"

    env.update({
        "HOME": str(home), "TMPDIR": str(tmp), "USER": "p2c", "LOGNAME": "p2c",
        "PYTHONPATH": _AGENT_ROOT, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n,
        "TORCHINDUCTOR_CACHE_DIR": str(tmp / "inductor"), "TRITON_CACHE_DIR": str(tmp / "triton"),
        "TORCHINDUCTOR_COMPILE_THREADS": "1", "XDG_CACHE_HOME": str(home / ".cache"),
        "MPLCONFIGDIR": str(tmp / "mpl"), "P2C_SCRATCH": str(scratch), "P2C_CONTROL": str(control),
        "P2C_SHM_MB": str(shm_mb), "P2C_HOST_MNTNS": ns("mnt"), "P2C_HOST_NETNS": ns("net"),
        "P2C_HOST_PIDNS": ns("pid"),
    })
    return env


class Sandbox:
    """One warm worker. ``request`` sends a JSON message and waits for the reply."""

    def __init__(self, scratch: Path, control: Path, *, threads: int, memory_mb: int, max_pids: int) -> None:
        self.scratch = scratch
        self.control = control
        self.threads = threads
        self.memory_mb = memory_mb
        self.max_pids = max_pids
        self.proc: subprocess.Popen[bytes] | None = None
        self.group: cgroup.SandboxCgroup | None = None
        self._req_w = self._resp_r = -1
        self._buffer = b""
        self.log_path = control / f"worker-{time.monotonic_ns()}.log"

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, hello: dict[str, Any], timeout_s: float = 120.0) -> dict[str, Any]:
        """Start the worker and send ``hello``; return its reply (the environment it found)."""
        flags, self.ns_problem = namespace_flags()
        self.group = cgroup.SandboxCgroup.create(self.max_pids, self.memory_mb * 1024 * 1024)
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        cmd = [sys.executable, "-B", "-s", "-m", "agent.validate.worker", str(req_r), str(resp_w)]
        cmd = [*flags, "sh", "-c", PRELUDE, "p2c-sandbox", *cmd]
        env = sandbox_env(self.scratch, self.control, self.threads, max(64, self.memory_mb // 2))
        env["P2C_CGROUP_PROCS"] = " ".join(str(d / "cgroup.procs") for d in self.group.dirs)
        # no preexec_fn: Popen stays safe to call from several threads at once
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.scratch,
                env=env, pass_fds=(req_r, resp_w), start_new_session=True,
            )
        os.close(req_r)
        os.close(resp_w)
        return self.request(hello, timeout_s)

    def isolation(self) -> dict[str, Any]:
        """What this sandbox applied, read from the prelude's marker file and the cgroup."""
        marks = {line.split(":", 1)[1].strip() for line in self.log_head().splitlines()
                 if line.startswith("p2c-sandbox:")}
        group = self.group or cgroup.SandboxCgroup()
        problems = ([self.ns_problem] if getattr(self, "ns_problem", "") else []) + group.problems
        problems += [line.split(":", 1)[1].strip() for line in self.log_head().splitlines()
                     if line.startswith("p2c-sandbox-problem:")]
        if "readonly" not in marks and "pid" in marks:
            problems.append("could not make the filesystem read-only outside the scratch folder")
        return {
            "network_isolated": "network" in marks,
            "pid_namespace": "pid" in marks,
            "readonly_filesystem": "readonly" in marks,
            "capabilities_dropped": "caps" in marks,
            "cgroup_pids": group.pids,
            "cgroup_memory": group.memory,
            "memory_limit_mb": self.memory_mb,
            "max_pids": self.max_pids if group.pids else None,
            "problems": problems,
        }

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self, graceful: bool = False) -> None:
        """Kill the whole tree (session, PID namespace, cgroup) and release everything. ``graceful``
        first asks an idle worker to exit (so its CPU time is accounted to this process's children)."""
        if graceful and self.alive() and self._req_w >= 0:
            try:
                os.write(self._req_w, b'{"op": "exit"}\n')
                self.proc.wait(timeout=3)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc is not None:
            if self.proc.poll() is None:
                kill_process_group(self.proc)
        if self.group is not None:
            self.group.remove()
        for fd in (self._req_w, self._resp_r):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._req_w = self._resp_r = -1

    def log_head(self, limit: int = 4000) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                return fh.read(limit).decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, limit: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - limit))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(ln for ln in text.splitlines() if not ln.startswith("p2c-sandbox:")).strip()

    # -- messaging ------------------------------------------------------------------------------
    def request(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send ``message``, return the reply; raise :class:`SandboxDied` on death or backstop."""
        data = (json.dumps(message) + "\n").encode()
        try:
            while data:
                written = os.write(self._req_w, data)
                data = data[written:]
        except OSError as exc:
            raise self._died(f"the worker stopped taking requests ({exc.strerror})") from None
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise SandboxDied("timeout", f"no answer within {timeout_s:.0f}s; the sandbox was killed")
            ready, _, _ = select.select([self._resp_r], [], [], min(remaining, 0.5))
            if ready:
                chunk = os.read(self._resp_r, 1 << 16)
                if not chunk:
                    raise self._died("the worker exited")
                self._buffer += chunk
            elif not self.alive():
                raise self._died("the worker exited")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _died(self, what: str) -> SandboxDied:
        rc = self.proc.poll() if self.proc is not None else None
        oom = self.group.oom_kills() if self.group is not None else 0
        self.close()
        reason = what
        if rc is not None and rc < 0:
            reason += f" (signal {signal.Signals(-rc).name})"
        elif rc:
            reason += f" (exit code {rc})"
        if oom:
            reason += f"; the memory limit of {self.memory_mb} MB was hit"
        tail = self.log_tail()
        return SandboxDied("error", reason + (f"\n--- worker output ---\n{tail}" if tail else ""))
