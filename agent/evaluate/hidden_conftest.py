"""Fixtures of the hidden tests of an evaluation suite (copied as ``conftest.py`` beside them).

The tests run with the generated implementation as working directory, so its package imports. They
find what to test through the manifest, the way ``paper2code validate`` does::

    def test_rms_norm(component):
        RMSNorm, init = component("rms_norm")         # the [[module]] named rms_norm: (object, init)
        norm = RMSNorm(**init)

Fixtures: ``project_dir``, ``manifest`` (paper2code.toml as a dict), ``plan`` (plan.json, {} when
absent), ``component(name, *symbols)``, ``training`` (the [training] table: (LightningModule class,
datamodule class, table)) and ``load(target)`` ("pkg.mod:Name" -> the object).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PROJECT = Path.cwd()
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))


def load_target(target: str) -> Any:
    """The object named by ``package.module:Name`` (``Name`` may be dotted)."""
    module_name, _, attribute = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split(".") if attribute else []:
        obj = getattr(obj, part)
    return obj


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    path = PROJECT / "paper2code.toml"
    if not path.is_file():
        pytest.fail("the implementation has no paper2code.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def plan() -> dict[str, Any]:
    path = PROJECT / "plan.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@pytest.fixture(scope="session")
def load() -> Callable[[str], Any]:
    return load_target


@pytest.fixture(scope="session")
def component(manifest: dict[str, Any]) -> Callable[..., tuple[Any, dict[str, Any]]]:
    """``component(name, *symbols)``: the [[module]] called ``name`` (or, failing that, one whose target
    names one of ``symbols``) as (class or function, its tiny init from the manifest)."""

    def find(name: str, *symbols: str) -> tuple[Any, dict[str, Any]]:
        modules = [m for m in manifest.get("module", []) if isinstance(m, dict)]
        for module in modules:
            if module.get("name") == name:
                return load_target(module["target"]), dict(module.get("init", {}))
        for module in modules:
            if str(module.get("target", "")).rpartition(":")[2] in symbols:
                return load_target(module["target"]), dict(module.get("init", {}))
        names = ", ".join(str(m.get("name")) for m in modules)
        pytest.fail(f"the manifest has no [[module]] {name!r} (nor a target named {', '.join(symbols) or '-'}); "
                    f"it has: {names}")

    return find


@pytest.fixture(scope="session")
def training(manifest: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    table = manifest.get("training")
    if not isinstance(table, dict):
        pytest.fail("the manifest has no [training] table")
    return load_target(table["module"]), load_target(table["datamodule"]), table
