"""Shared helpers of the catalog tests: load rendered components and run their shape contracts."""

from __future__ import annotations

import functools
import json
import re
import sys
import types
from collections.abc import Mapping
from typing import Any

import torch

from agent.catalog import get, render_module
from agent.types import Component, ShapeContract

SIZES = (1, 3, 5)  # drawn sizes of free axes: size 1, odd, prime


@functools.cache
def _load(key: str) -> types.ModuleType:
    names, params = json.loads(key)
    source = render_module(names, params)
    module = types.ModuleType(f"p2c_catalog_{len(sys.modules)}_{abs(hash(key))}")
    module.__file__ = f"<catalog {','.join(names)}>"
    sys.modules[module.__name__] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def load(names: list[str] | str, params: Mapping[str, Mapping[str, Any]] | None = None) -> types.ModuleType:
    """Render ``names`` into one module (cached) and import it."""
    names = [names] if isinstance(names, str) else list(names)
    return _load(json.dumps([names, params or {}], sort_keys=True))


def symbol(name: str, params: Mapping[str, Any] | None = None) -> Any:
    """The main class/function of component ``name`` rendered with ``params``."""
    component = get(name)
    module = load([name], {name: dict(params)} if params else None)
    return getattr(module, (params or {}).get("class_name", component.symbol))


def host_param(host: Component, component: Component) -> str:
    """The slot parameter of ``host`` that ``component`` fills."""
    return next(p.name for p in host.params.values() if p.slot == component.slot)


def contract_target(component: Component, contract: ShapeContract) -> tuple[Any, Component]:
    """The callable a contract runs on: the component, or its host with the component plugged in."""
    if contract.host is None:
        return symbol(component.name), component
    host = get(contract.host)
    params = {host.name: {host_param(host, component): component.name}}
    return getattr(load([host.name], params), host.symbol), host


def _shape(pattern: str, sizes: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(sizes[axis] for axis in pattern.split())


def make_inputs(contract: ShapeContract, sizes: Mapping[str, int], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    inputs = {}
    for name, pattern in contract.inputs.items():
        shape = _shape(pattern, sizes)
        if name in contract.integer_inputs:
            inputs[name] = torch.randint(0, contract.integer_inputs[name], shape)
        else:
            inputs[name] = torch.randn(shape, dtype=dtype)
    return inputs


def build_module(spec: Mapping[str, Any], dtype: torch.dtype = torch.float64) -> torch.nn.Module:
    """A module argument of a contract: ``{component, init, modules}`` (modules nest)."""
    kwargs = dict(spec.get("init", {}))
    kwargs.update({arg: build_module(inner, dtype) for arg, inner in spec.get("modules", {}).items()})
    return symbol(spec["component"])(**kwargs).to(dtype).eval()


def instantiate(component: Component, contract: ShapeContract, dtype: torch.dtype = torch.float64) -> Any:
    """The module (or, for a function, a partial of it) a contract describes, in ``dtype``."""
    target, owner = contract_target(component, contract)
    kwargs = dict(contract.init)
    kwargs.update({arg: build_module(spec, dtype) for arg, spec in contract.modules.items()})
    if owner.kind == "function":
        return functools.partial(target, **kwargs)
    return target(**kwargs).to(dtype).eval()


def axes(contract: ShapeContract) -> list[str]:
    letters = []
    for pattern in [*contract.inputs.values(), contract.output or ""]:
        letters += [a for a in pattern.split() if re.fullmatch(r"[A-Za-z_]\w*", a) and a not in letters]
    return letters


def run_contract(component: Component, contract: ShapeContract, sizes: Mapping[str, int] | None = None) -> None:
    """Run ``contract`` in float64 for several size draws; check output shape and properties."""
    module = instantiate(component, contract)
    free = [a for a in axes(contract) if a not in contract.dims]
    draws = [dict(sizes)] if sizes else [{a: SIZES[(i + j) % 3] for j, a in enumerate(free)} for i in range(3)]
    for draw in draws:
        full = {**draw, **contract.dims}
        inputs = make_inputs(contract, full, torch.float64)
        out = module(**inputs)
        if contract.output is not None:
            assert isinstance(out, torch.Tensor), f"{component.name}: output is not a tensor"
            expected = _shape(contract.output, full)
            assert tuple(out.shape) == expected, f"{component.name}/{contract.name}: {tuple(out.shape)} != {expected}"
            assert torch.isfinite(out).all(), f"{component.name}/{contract.name}: non-finite output"
        if "batch_independent" in contract.properties:
            _check_batch_independent(component, contract, module, full)
        if "causal" in contract.properties:
            _check_causal(component, contract, module, full)


def _check_batch_independent(component, contract, module, sizes) -> None:
    sizes = {**sizes, "b": 3}
    inputs = make_inputs(contract, sizes, torch.float64)
    base = module(**inputs)
    changed = dict(inputs)
    for name, value in inputs.items():
        if contract.inputs[name].split()[:1] == ["b"]:
            value = value.clone()
            value[0] = value[0] + 1
            if name in contract.integer_inputs:
                value = value % contract.integer_inputs[name]
            changed[name] = value
    out = module(**changed)
    torch.testing.assert_close(out[1:], base[1:], msg=f"{component.name}: sample 0 changed samples 1, 2")


def _check_causal(component, contract, module, sizes) -> None:
    sizes = {**sizes, "n": 6}
    inputs = make_inputs(contract, sizes, torch.float64)
    base = module(**inputs)
    changed = dict(inputs)
    for name, pattern in contract.inputs.items():
        axes_ = pattern.split()
        if "n" in axes_:
            value = inputs[name].clone()
            index = [slice(None)] * value.ndim
            index[axes_.index("n")] = -1
            value[tuple(index)] = value[tuple(index)] + 1
            if name in contract.integer_inputs:
                value = value % contract.integer_inputs[name]
            changed[name] = value
    out = module(**changed)
    position = contract.output.split().index("n")
    keep = [slice(None)] * out.ndim
    keep[position] = slice(0, -1)
    torch.testing.assert_close(out[tuple(keep)], base[tuple(keep)], msg=f"{component.name}: the future leaks")


def randomize_(module: torch.nn.Module, std: float = 0.5, seed: int = 0) -> torch.nn.Module:
    """Fill every parameter with N(0, std^2) draws so that zero-initialised biases are exercised too."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype) * std)
    return module


def close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """The acceptance tolerance: float64, 1e-6."""
    torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-6)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"


def manifest_toml(project: str, modules: list[dict[str, Any]]) -> str:
    """A paper2code.toml with ``[project]`` and one ``[[module]]`` per table."""
    lines = ["[project]", f"name = {_toml_value(project)}", ""]
    for table in modules:
        lines.append("[[module]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
        lines.append("")
    return "\n".join(lines)
