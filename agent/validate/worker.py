"""The warm worker inside the sandbox: ``python -m agent.validate.worker REQ_FD RESP_FD``.

It imports torch (and Lightning when the run trains) once, then serves checks one at a time:
for each request it forks a child that runs the check in a copy of the warm interpreter, so no
check pays a fresh torch import and no check can leave state behind for the next. The worker
never imports the implementation itself and never initialises CUDA (children may). Per check
it enforces the wall-clock limit, a CPU-time limit (RLIMIT_CPU), an address-space limit
(RLIMIT_AS, CPU runs only) and an output cap; when it is the init of its PID namespace it then
kills every other process in the namespace, so nothing a check started outlives it.

Protocol: one JSON object per line. ``{"op": "hello", ...}`` -> environment;
``{"op": "check", ...}`` -> ``{"status", "detail", "seconds", "data"}``; ``{"op": "exit"}``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import select
import signal
import sys
import time
from typing import Any

TAIL_BYTES = 4000


def _not_dumpable() -> bool:
    """prctl(PR_SET_DUMPABLE, 0): the checks (forked from here, same uid, no capabilities) can then
    neither ptrace this process nor open /proc/1/fd or /proc/1/mem to forge results on its pipes."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) == 0  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        return False


def main(argv: list[str]) -> int:
    req_fd, resp_fd = int(argv[0]), int(argv[1])
    protected = _not_dumpable()
    os.set_inheritable(req_fd, False)
    os.set_inheritable(resp_fd, False)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    requests = os.fdopen(req_fd, "rb")
    state: dict[str, Any] = {"protected": protected}
    for line in requests:
        message = json.loads(line)
        op = message.get("op")
        if op == "exit":  # skip interpreter teardown (seconds with Lightning loaded): nothing is left to do
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        if op == "hello":
            reply = hello(message, state)
        elif op == "check":
            reply = run_forked(message, (req_fd, resp_fd))
        else:
            reply = {"status": "error", "detail": f"unknown op {op!r}"}
        _write_all(resp_fd, (json.dumps(reply) + "\n").encode())
    return 0


def hello(message: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Import what every check needs; report the environment (without touching CUDA)."""
    started = time.perf_counter()
    sys.path.insert(0, message["workdir"])
    os.chdir(message["workdir"])
    import torch
    import torch.utils.flop_counter  # noqa: F401  (profile; slow to import on first use)

    import agent.validate.checks  # noqa: F401  (the check code, torch-level imports)

    for name in message.get("preload", []):
        try:
            __import__(name)
        except Exception as exc:  # a missing optional library is reported by the check that needs it
            state.setdefault("preload_errors", []).append(f"{name}: {exc}")
    return {
        "ok": True,
        "environment": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "torch_threads": message.get("threads"),
            "pid_in_sandbox": os.getpid(),
            "worker_start_s": round(time.perf_counter() - started, 2),
            "preload_errors": state.get("preload_errors", []),
            "worker_not_dumpable": state.get("protected", False),
        },
    }


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


def _child(message: dict[str, Any], res_w: int, out_w: int, close: tuple[int, ...]) -> None:
    """In the forked child: set limits, run the check, send the result, exit."""
    code = 0
    try:
        os.setpgid(0, 0)
        for fd in close:
            os.close(fd)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.close(out_w)
        cpu = int(message["cpu_s"])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
        if message.get("memory_as_mb"):
            limit = int(message["memory_as_mb"]) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from agent.validate.checks import run_check

        result = run_check(message)
    except BaseException as exc:  # noqa: BLE001 - the harness must answer whatever happened
        result = {"status": "error", "detail": f"harness error: {type(exc).__name__}: {exc}"}
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    try:
        payload = json.dumps(result, default=str)
    except (TypeError, ValueError) as exc:
        payload = json.dumps({"status": "error", "detail": f"unserialisable result: {exc}"})
    _write_all(res_w, payload.encode())
    os._exit(code)


def run_forked(message: dict[str, Any], own_fds: tuple[int, int]) -> dict[str, Any]:
    """Fork a child for one check, watch it, and always return a result."""
    res_r, res_w = os.pipe()
    out_r, out_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        _child(message, res_w, out_w, (res_r, out_r, *own_fds))
    os.close(res_w)
    os.close(out_w)
    timeout = float(message["timeout_s"])
    cap = int(message.get("output_cap", 4 << 20))
    deadline = started + timeout
    result_bytes = b""
    tail = b""
    out_total = 0
    verdict: tuple[str, str] | None = None
    exited: int | None = None  # the child's wait status once it is gone
    open_fds = [res_r, out_r]
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            verdict = ("timeout", f"wall-clock limit of {timeout:.0f}s reached")
            break
        if open_fds:
            ready, _, _ = select.select(open_fds, [], [], min(remaining, 0.25))
        else:
            ready = []
            time.sleep(min(remaining, 0.05))
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.remove(fd)
            elif fd == res_r:
                result_bytes += chunk
            else:
                out_total += len(chunk)
                tail = (tail + chunk)[-TAIL_BYTES:]
        if out_total > cap:
            verdict = ("error", f"output flood: more than {cap // 1024} KiB written; the check was stopped")
            break
        done, raw = os.waitpid(pid, os.WNOHANG)
        if done:  # the result (written before exit) is in the pipe even if a grandchild holds it open
            exited = raw
            result_bytes += _drain(res_r, limit=None)
            break
    status = _reap(pid, verdict is not None, exited)
    tail += _drain(out_r)
    for fd in (res_r, out_r):
        os.close(fd)
    seconds = time.perf_counter() - started
    output = tail[-TAIL_BYTES:].decode("utf-8", "replace").strip()
    if verdict is None and result_bytes:
        try:
            result = json.loads(result_bytes)
        except ValueError:
            result = {"status": "error", "detail": "the check sent a malformed result"}
    elif verdict is None:
        result = {"status": "error", "detail": f"the check process died without a result ({status})"}
        if "SIGXCPU" in status:
            result = {"status": "timeout", "detail": f"CPU-time limit of {message['cpu_s']}s reached"}
    else:
        result = {"status": verdict[0], "detail": verdict[1]}
    result["seconds"] = round(seconds, 3)
    result["output_bytes"] = out_total
    if result["status"] in ("error", "timeout") and output:
        result["detail"] = f"{result['detail']}\n--- output (last lines) ---\n{_last_lines(output)}"
    elif output:
        result["output_tail"] = _last_lines(output, 800)
    return result


def _last_lines(text: str, limit: int = 1500) -> str:
    return text[-limit:]


def _drain(fd: int, limit: int | None = TAIL_BYTES * 4) -> bytes:
    """What ``fd`` holds right now (without blocking); the last TAIL_BYTES unless ``limit`` is None."""
    data = b""
    while limit is None or len(data) < limit:
        ready, _, _ = select.select([fd], [], [], 0)
        if not ready:
            break
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        data += chunk
    return data if limit is None else data[-TAIL_BYTES:]


def _reap(pid: int, kill: bool, raw: int | None) -> str:
    """Wait for the check child (unless ``raw`` says it is gone); kill it first if asked; then, as
    init of the sandbox's PID namespace, end every other process so nothing outlives the check."""
    if kill:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    if raw is None:
        try:
            _, raw = os.waitpid(pid, 0)
        except ChildProcessError:
            raw = None
    status = "already reaped" if raw is None else _describe(raw)
    if os.getpid() == 1:  # init of the sandbox's PID namespace: end every leftover process
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    return status


def _describe(raw: int) -> str:
    if os.WIFSIGNALED(raw):
        sig = os.WTERMSIG(raw)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"killed by {name}"
    return f"exit code {os.WEXITSTATUS(raw)}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
