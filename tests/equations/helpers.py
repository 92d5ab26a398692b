"""Inputs for compiled equations, built from their shape strings (test-side, independent of the compiler)."""

from __future__ import annotations

import re

import torch

from agent.types import CompiledEquation

BATCH = (2, 3)


def shape_of(text: str, sizes: dict[str, int]) -> list[int]:
    """``"... n (2 d)"`` to a concrete shape; letters get distinct sizes from 3 up, recorded in ``sizes``."""
    shape: list[int] = []
    for tok in re.findall(r"\.\.\.|\([^)]*\)|\S+", text):
        if tok == "...":
            shape += list(BATCH)
        elif tok.startswith("("):
            size = 1
            for part in tok[1:-1].split():
                size *= int(part) if part.isdigit() else _size(part, sizes)
            shape.append(size)
        else:
            shape.append(int(tok) if tok.isdigit() else _size(tok, sizes))
    return shape


def _size(letter: str, sizes: dict[str, int]) -> int:
    if letter not in sizes:
        sizes[letter] = 3 + len(sizes) % 5
    return sizes[letter]


def make_inputs(eq: CompiledEquation, positive: bool = False, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random float64 inputs for every argument of ``eq`` (scalars as 0-d tensors)."""
    gen = torch.Generator().manual_seed(seed)
    sizes: dict[str, int] = {}
    inputs = {}
    for name in eq.inputs:
        shape = shape_of(eq.shapes[name], sizes)
        if positive:
            inputs[name] = torch.rand(shape, generator=gen, dtype=torch.float64) + 0.5
        else:
            inputs[name] = torch.randn(shape, generator=gen, dtype=torch.float64)
    return inputs
