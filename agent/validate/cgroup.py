"""Per-sandbox control groups: a process cap (fork bombs) and a memory cap for the whole tree.

Linux only, and only where this process may create cgroups (root in a container usually may).
cgroup v1 (``/sys/fs/cgroup/pids``, ``/sys/fs/cgroup/memory``) and v2 (``pids.max``,
``memory.max``) are both handled; when neither can be written the sandbox falls back on rlimits,
its PID namespace and process-group kills, and the report says so. The group is created below
this process's own cgroup, so limits nest inside whatever the container already imposes.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

_counter = itertools.count()


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, options) of every cgroup mount."""
    out = []
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split()
        if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
            out.append((parts[1], parts[2], set(parts[3].split(","))))
    return out


def _own_paths() -> dict[str, str]:
    """controller ('pids', 'memory', or '' for v2) -> this process's cgroup path."""
    out: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for ctl in controllers.split(",") if controllers else [""]:
            out[ctl] = path
    return out


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


@dataclass
class SandboxCgroup:
    """The cgroup directories of one sandbox (one per controller on v1, one on v2)."""

    dirs: list[Path] = field(default_factory=list)
    pids: bool = False
    memory: bool = False
    version: int = 0
    problems: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, max_pids: int, memory_bytes: int) -> SandboxCgroup:
        """Create and configure the groups; what could not be applied is listed in ``problems``."""
        group = cls()
        name = f"p2c-validate-{os.getpid()}-{next(_counter)}"
        own = _own_paths()
        mounts = _mounts()
        v1 = {ctl: mp for mp, fs, opts in mounts if fs == "cgroup" for ctl in ("pids", "memory") if ctl in opts}
        if v1:
            group.version = 1
            for ctl, limit_file, value in (("pids", "pids.max", str(max_pids)),
                                           ("memory", "memory.limit_in_bytes", str(memory_bytes))):
                if ctl not in v1:
                    group.problems.append(f"no {ctl} cgroup controller")
                    continue
                base = Path(v1[ctl]) / own.get(ctl, "/").lstrip("/")
                path = group._make(base / name, limit_file, value)
                if path is not None:
                    setattr(group, ctl, True)
                    if ctl == "memory":
                        _write(path / "memory.memsw.limit_in_bytes", str(memory_bytes))
                        _write(path / "memory.swappiness", "0")
        else:
            v2 = next((mp for mp, fs, _ in mounts if fs == "cgroup2"), None)
            if v2 is None:
                group.problems.append("no cgroup filesystem")
                return group
            group.version = 2
            base = Path(v2) / own.get("", "/").lstrip("/")
            path = group._make(base / name, "pids.max", str(max_pids))
            if path is not None:
                group.pids = True
                group.memory = _write(path / "memory.max", str(memory_bytes))
                if not group.memory:
                    group.problems.append("memory controller not enabled in the cgroup v2 tree")
        return group

    def _make(self, path: Path, limit_file: str, value: str) -> Path | None:
        try:
            path.mkdir()
        except OSError as exc:
            self.problems.append(f"cannot create {path}: {exc.strerror}")
            return None
        self.dirs.append(path)
        if not _write(path / limit_file, value):
            self.problems.append(f"cannot write {path / limit_file}")
            return None
        return path

    def pids_now(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs:
            try:
                found.update(int(x) for x in (d / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def oom_kills(self) -> int:
        """How many processes the kernel killed for memory in this group so far."""
        for d in self.dirs:
            for name in ("memory.oom_control", "memory.events"):
                try:
                    text = (d / name).read_text()
                except OSError:
                    continue
                for line in text.splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        return 0

    def kill_all(self, rounds: int = 50) -> None:
        """SIGKILL every process in the group until it is empty (new forks are caught next round)."""
        for d in self.dirs:
            if _write(d / "cgroup.kill", "1"):
                break
        for _ in range(rounds):
            pids = self.pids_now()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        self.kill_all()
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
        self.dirs = []

