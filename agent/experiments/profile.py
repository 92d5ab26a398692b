"""The cost of a cell from the validator's ``profile`` check (parameters, FLOPs, latency, peak
memory), run through ``agent.validate.validate_project`` in its sandbox, cached by code fingerprint."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agent.errors import UserError


def pick_model(profile: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """The profiled module with the most parameters (the whole model), as (name, data)."""
    if not profile:
        return None
    name = max(profile, key=lambda n: (profile[n].get("parameters") or 0, n))
    return name, profile[name]


def profile_folder(folder: Path, fingerprint: str, cache_dir: Path, *, device: str = "auto") -> dict[str, Any]:
    """The profile of ``folder``'s largest manifest module: {"module", "parameters", "forward_flops",
    "train_step_flops", "forward_ms", "train_step_ms", "peak_rss_mb" or "peak_memory_mb", "sizes", ...};
    {"error": ...} when the validator could not profile it."""
    from agent.types import ValidateOptions
    from agent.validate import validate_project

    cache = Path(cache_dir) / f"{fingerprint[:16]}-{device}.json"
    if cache.is_file():
        try:
            return json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    try:
        report = validate_project(folder, checks=["profile"], options=ValidateOptions(device=device))  # type: ignore[arg-type]
    except UserError as exc:
        return {"error": str(exc)}
    picked = pick_model(report.profile)
    if picked is None:
        skipped = [c.detail for c in report.checks if c.name in ("profile", "import") and c.status != "pass"]
        return {"error": (skipped[0] if skipped else "no module could be profiled")[:300]}
    name, data = picked
    result = {"module": name, **data}
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, cache)
    return result
