"""Where a hyperparameter of an experiment goes, decided from source text (the parent never imports
the implementation): an argument of the manifest's LightningModule or datamodule is passed at run
time; a hyperparameter that only plan.json knows (fixed inside the components) is set in the plan
and redrafted.
"""

from __future__ import annotations

import ast
from pathlib import Path

from agent.errors import UserError
from agent.types import Manifest, Plan


def _module_file(folder: Path, module: str) -> Path | None:
    base = Path(folder, *module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def init_arguments(folder: Path, target: str) -> set[str] | None:
    """The keyword arguments of ``Class.__init__`` for ``target`` ("pkg.module:Class"), read from the
    source; None when that cannot be known (class not found, inherited ``__init__``, ``**kwargs``)."""
    module, _, name = target.partition(":")
    path = _module_file(folder, module)
    if path is None or not name or "." in name:
        return None
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    if cls is None:
        return None
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None or init.args.kwarg is not None:
        return None
    args = init.args
    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]} - {"self"}


def route_hyperparameters(names: list[str], folder: Path, manifest: Manifest, plan: Plan | None) -> set[str]:
    """The names among ``names`` that must be set in plan.json (and redrafted); the others are passed to
    the LightningModule or datamodule at run time.

    Raises:
        UserError: a name that neither class takes and the plan does not hold.
    """
    training = manifest.training
    assert training is not None
    module_args = init_arguments(folder, training.module)
    data_args = init_arguments(folder, training.datamodule)
    plan_level: set[str] = set()
    for name in names:
        if name in training.init or name in training.datamodule_init:
            continue
        if (module_args is not None and name in module_args) or (data_args is not None and name in data_args):
            continue
        if plan is not None and name in plan.hyperparameters:
            plan_level.add(name)
            continue
        if module_args is None or data_args is None:
            continue  # cannot tell from the source: the run reports it if neither class takes it
        known = sorted((module_args | data_args) - {"self"})
        raise UserError(f"{name!r} is not an argument of {training.module} or {training.datamodule}"
                        + (" nor a hyperparameter of plan.json" if plan is not None else "")
                        + (f"; they take: {', '.join(known)}" if known else ""))
    return plan_level
