"""``\\mathit{warmup\\_steps}``: an italic word with an escaped underscore is one symbol (DESIGN.md naming)."""

from agent.equations import compile_equation


def test_mathit_word_with_escaped_underscore_is_one_symbol() -> None:
    compiled = compile_equation(r"\mathit{lrate} = \mathit{step} \cdot \mathit{warmup\_steps}^{-1.5}")
    assert compiled.inputs == ["step", "warmup_steps"]
    assert compiled.verified
    assert float(compiled.fn(step=8.0, warmup_steps=4.0)) == 8.0 * 4.0 ** -1.5
