"""Turn a component's shape contracts into ``[[module]]`` tables of a paper2code.toml manifest.

A drafter that renders components into ``<package>/model.py`` (and their reference files into modules
of their own) calls :func:`manifest_module` to have ``paper2code validate`` check them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.catalog.registry import get
from agent.types import Component, ShapeContract


def shape_fields(contract: ShapeContract) -> dict[str, Any]:
    """The optional manifest keys of a contract's shapes, in manifest order (only those it sets)."""
    fields: dict[str, Any] = {}
    if contract.integer_inputs:
        fields["integer_inputs"] = dict(contract.integer_inputs)
    if contract.dims:
        fields["dims"] = dict(contract.dims)
    if contract.output is not None:
        fields["output"] = contract.output
    if contract.properties:
        fields["properties"] = list(contract.properties)
    return fields


def expressible(contract: ShapeContract) -> bool:
    """Whether the validator can run the contract as written: it needs tensor inputs and a tensor
    output (not a schedule's float), module arguments one level deep, and the component itself as the
    target (a ``host`` contract needs the host rendered with this component in its slot)."""
    nested = any("modules" in spec for spec in contract.modules.values())
    return bool(contract.inputs) and contract.output is not None and contract.host is None and not nested


def manifest_module(
    component: Component,
    contract: ShapeContract,
    *,
    module: str,
    symbols: Mapping[str, str] | None = None,
    reference_module: str | None = None,
    name: str | None = None,
) -> dict[str, Any] | None:
    """The ``[[module]]`` table checking ``contract`` of ``component``, or None when not expressible.

    Args:
        component: the catalog component.
        contract: one of its contracts.
        module: the dotted module the rendered classes live in, e.g. ``"my_paper.model"``.
        symbols: component name -> class name where ``class_name`` renamed one (defaults: the symbols).
        reference_module: the dotted module holding the component's reference file, when copied.
        name: the manifest module name (default ``<component>_<contract>``).
    """
    if not expressible(contract):
        return None
    symbols = symbols or {}

    def target(component_name: str) -> str:
        return f"{module}:{symbols.get(component_name, get(component_name).symbol)}"

    table: dict[str, Any] = {
        "name": name or f"{component.name}_{contract.name}",
        "target": target(component.name),
        "init": dict(contract.init),
        "inputs": dict(contract.inputs),
    }
    table.update(shape_fields(contract))
    if contract.reference and reference_module:
        table["reference"] = f"{reference_module}:{contract.reference}"
    if contract.modules:
        table["modules"] = {
            arg: {"target": target(spec["component"]), "init": dict(spec.get("init", {}))}
            for arg, spec in contract.modules.items()
        }
    return table


def manifest_modules(
    names: list[str],
    *,
    module: str,
    symbols: Mapping[str, str] | None = None,
    reference_modules: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every expressible contract of the components ``names`` as manifest ``[[module]]`` tables.

    ``reference_modules`` maps a component name to the dotted module its reference file was copied to.
    """
    tables = []
    for component_name in names:
        component = get(component_name)
        for contract in component.contracts:
            table = manifest_module(
                component,
                contract,
                module=module,
                symbols=symbols,
                reference_module=(reference_modules or {}).get(component_name),
            )
            if table is not None:
                tables.append(table)
    return tables
