"""Plan variants: an implementation's plan.json with a component swapped or a hyperparameter set,
redrafted into a folder of its own (the implementation itself is never touched).

``load_plan`` / ``load_paper`` read plan.json and paper.json back into dataclasses; ``vary`` returns a
changed copy of a plan (slot parameters re-wired with the planner's ``wire``); ``draft_variant``
renders it into ``<out>/variants/<hash>/`` once and reuses it afterwards; ``fingerprint`` hashes the
code of a folder so that runs are repeated only when the code they trained changed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from agent.errors import UserError
from agent.types import Paper, Plan, PlannedComponent, PlannedEquation, PlannedHyperparameter

PLAN_FILE = "plan.json"
PAPER_FILE = "paper.json"
SKIP_NAMES = {".git", "__pycache__", ".paper2code", "lightning_logs", ".pytest_cache", ".ruff_cache", ".venv",
              "venv", "node_modules", "checkpoints"}
NOT_CODE_SUFFIXES = (".md", ".pyc", ".ckpt", ".png")
NOT_CODE_NAMES = {"validation.json"}


def _build(cls: type, item: dict[str, Any]) -> Any:
    names = set(cls.__dataclass_fields__)
    return cls(**{k: v for k, v in item.items() if k in names})


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Rebuild a :class:`Plan` from ``Plan.to_dict()`` output (plan.json)."""
    if not isinstance(data, dict) or not isinstance(data.get("components"), list):
        raise UserError("plan.json: expected an object with a 'components' list")
    fields = dict(data)
    fields["components"] = [_build(PlannedComponent, c) for c in data["components"]]
    fields["hyperparameters"] = {name: _build(PlannedHyperparameter, h)
                                 for name, h in (data.get("hyperparameters") or {}).items()}
    fields["equations"] = [_build(PlannedEquation, e) for e in data.get("equations") or []]
    try:
        return _build(Plan, fields)
    except TypeError as exc:
        raise UserError(f"plan.json: {exc}") from None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: unreadable ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    return data


def load_plan(folder: Path) -> Plan | None:
    """The plan of a generated implementation, or None when the folder has no plan.json."""
    path = Path(folder) / PLAN_FILE
    return plan_from_dict(_read_json(path)) if path.is_file() else None


def load_paper(folder: Path) -> Paper:
    """The paper.json of a generated implementation, as a :class:`Paper`."""
    from agent.ingest.pdf import paper_from_dict

    path = Path(folder) / PAPER_FILE
    if not path.is_file():
        raise UserError(f"{folder}: no paper.json (needed to redraft a variant of the implementation)")
    try:
        return paper_from_dict(_read_json(path))
    except TypeError as exc:
        raise UserError(f"{path}: {exc}") from None


def plan_slots(plan: Plan) -> list[str]:
    """The slots filled in the plan (model, block, attention, norm, ...), in order."""
    return [c.slot for c in plan.components]


def _reset_slot_params(entry: PlannedComponent) -> None:
    from agent.catalog import get

    component = get(entry.component)
    for name, param in component.params.items():
        if param.slot:
            entry.params.pop(name, None)


def vary(plan: Plan, swaps: dict[str, str] | None = None, hyperparameters: dict[str, Any] | None = None) -> Plan:
    """A copy of ``plan`` with components swapped in slots and hyperparameters set, re-wired.

    Raises:
        UserError: a slot the plan does not have, or a component that does not fill that slot.
    """
    from agent.catalog import get
    from agent.plan.offline import wire

    variant = copy.deepcopy(plan)
    swaps = swaps or {}
    if swaps:
        slots = plan_slots(variant)
        for slot, name in swaps.items():
            if slot not in slots:
                raise UserError(f"the plan has no {slot!r} slot to swap (its slots: {', '.join(slots)})")
            if get(name).slot != slot:
                raise UserError(f"{name} fills the slot {get(name).slot!r}, not {slot!r}")
        model = variant.components[0]
        chosen: dict[str, PlannedComponent] = {}
        for entry in variant.components[1:]:
            if entry.evidence.startswith("required by ") or entry.slot in chosen:
                continue  # re-derived by wire() from whatever needs it now
            if entry.slot in swaps and entry.component != swaps[entry.slot]:
                was = entry.component
                entry = PlannedComponent(slot=entry.slot, component=swaps[entry.slot],
                                         evidence=f"experiment variant: {swaps[entry.slot]} in place of {was}",
                                         assumed=True, params={k: v for k, v in entry.params.items()
                                                               if k == "targets"})
            _reset_slot_params(entry)
            chosen[entry.slot] = entry
        if "model" in swaps and swaps["model"] != model.component:
            raise UserError("the model itself cannot be swapped; swap its parts (block, attention, norm, ...)")
        components = wire(model.component, chosen)
        components[0].evidence, components[0].section, components[0].assumed = (
            model.evidence, model.section, model.assumed)
        model_params = get(model.component).params
        kept = {k: v for k, v in model.params.items() if k not in model_params or not model_params[k].slot}
        components[0].params = {**kept, **components[0].params}
        variant.components = components
    for name, value in (hyperparameters or {}).items():
        old = variant.hyperparameters.get(name)
        variant.hyperparameters[name] = PlannedHyperparameter(
            value=value, source="assumed", evidence=f"experiment variant: set to {value!r}"
            + (f" (plan: {old.value!r})" if old is not None else ""), symbol=old.symbol if old else None)
    return variant


def render(plan: Plan, paper: Paper) -> dict[str, str]:
    """The files the offline drafter makes from ``plan`` ({relative path: text})."""
    from agent.draft.project import render_files

    _, files = render_files(plan, paper)
    return files


def _digest(files: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return h.hexdigest()


def draft_variant(plan: Plan, paper: Paper, out: Path) -> Path:
    """Render ``plan`` into ``out/variants/<hash>`` (skipped when that folder is complete) and return it."""
    files = render(plan, paper)
    digest = _digest(files)[:16]
    folder = Path(out) / "variants" / digest
    if (folder / ".variant").is_file() and (folder / ".variant").read_text().strip() == digest:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{digest}-", dir=folder.parent))
    try:
        from agent.draft.files import write_files

        write_files(tmp, files)
        (tmp / ".variant").write_text(digest + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def hand_edited(folder: Path, plan: Plan, paper: Paper) -> list[str]:
    """Code files of ``folder`` that differ from a fresh draft of its own plan (hand edits), sorted."""
    files = render(plan, paper)
    changed = []
    for name, text in files.items():
        if name.endswith(NOT_CODE_SUFFIXES) or name in NOT_CODE_NAMES or not name.endswith((".py", ".toml", ".yaml")):
            continue
        path = Path(folder) / name
        try:
            if path.read_text(encoding="utf-8") != text:
                changed.append(name)
        except (OSError, UnicodeDecodeError):
            changed.append(name)
    return sorted(changed)


def code_files(folder: Path, exclude: Path | None = None) -> list[Path]:
    """The files that determine a training run (code, manifest, config), sorted, relative to ``folder``;
    ``exclude`` (e.g. the experiment's output folder inside it) is left out."""
    root = Path(folder)
    skip = Path(exclude).resolve() if exclude is not None else None
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_NAMES and not d.startswith(".p2c")
                             and (skip is None or (Path(dirpath) / d).resolve() != skip))
        for name in filenames:
            if name.endswith(NOT_CODE_SUFFIXES) or name in NOT_CODE_NAMES or name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root))
    return sorted(found)


def fingerprint(folder: Path, exclude: Path | None = None) -> str:
    """A hash of the folder's code files (names and bytes)."""
    h = hashlib.sha256()
    for rel in code_files(folder, exclude):
        h.update(rel.as_posix().encode() + b"\0")
        h.update((Path(folder) / rel).read_bytes() + b"\0")
    return h.hexdigest()
