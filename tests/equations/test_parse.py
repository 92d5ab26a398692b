"""Lexing, real-paper noise, statement splitting and the DESIGN naming rules."""

from __future__ import annotations

import pytest

from agent.equations import compile_equation, parse_shapes_option
from agent.equations.statements import parse_statements
from agent.equations.tokens import tokenize


def values(latex: str) -> list[str]:
    return [t.value for t in tokenize(latex) if t.kind != "EOF"]


def test_noise_is_dropped() -> None:
    noisy = r"\label{eq:x} y \,=\; \left( a \! + \big( b \big) \right)~\quad. \nonumber"
    assert values(noisy) == ["y", "=", "(", "a", "+", "(", "b", ")", ")", "quad", "."]


def test_upright_words_and_escaped_underscores() -> None:
    toks = tokenize(r"\mathrm{softmax}(x) + \text{pos} + \operatorname{DiffAttn} + {step\_num}")
    words = [t.value for t in toks if t.kind == "WORD"]
    assert words == ["softmax", "pos", "DiffAttn", "step_num"]


def test_italic_function_words_and_runs() -> None:
    # sin( is a function word; QK is two letters; pos written twice in italics is one word
    assert [t.kind for t in tokenize("sin(QK)")][:4] == ["WORD", "OP", "LETTER", "LETTER"]
    kinds = {t.value: t.kind for t in tokenize("PE_{(pos,2i)} = sin(pos)")}
    assert kinds["pos"] == "WORD"


def test_comments_are_not_content() -> None:
    assert values("a = b % + c\n") == ["a", "=", "b"]


@pytest.mark.parametrize("latex, count", [
    (r"a = 1, \quad b = a + 1", 2),
    (r"a &= 1 \\ b &= a + 1 \\", 2),
    (r"\begin{aligned} a &= 1 \\ &= 2 \end{aligned}", 1),  # a continuation line is not a new statement
    (r"\text{where}~h = 2", 1),
    (r"\theta_i = 10000^{-2(i-1)/d}, i \in [1, 2, ..., d/2]", 1),  # a condition clause is dropped
    (r"y = \max(0, x) .", 1),
])
def test_statement_splitting(latex: str, count: int) -> None:
    statements, _ = parse_statements(latex)
    assert len(statements) == count


@pytest.mark.parametrize("latex, expected", [
    (r"y = \alpha x", ["x", "alpha"]),
    (r"y = \lambda x", ["x", "lambda_"]),
    (r"y = \mathbf{x} + \bm{b} + \vec{c} + \boldsymbol{e}", ["x", "b", "c", "e"]),
    (r"y = d_k + W_1 + \lambda_{\text{init}} + d_{\text{model}} + {step\_num}",
     ["d_k", "W_1", "lambda_init", "d_model", "step_num"]),
    (r"y = W^O + W^{Q_1} + y^{LS}", ["W_O", "W_Q_1", "y_LS"]),
    (r"y = \hat{x} + \bar{\alpha}_t + \mathcal{B}", ["x_hat", "alpha_bar_t", "B"]),
    (r"y = \text{pos} + \mathrm{pos}", ["pos"]),
    (r"y = P' + z_{t+1}", ["P_prime", "z_t_plus_1"]),
])
def test_naming_rules(latex: str, expected: list[str]) -> None:
    eq = compile_equation(latex)
    assert sorted(eq.inputs) == sorted(expected)


def test_power_transpose_and_label_superscripts() -> None:
    eq = compile_equation(r"y = x^2 + e^{x} + 10^{-9}")
    assert eq.inputs == ["x"] and eq.verified
    eq = compile_equation(r"y = A^T b", {"A": "n m", "b": "n"})
    assert eq.output_shape == "m" and eq.verified
    eq = compile_equation(r"y = W^\top b + W^{\intercal} b", {"W": "n m", "b": "n"})
    assert eq.inputs == ["W", "b"] and eq.output_shape == "m"


def test_function_on_the_left_names_the_function_and_first_arguments() -> None:
    eq = compile_equation(r"\mathrm{DyT}(\mathbf{x}) = \bm{\gamma} * \tanh(\alpha \mathbf{x}) + \bm{\beta}")
    assert eq.name == "DyT"
    assert eq.inputs == ["x", "gamma", "alpha", "beta"]
    assert eq.shapes["x"].startswith("...")


def test_shapes_option_parsing() -> None:
    hints = parse_shapes_option(r"Q=... n d; K = ... m d; W^{Q_1}=e d; \lambda_{q}=d; mu^l=H; g'=n")
    assert hints == {"Q": "... n d", "K": "... m d", "W_Q_1": "e d", "lambda_q": "d", "mu_l": "H",
                     "g_prime": "n"}
