"""The pieces of the generated ``tests/test_model.py``: shape and causality checks of the model at the
tiny preset, and float64 equivalence tests of each component against its trusted reference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.catalog import get
from agent.draft.context import Context
from agent.draft.values import py_literal

_SIZES = {"b": 3, "n": 5, "m": 4, "t": 5}


@dataclass
class ReferenceTest:
    name: str
    symbol: str
    target: str  # what the reference is, in words
    function: str  # reference function in references.py
    init: str  # constructor keyword arguments
    inputs: list[tuple[str, str]]  # (name, expression)
    call: str  # keyword arguments of the forward call


def _shape(pattern: str, dims: dict[str, int]) -> list[int]:
    return [dims.get(axis, _SIZES.get(axis, 2)) for axis in pattern.split()]


def _input_expr(name: str, pattern: str, dims: dict[str, int], integer: dict[str, int]) -> str:
    shape = ", ".join(str(s) for s in _shape(pattern, dims))
    if name in integer:
        return f"torch.randint(0, {integer[name]}, ({shape},))"
    return f"torch.randn({shape}, dtype=torch.float64)" if shape else "torch.tensor(0.5, dtype=torch.float64)"


def reference_tests(ctx: Context) -> list[ReferenceTest]:
    """One test per manifest module that names a reference function."""
    tests = []
    for entry in ctx.entries:
        table = entry.table
        if "reference" not in table or "modules" in table:
            continue
        component = get(entry.component)
        dims = dict(table.get("dims", {}))
        integer = dict(table.get("integer_inputs", {}))
        inputs = [(name, _input_expr(name, pattern, dims, integer)) for name, pattern in table["inputs"].items()]
        init = ", ".join(f"{k}={py_literal(v)}" for k, v in table["init"].items())
        tests.append(ReferenceTest(
            name=entry.name,
            symbol=table["target"].split(":")[1],
            target=component.reference.target,
            function=table["reference"].split(":")[1],
            init=init,
            inputs=inputs,
            call=", ".join(f"{name}={name}" for name, _ in inputs),
        ))
    return tests


def shape_test(ctx: Context) -> list[str]:
    """Lines of test_output_shape (the model and ``TINY`` exist)."""
    family = ctx.spec.name
    if family == "seq2seq":
        return [
            "src = torch.randint(0, TINY.vocab_size, (3, 7))",
            "tgt = torch.randint(0, TINY.vocab_size, (3, 5))",
            "logits = model(src, tgt)",
            "assert logits.shape == (3, 5, TINY.vocab_size)",
            "assert torch.isfinite(logits).all()",
            "decoded = model.greedy_decode(src, bos=1, max_len=4)",
            "assert decoded.shape == (3, 4)",
        ]
    if family == "decoder_lm":
        return [
            "tokens = torch.randint(0, TINY.vocab_size, (3, 7))",
            "logits = model(tokens)",
            "assert logits.shape == (3, 7, TINY.vocab_size)",
            "assert torch.isfinite(logits).all()",
            "assert model.generate(tokens, 2).shape == (3, 9)",
        ]
    if family == "encoder_classifier":
        return [
            "tokens = torch.randint(0, TINY.vocab_size, (3, 7))",
            "logits = model(tokens)",
            "assert logits.shape == (3, TINY.num_classes)",
            "assert torch.isfinite(logits).all()",
        ]
    if family == "vit_classifier":
        return [
            "images = torch.randn(3, TINY.in_channels, TINY.image_size, TINY.image_size)",
            "logits = model(images)",
            "assert logits.shape == (3, TINY.num_classes)",
            "assert torch.isfinite(logits).all()",
        ]
    guided = ctx.wiring.rendered("classifier_free_guidance")
    lines = [
        "images = torch.rand(3, TINY.in_channels, TINY.image_size, TINY.image_size) * 2 - 1",
    ]
    if guided:
        lines += ["labels = torch.tensor([0, 1, 2]) % TINY.num_classes", "loss = model.train()(images, labels)"]
    else:
        lines += ["loss = model.train()(images)"]
    lines += [
        "assert loss.shape == () and torch.isfinite(loss)",
        "samples = model.eval().sample(2, generator=torch.Generator().manual_seed(0))",
        "assert samples.shape == (2, TINY.in_channels, TINY.image_size, TINY.image_size)",
        "assert torch.isfinite(samples).all()",
    ]
    return lines


def causal_test(ctx: Context) -> list[str]:
    """Lines of test_causal for autoregressive models (empty for the others)."""
    if ctx.spec.name == "decoder_lm":
        return [
            "tokens = torch.randint(0, TINY.vocab_size, (2, 8))",
            "changed = tokens.clone()",
            "changed[:, -1] = (changed[:, -1] + 1) % TINY.vocab_size",
            "torch.testing.assert_close(model(changed)[:, :-1], model(tokens)[:, :-1])",
        ]
    if ctx.spec.name == "seq2seq":
        return [
            "src = torch.randint(0, TINY.vocab_size, (2, 6))",
            "tgt = torch.randint(0, TINY.vocab_size, (2, 6))",
            "changed = tgt.clone()",
            "changed[:, -1] = (changed[:, -1] + 1) % TINY.vocab_size",
            "torch.testing.assert_close(model(src, changed)[:, :-1], model(src, tgt)[:, :-1])",
        ]
    return []


def dict_literal(values: dict[str, Any]) -> str:
    """A dict literal, one key per line when long (ruff's 120 columns)."""
    items = [f"{py_literal(k)}: {py_literal(v)}" for k, v in values.items()]
    one_line = "{" + ", ".join(items) + "}"
    if len(one_line) <= 90:
        return one_line
    return "{\n" + "".join(f"    {item},\n" for item in items) + "}"
