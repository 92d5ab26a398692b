"""Ending child processes: a child started with ``start_new_session=True`` leads its own process
group, so one ``killpg`` ends it and everything it forked (the sandboxes, the PDF reader, runs)."""

from __future__ import annotations

import os
import signal
import subprocess


def kill_process_group(proc: subprocess.Popen[bytes], *, wait_s: float | None = 10.0) -> None:
    """SIGKILL the process group ``proc`` leads, then reap ``proc`` (unless ``wait_s`` is None)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:  # already gone, or not ours to signal
        pass
    if wait_s is not None:
        try:
            proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            pass
