"""Load the component metadata (``codegen_templates/components/*.toml``) into :class:`Component`.

The metadata is read once per process and checked strictly: an unknown key, a missing field, a
template that does not exist or a slot parameter whose default names no component is a bug in the
catalog and raises :class:`CatalogBug` naming the file.
"""

from __future__ import annotations

import difflib
import functools
import sys
from pathlib import Path
from typing import Any

from agent.errors import UserError
from agent.resources import templates_dir
from agent.types import Component, ComponentCues, ComponentParam, ComponentReference, ShapeContract

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FAMILIES = (
    "attention",
    "position",
    "norm",
    "ffn",
    "block",
    "embedding",
    "model",
    "diffusion",
    "loss",
    "schedule",
    "adapter",
    "misc",
)
_REQUIRED = ("name", "family", "slot", "summary", "kind", "symbol", "paper", "imports", "reference")
_OPTIONAL = (
    "template",
    "requires",
    "params",
    "cite",
    "cues",
    "contracts",
    "traits",
    "interface",
    "symbols",
    "fixed",
    "reference_file",
)
_PARAM_KEYS = {"default", "canonical", "slot", "optional", "choices", "doc"}
_CONTRACT_KEYS = {
    "name",
    "init",
    "inputs",
    "dims",
    "output",
    "properties",
    "integer_inputs",
    "modules",
    "reference",
    "host",
}


class CatalogBug(Exception):
    """The shipped catalog metadata is inconsistent (a bug in paper2code, not in user input)."""


def components_dir() -> Path:
    """The folder holding the component templates and their metadata."""
    return templates_dir() / "components"


def _check_keys(where: str, data: dict[str, Any], allowed: set[str] | tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise CatalogBug(f"{where}: unknown key(s) {', '.join(unknown)}")


def _parse(path: Path) -> Component:
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogBug(f"{where}: {exc}") from exc
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise CatalogBug(f"{where}: missing key(s) {', '.join(missing)}")
    _check_keys(where, data, _REQUIRED + _OPTIONAL)
    if data["name"] != path.stem:
        raise CatalogBug(f"{where}: name {data['name']!r} differs from the file name")
    if data["family"] not in FAMILIES:
        raise CatalogBug(f"{where}: family {data['family']!r} is not one of {', '.join(FAMILIES)}")
    if data["kind"] not in ("class", "function"):
        raise CatalogBug(f"{where}: kind must be 'class' or 'function'")
    params: dict[str, ComponentParam] = {}
    for pname, spec in data.get("params", {}).items():
        if not isinstance(spec, dict) or "default" not in spec:
            raise CatalogBug(f"{where}: params.{pname} needs a table with a default")
        _check_keys(f"{where}: params.{pname}", spec, _PARAM_KEYS)
        params[pname] = ComponentParam(name=pname, **spec)
        if spec.get("slot") and spec["default"] == "":
            params[pname].optional = True
    contracts = []
    for i, spec in enumerate(data.get("contracts", [])):
        _check_keys(f"{where}: contracts[{i}]", spec, _CONTRACT_KEYS)
        if "init" not in spec or "inputs" not in spec:
            raise CatalogBug(f"{where}: contracts[{i}] needs init and inputs")
        contracts.append(ShapeContract(name=spec.get("name", f"contract{i}"), **{
            k: v for k, v in spec.items() if k != "name"
        }))
    ref = data["reference"]
    _check_keys(f"{where}: reference", ref, {"kind", "target", "test"})
    cues = data.get("cues", {})
    _check_keys(f"{where}: cues", cues, {"phrases", "citations", "equations"})
    template = data.get("template", f"{data['name']}.py.j2")
    if not (path.parent / template).is_file():
        raise CatalogBug(f"{where}: template {template} not found")
    reference_file = data.get("reference_file")
    if reference_file is not None and not (path.parent / reference_file).is_file():
        raise CatalogBug(f"{where}: reference_file {reference_file} not found")
    return Component(
        name=data["name"],
        family=data["family"],
        slot=data["slot"],
        summary=data["summary"],
        kind=data["kind"],
        symbol=data["symbol"],
        template=template,
        paper=data["paper"],
        imports=list(data["imports"]),
        requires=list(data.get("requires", [])),
        params=params,
        cite=dict(data.get("cite", {})),
        cues=ComponentCues(**cues),
        contracts=contracts,
        reference=ComponentReference(**ref),
        traits=list(data.get("traits", [])),
        interface=data.get("interface", ""),
        symbols=list(data.get("symbols", [data["symbol"]])),
        fixed=dict(data.get("fixed", {})),
        reference_file=reference_file,
    )


@functools.cache
def _catalog() -> dict[str, Component]:
    catalog: dict[str, Component] = {}
    for path in sorted(components_dir().glob("*.toml")):
        component = _parse(path)
        catalog[component.name] = component
    for component in catalog.values():
        for dep in component.requires:
            if dep not in catalog:
                raise CatalogBug(f"{component.name}.toml: requires unknown component {dep!r}")
        for param in component.params.values():
            if param.slot and param.default and param.default not in catalog:
                raise CatalogBug(
                    f"{component.name}.toml: params.{param.name} default {param.default!r} is no component"
                )
    return catalog


def all_components() -> list[Component]:
    """Every component, sorted by family then name."""
    return sorted(_catalog().values(), key=lambda c: (FAMILIES.index(c.family), c.name))


def close_matches(name: str, n: int = 3) -> list[str]:
    """Component names that look like ``name`` (for "did you mean" messages)."""
    names = list(_catalog())
    lowered = name.lower().replace("-", "_")
    hits = difflib.get_close_matches(lowered, names, n=n, cutoff=0.5)
    hits += [c for c in names if lowered and lowered in c and c not in hits]
    return hits[:n]


def get(name: str) -> Component:
    """The component called ``name``; :class:`UserError` with close matches when there is none."""
    catalog = _catalog()
    if name in catalog:
        return catalog[name]
    hint = close_matches(name)
    suffix = f"; did you mean {', '.join(hint)}?" if hint else "; see 'paper2code templates list'"
    raise UserError(f"no component named {name!r} in the catalog{suffix}")


def by_slot(slot: str) -> list[Component]:
    """Components that fill ``slot`` (e.g. "attention", "norm", "lr_schedule")."""
    return [c for c in all_components() if c.slot == slot]


def by_family(family: str) -> list[Component]:
    """Components of ``family`` (one of :data:`FAMILIES`)."""
    return [c for c in all_components() if c.family == family]


def reference_source(name: str) -> str | None:
    """Source of the component's reference functions (``fn(module, **inputs) -> expected``), if any.

    These compute the expected output from the module's own weights with a trusted implementation
    (torch built-ins); a drafter copies them into a generated project for the ``reference`` check.
    """
    component = get(name)
    if component.reference_file is None:
        return None
    return (components_dir() / component.reference_file).read_text(encoding="utf-8")
