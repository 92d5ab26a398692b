"""Regressions found on real papers."""

from agent.equations import compile_equation


def test_mathit_word_with_escaped_underscore_is_one_symbol() -> None:
    compiled = compile_equation(r"\mathit{lrate} = \mathit{step} \cdot \mathit{warmup\_steps}^{-1.5}")
    assert compiled.inputs == ["step", "warmup_steps"]
    assert compiled.verified
    assert float(compiled.fn(step=8.0, warmup_steps=4.0)) == 8.0 * 4.0 ** -1.5


def test_norm_of_a_power_is_valid_python() -> None:
    # ViT eq. (4), y = LN(z_L^0): the power must be parenthesised before ``.shape`` / ``.pow``.
    for latex in (r"\mathbf{y} = \mathrm{LN}(\mathbf{z}_{L}^{0})", r"y = \mathrm{RMSNorm}(x^{2})"):
        compiled = compile_equation(latex)
        assert compiled.verified, latex
