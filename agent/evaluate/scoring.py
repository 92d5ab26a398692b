"""Score a generated implementation against a case's expectations: which catalog components it uses,
and which hyperparameters carry the paper's values.

What the implementation chose is read from its files: ``plan.json`` (the offline generator drafts
exactly what it planned), the manifest's ``[[module]]`` names and targets (what any generator wired up
and validated), and ``config.yaml`` (the settings the training entry point reads).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from agent.types import CaseScore, Plan

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def values_match(expected: Any, got: Any) -> bool:
    """Equal as hyperparameter values: numbers to 1e-6 relative, strings ignoring case and spaces,
    booleans exactly; an int and an equal float match (``128 == 128.0``)."""
    if got is None:
        return False
    if isinstance(expected, bool) or isinstance(got, bool):
        return isinstance(expected, bool) and isinstance(got, bool) and expected == got
    if isinstance(expected, (int, float)):
        number = _number(got)
        return number is not None and math.isclose(float(expected), number, rel_tol=1e-6, abs_tol=1e-12)
    if isinstance(expected, str):
        return isinstance(got, str) and "".join(expected.lower().split()) == "".join(got.lower().split())
    if isinstance(expected, list):
        return isinstance(got, (list, tuple)) and len(expected) == len(got) and all(
            values_match(e, g) for e, g in zip(expected, got))
    return bool(expected == got)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def plan_choices(plan: Plan | dict[str, Any]) -> tuple[set[str], dict[str, Any]]:
    """(component names, {hyperparameter: value}) of a plan or a plan.json mapping."""
    data = plan.to_dict() if isinstance(plan, Plan) else plan
    components = {str(c.get("component")) for c in data.get("components", []) if isinstance(c, dict)}
    hyperparameters = {}
    for name, entry in (data.get("hyperparameters") or {}).items():
        hyperparameters[name] = entry.get("value") if isinstance(entry, dict) else entry
    return components, hyperparameters


def manifest_components(folder: Path) -> set[str]:
    """Catalog names the manifest's modules stand for: a module's ``name``, and the catalog component
    whose main symbol its target names (``pkg.model:RMSNorm`` -> ``rms_norm``)."""
    path = folder / "paper2code.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return set()
    from agent.catalog.registry import all_components

    by_symbol = {c.symbol: c.name for c in all_components()}
    found: set[str] = set()
    for module in data.get("module", []):
        if not isinstance(module, dict):
            continue
        found.add(str(module.get("name", "")))
        symbol = str(module.get("target", "")).rpartition(":")[2].rpartition(".")[2]
        if symbol in by_symbol:
            found.add(by_symbol[symbol])
    return found - {""}


def config_values(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scalar settings of ``config.yaml``: (those of its ``model`` and ``trainer`` sections, which the
    LightningModule and the Trainer run with; every other one, e.g. the synthetic data's), by key
    (``model.d_model`` -> ``d_model``; the first setting of a key wins)."""
    path = folder / "config.yaml"
    try:
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ImportError):
        return {}, {}
    except Exception:  # yaml.YAMLError: a model may write anything
        return {}, {}

    def flat(node: Any, into: dict[str, Any]) -> dict[str, Any]:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    flat(value, into)
                else:
                    into.setdefault(str(key), value)
        elif isinstance(node, list):
            for item in node:
                flat(item, into)
        return into

    if not isinstance(data, dict):
        return {}, flat(data, {})
    run = flat([data.get("model"), data.get("trainer")], {})
    other = flat({k: v for k, v in data.items() if k not in ("model", "trainer")}, {})
    return run, other


def implementation_choices(folder: Path, *, trust_plan: bool) -> tuple[set[str], dict[str, Any]]:
    """What the implementation in ``folder`` uses: components and hyperparameter values.

    Args:
        folder: the generated implementation.
        trust_plan: read plan.json too (true for the offline generator, which drafts its plan: the plan
            fills in what config.yaml does not set, e.g. head_dim); an LLM run's plan.json is only the
            hint it was given, so its own files decide. Either way the settings the model and trainer
            run with (config.yaml's model and trainer sections) win.
    """
    components = manifest_components(folder)
    run, other = config_values(folder)
    planned_values: dict[str, Any] = {}
    plan_path = folder / "plan.json"
    if trust_plan and plan_path.is_file():
        try:
            planned, planned_values = plan_choices(json.loads(plan_path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            planned = set()
        components |= planned
    return components, {**other, **planned_values, **run}


def score_choices(score: CaseScore, expected_components: list[str], expected_hyperparameters: dict[str, Any],
                  components: set[str], hyperparameters: dict[str, Any]) -> None:
    """Fill the component and hyperparameter fields of ``score``."""
    score.components_found = [c for c in expected_components if c in components]
    score.components_missing = [c for c in expected_components if c not in components]
    score.hyperparameters_right = []
    score.hyperparameters_wrong = {}
    for name, value in expected_hyperparameters.items():
        got = hyperparameters.get(name)
        if values_match(value, got):
            score.hyperparameters_right.append(name)
        else:
            score.hyperparameters_wrong[name] = {"expected": value, "got": got}
