"""What the module checks share: import the target, build it, draw inputs, call it, read outputs.

Runs inside the sandbox. Failures of the implementation raise :class:`CheckFailed` with a detail a
person (or an LLM) can fix from: which module, which sizes, which parameter, the numbers.
"""

from __future__ import annotations

import importlib
import inspect
import os
import traceback
from typing import Any

import torch
from torch import nn

from agent.validate.checks.sizes import describe
from agent.validate.patterns import parse_pattern

_DTYPES = {"long": torch.long, "bool": torch.bool}


class CheckFailed(Exception):
    """The implementation does not hold the checked property; the message says how."""


class CheckSkipped(Exception):
    """The check does not apply (e.g. no float inputs for gradcheck)."""


def load_object(target: str) -> Any:
    """Import ``package.module:Name.Attr``."""
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def user_location(exc: BaseException) -> str:
    """``model.py:42 in forward`` for the innermost frame inside the implementation, or ''."""
    workdir = os.getcwd()
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(workdir):
            where = f"{os.path.relpath(frame.filename, workdir)}:{frame.lineno} in {frame.name}"
    return where


def short_error(exc: BaseException, limit: int = 400) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit] + " ..."
    where = user_location(exc)
    return f"{text} (at {where})" if where else text


class _FunctionModule(nn.Module):
    """A function target seen as a module without parameters; ``init`` are its keyword arguments."""

    def __init__(self, fn: Any, kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.fn = fn
        self.kwargs = kwargs

    def forward(self, **inputs: Any) -> Any:
        return self.fn(**inputs, **self.kwargs)


class ModuleContext:
    """One ``[[module]]`` of the manifest, as the checks see it."""

    def __init__(self, spec: dict[str, Any], seed: int, device: str = "cpu",
                 options: dict[str, Any] | None = None) -> None:
        self.spec = spec
        self.options = options or {}
        self.name = spec["name"]
        self.seed = seed
        self.device = device
        self._factory: Any = None

    # -- building -------------------------------------------------------------------------------
    def factory(self) -> Any:
        if self._factory is None:
            try:
                self._factory = load_object(self.spec["target"])
            except Exception as exc:
                raise CheckFailed(f"cannot import {self.spec['target']}: {short_error(exc)}") from exc
        return self._factory

    def build(self, seed: int | None = None) -> nn.Module:
        """A fresh instance from the tiny config, its initialisation seeded."""
        factory = self.factory()
        torch.manual_seed(self.seed if seed is None else seed)
        kwargs = dict(self.spec["init"])
        try:
            for sub in self.spec.get("submodules", []):
                kwargs[sub["arg"]] = load_object(sub["target"])(**sub["init"])
            if inspect.isclass(factory):
                module = factory(**kwargs)
            elif isinstance(factory, nn.Module):
                module = factory
            elif callable(factory):
                module = _FunctionModule(factory, kwargs)
            else:
                raise CheckFailed(f"{self.spec['target']} is neither a class nor a function")
        except CheckFailed:
            raise
        except Exception as exc:
            raise CheckFailed(f"building {self.spec['target']}(**{kwargs}) raised {short_error(exc)}") from exc
        if not isinstance(module, nn.Module):
            raise CheckFailed(f"{self.spec['target']}(...) returned {type(module).__name__}, not an nn.Module")
        return module.to(self.device)

    # -- inputs ---------------------------------------------------------------------------------
    def shape_of(self, pattern: str, sizes: dict[str, int]) -> tuple[int, ...]:
        return tuple(axis.size(sizes) for axis in parse_pattern(pattern))

    def inputs(self, sizes: dict[str, int], *, dtype: torch.dtype = torch.float32, scale: float = 1.0,
               seed: int = 0) -> dict[str, torch.Tensor]:
        """Random inputs for ``sizes``: floats ~ N(0, scale^2), integers uniform in [low, high)."""
        gen = torch.Generator().manual_seed(self.seed * 1000003 + seed)
        out = {}
        for inp in self.spec["inputs"]:
            shape = self.shape_of(inp["shape"], sizes)
            if inp["dtype"] == "float":
                out[inp["name"]] = (torch.randn(shape, generator=gen, dtype=torch.float64) * scale).to(dtype)
            elif inp["dtype"] == "bool":
                out[inp["name"]] = torch.rand(shape, generator=gen) < 0.5
            else:
                out[inp["name"]] = torch.randint(inp["low"], inp["high"], shape, generator=gen, dtype=torch.long)
        return {k: v.to(self.device) for k, v in out.items()}

    def float_inputs(self) -> list[str]:
        return [i["name"] for i in self.spec["inputs"] if i["dtype"] == "float"]

    # -- calling --------------------------------------------------------------------------------
    def call(self, module: nn.Module, inputs: dict[str, torch.Tensor], sizes: dict[str, int] | None = None,
             what: str = "forward") -> list[torch.Tensor]:
        """Run the module; return its output tensors, flattened in order."""
        method = self.spec.get("method")
        fn = getattr(module, method) if method else module
        try:
            result = fn(**inputs)
        except CheckFailed:
            raise
        except Exception as exc:
            at = f" at sizes {describe(sizes, self.spec)}" if sizes else ""
            raise CheckFailed(f"{what} raised {short_error(exc)}{at}") from exc
        tensors = flatten(result)
        if not tensors:
            raise CheckFailed(f"{what} returned {type(result).__name__}, no tensor")
        return tensors

    def where(self, sizes: dict[str, int]) -> str:
        return f"sizes {describe(sizes, self.spec)}"


def flatten(result: Any) -> list[torch.Tensor]:
    """Tensors of a forward result: a tensor, or tensors nested in tuples, lists and dicts."""
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for item in result for t in flatten(item)]
    if isinstance(result, dict):
        return [t for item in result.values() for t in flatten(item)]
    return []


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    diff = (a.detach().double() - b.detach().double()).abs()
    both_nan = torch.isnan(a.detach().double()) & torch.isnan(b.detach().double())
    diff = torch.where(both_nan, torch.zeros_like(diff), diff)
    diff = torch.nan_to_num(diff, nan=float("inf"))
    return float(diff.max()) if diff.numel() else 0.0


def fmt(x: float) -> str:
    return f"{x:.3g}"


REGISTRY: dict[str, Any] = {}


def check(name: str, scope: str = "module") -> Any:
    """Register a check function: ``fn(ctx) -> detail`` or ``(detail, data)``; raise to fail/skip."""

    def wrap(fn: Any) -> Any:
        REGISTRY[(name, scope)] = fn
        return fn

    return wrap
