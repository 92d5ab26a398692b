"""The executed checks (run inside the sandbox, one forked child per check).

Each module registers its checks with :func:`agent.validate.checks.common.check`;
:func:`run_check` turns a request from the worker into a result dict.
"""

from __future__ import annotations

import random
import time
import traceback
from typing import Any

from agent.validate.checks import (  # noqa: F401  (registration)
    compiled,
    distributed,
    gradients,
    numerics,
    profiling,
    properties,
    structural,
    training,
)
from agent.validate.checks.common import REGISTRY, CheckFailed, CheckSkipped, ModuleContext, short_error, user_location

DEVICE_CHECKS = ("profile", "compile", "smoke_train")  # the rest run on the CPU, in float64 where it matters


class EnvironmentProblem(Exception):
    """The machine cannot run the check as asked (reported as an error, not as the code's failure)."""


def resolve_device(requested: str) -> str:
    """``auto`` -> cuda when available, else cpu. Only called inside a check child (never the parent)."""
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise EnvironmentProblem("--device cuda was asked but no CUDA device is visible in the sandbox")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def run_check(message: dict[str, Any]) -> dict[str, Any]:
    """Run ``message["check"]`` for ``message["scope"]``; return status, detail, data, seconds."""
    import torch

    name, scope, seed = message["check"], message["scope"], int(message.get("seed", 0))
    torch.set_num_threads(int(message.get("threads", 2)))
    torch.manual_seed(seed)
    random.seed(seed)
    fn = REGISTRY.get((name, scope))
    started = time.perf_counter()
    data: dict[str, Any] = {}
    device = "cpu"
    if fn is None:
        return {"status": "error", "detail": f"no check {name!r} for {scope}"}
    try:
        if name in DEVICE_CHECKS:
            message["device_resolved"] = resolve_device(message.get("device", "auto"))
        device = message.get("device_resolved", "cpu")
        ctx = ModuleContext(message["spec"], seed, device, message) if scope == "module" else message
        outcome = fn(ctx)
        detail, data = outcome if isinstance(outcome, tuple) else (outcome, {})
        status = "pass"
    except CheckFailed as exc:
        status, detail = "fail", str(exc)
    except CheckSkipped as exc:
        status, detail = "skip", str(exc)
    except EnvironmentProblem as exc:
        status, detail = "error", str(exc)
    except (SystemExit, KeyboardInterrupt) as exc:
        status, detail = "fail", f"the code raised {type(exc).__name__}({exc}) (at {user_location(exc) or '?'})"
    except MemoryError:
        status, detail = "error", "MemoryError: the memory limit was reached"
    except Exception as exc:  # noqa: BLE001
        if user_location(exc):
            status, detail = "fail", f"raised {short_error(exc)}"
        else:
            tb = "".join(traceback.format_exception(exc)[-3:])
            status, detail = "error", f"{short_error(exc)}\n{tb[-1200:]}"
    return {"status": status, "detail": detail, "data": data, "check_seconds": time.perf_counter() - started,
            "device_resolved": device}
