"""Read a generated folder's ``plan.json`` and ``paper.json`` back into :class:`Plan` and :class:`Paper`.

The drafter writes both files (``agent.draft.project``); chat reads them to change the plan and render
the project again. Unknown keys are ignored, so a plan written by a newer paper2code still loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.errors import UserError
from agent.types import Paper, Plan, PlannedComponent, PlannedEquation, PlannedHyperparameter

PLAN_FILE = "plan.json"
PAPER_FILE = "paper.json"


def _build(cls: type, item: Any, where: str) -> Any:
    if not isinstance(item, dict):
        raise UserError(f"{where}: expected an object, got {type(item).__name__}")
    names = set(cls.__dataclass_fields__)
    try:
        return cls(**{k: v for k, v in item.items() if k in names})
    except TypeError as exc:  # a required field is missing
        raise UserError(f"{where}: {exc}") from None


def plan_from_dict(data: dict[str, Any], where: str = PLAN_FILE) -> Plan:
    """Rebuild a :class:`Plan` from ``Plan.to_dict()`` output (as written to plan.json)."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a JSON object")
    fields = dict(data)
    components = data.get("components", [])
    hyper = data.get("hyperparameters", {})
    if not isinstance(components, list) or not isinstance(hyper, dict):
        raise UserError(f"{where}: 'components' must be a list and 'hyperparameters' an object")
    fields["components"] = [_build(PlannedComponent, c, f"{where} components[{i}]") for i, c in enumerate(components)]
    fields["hyperparameters"] = {name: _build(PlannedHyperparameter, h, f"{where} hyperparameters.{name}")
                                 for name, h in hyper.items()}
    fields["equations"] = [_build(PlannedEquation, e, f"{where} equations[{i}]")
                           for i, e in enumerate(data.get("equations") or [])]
    return _build(Plan, fields, where)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path.parent}: not a generated folder (no {path.name}); "
                        "chat works on folders made by paper2code generate") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {' '.join(str(exc).split())[:160]}") from None


def load_plan(folder: Path) -> Plan:
    """The plan in ``folder/plan.json``."""
    return plan_from_dict(_read_json(folder / PLAN_FILE), str(folder / PLAN_FILE))


def load_paper(folder: Path) -> Paper:
    """The paper in ``folder/paper.json``."""
    from agent.ingest.pdf import paper_from_dict

    data = _read_json(folder / PAPER_FILE)
    if not isinstance(data, dict):
        raise UserError(f"{folder / PAPER_FILE}: expected a JSON object")
    try:
        return paper_from_dict(data)
    except TypeError as exc:
        raise UserError(f"{folder / PAPER_FILE}: {exc}") from None
