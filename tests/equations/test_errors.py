"""Unsupported notation is refused with the construct named; bad shapes are user errors; the check bites."""

from __future__ import annotations

import pytest
import torch

from agent.equations import compile_equation
from agent.equations.compile import build_program
from agent.equations.source import render
from agent.equations.verify import verify
from agent.errors import UnsupportedNotation, UserError


@pytest.mark.parametrize("latex, shapes, named", [
    (r"y = \overbrace{a + b}^{c}", None, r"\overbrace"),
    (r"y = \int_0^1 f(x) dx", None, r"\int"),
    (r"g = \nabla f(x)", None, r"\nabla"),
    (r"y = \frac{\partial L}{\partial x}", None, r"\partial"),
    (r"L = \mathbb{E}[x^2]", None, "expectation"),
    (r"y = p(x | z)", None, "conditional"),
    (r"y = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}", None, "cases"),
    (r"y = \sum_{i \in S} x_i", None, "set"),
    (r"o_{t} = \sum_{j=1}^{t} a_{tj} v_j", None, "partial range"),
    (r"y = \mathrm{Concat}(a, b)", None, "Concat"),
    (r"y = f(x)", None, "unknown function f"),
    (r"y = A^2 x", {"A": "n n", "x": "n"}, "power of a matrix"),
    (r"y = u v", {"u": "n", "v": "n"}, "ambiguous product"),
    (r"a \leq b", None, r"\le"),
    (r"c = O(n^2)", None, "big-O"),
    (r"y = a_1 + \cdots + a_n", None, r"\cdots"),
    (r"y = \mathbf{x}[k]", None, "bracket indexing"),
    (r"y = \binom{n}{k}", None, r"\binom"),
    (r"y = x \pm 1", None, r"\pm"),
    (r"\mathrm{d}x = a \mathrm{d}t", None, "differential"),
])
def test_unsupported_constructs_are_named(latex: str, shapes, named: str) -> None:
    with pytest.raises(UnsupportedNotation) as info:
        compile_equation(latex, shapes)
    assert named in str(info.value)
    assert "\n" not in str(info.value)


def test_unsupported_notation_is_a_user_error() -> None:
    assert issubclass(UnsupportedNotation, UserError)


@pytest.mark.parametrize("latex, shapes, message", [
    (r"S = QK^T", {"Q": "n d", "K": "m e"}, "shape mismatch"),
    (r"y = x + 1", {"z": "n"}, "not an input"),
    (r"y = x + 1", {"x": "n ... d"}, "must come first"),
    (r"y = a_i + \sum_i b_i", None, "free on the right-hand side"),
    ("", None, "empty"),
])
def test_bad_input_is_a_user_error(latex: str, shapes, message: str) -> None:
    with pytest.raises(UserError) as info:
        compile_equation(latex, shapes)
    assert message in str(info.value)


def test_the_numeric_check_catches_a_wrong_function() -> None:
    program, notes = build_program(r"y = \mathrm{softmax}(x W)", {"x": "... d", "W": "d e"})
    namespace: dict = {}
    exec(render(program, program.latex, notes), namespace)
    right = namespace["y"]
    assert verify(program, right).verified

    def off_by_temperature(x, W):  # noqa: N803
        return torch.softmax(x @ W / 1.0001, dim=-1)

    def wrong_axis(x, W):  # noqa: N803
        return torch.softmax(x @ W, dim=0)

    for wrong in (off_by_temperature, wrong_axis):
        check = verify(program, wrong)
        assert not check.verified


def test_reference_and_torch_agree_on_non_finite_values() -> None:
    eq = compile_equation(r"y = \log x", {"x": "n"})  # negative inputs give NaN on both sides: redrawn positive
    assert eq.verified
    assert any("positive" in note for note in eq.notes)
    assert torch.isnan(eq.fn(torch.tensor([-1.0], dtype=torch.float64))).all()
