"""Hyperparameters of real papers, read through ``load_paper`` (the real LaTeX and PDF parsers).

The acceptance lists of the issue: the Transformer (LaTeX folder and PDF) and ViT (PDF).
"""

from __future__ import annotations

import pytest

from agent.ingest import load_paper
from agent.types import Hyperparameter, Paper
from tests.conftest import require_shared

TRANSFORMER = {
    "d_model": 512, "d_ff": 2048, "num_heads": 8, "num_layers": 6, "dropout": 0.1, "label_smoothing": 0.1,
    "warmup_steps": 4000, "adam_beta1": 0.9, "adam_beta2": 0.98, "adam_eps": 1e-9,
}  # fmt: skip
VIT_TRAINING = {"batch_size": 4096, "weight_decay": 0.1, "adam_beta2": 0.999, "warmup_steps": 10000}
VIT_BASE = {"num_layers": 12, "d_model": 768, "d_ff": 3072, "num_heads": 12}


@pytest.fixture(scope="module")
def transformer_latex() -> Paper:
    return load_paper(require_shared("transformer"))


@pytest.fixture(scope="module")
def transformer_pdf() -> Paper:
    return load_paper(require_shared("transformer", "paper.pdf"))


@pytest.fixture(scope="module")
def vit_pdf() -> Paper:
    return load_paper(require_shared("vit", "paper.pdf"))


def _with_value(paper: Paper, name: str, value: float) -> list[Hyperparameter]:
    return [h for h in paper.hyperparameter_values(name) if h.value == pytest.approx(value)]


def _check(paper: Paper, expected: dict[str, float]) -> None:
    missing = [f"{n}={v}" for n, v in expected.items() if not _with_value(paper, n, v)]
    assert not missing, f"not found: {missing}; found: {[(h.name, h.value) for h in paper.hyperparameters]}"
    for name, value in expected.items():
        for h in _with_value(paper, name, value):
            assert h.evidence.text.strip(), h
            assert h.evidence.section or h.evidence.table, h
            assert type(h.value) is type(value), h


@pytest.mark.parametrize("source", ["transformer_latex", "transformer_pdf"])
def test_transformer_acceptance(source: str, request: pytest.FixtureRequest) -> None:
    paper = request.getfixturevalue(source)
    _check(paper, TRANSFORMER)
    first = {name: paper.hyperparameter_values(name)[0] for name in TRANSFORMER}
    assert "0.98" in first["adam_beta2"].evidence.text
    assert "4000" in first["warmup_steps"].evidence.text
    assert first["adam_eps"].evidence.section and "Optimizer" in first["adam_eps"].evidence.section
    assert all(h.value not in (2014, 2015, 2016, 2017) for h in paper.hyperparameters)


def test_transformer_latex_symbols_settings_and_table(transformer_latex: Paper) -> None:
    paper = transformer_latex
    symbols = {n: h.symbol for n in TRANSFORMER for h in _with_value(paper, n, TRANSFORMER[n])[:1]}
    assert symbols["d_model"] == r"d_{\text{model}}"
    assert symbols["adam_eps"] == r"\epsilon"
    assert symbols["label_smoothing"] == r"\epsilon_{ls}"
    assert symbols["num_layers"] == "N"
    steps = {h.setting: h.value for h in paper.hyperparameter_values("max_steps")}
    assert steps["base"] == 100000 and steps["big"] == 300000
    big = {h.name: h.value for h in paper.hyperparameters if h.setting == "big" and h.evidence.table}
    assert big == {"num_layers": 6, "d_model": 1024, "d_ff": 4096, "num_heads": 16, "dropout": 0.3,
                   "max_steps": 300000}
    assert all("Table 3" in h.evidence.table for h in paper.hyperparameters if h.evidence.table)
    assert paper.hyperparameter_values("dropout")[0].setting == "base"


def test_transformer_single_tex_file_matches_folder(transformer_latex: Paper) -> None:
    paper = load_paper(require_shared("transformer", "ms.tex"))
    assert [h.to_dict() for h in paper.hyperparameters] == [
        h.to_dict() for h in transformer_latex.hyperparameters
    ]


def test_vit_acceptance(vit_pdf: Paper) -> None:
    _check(vit_pdf, VIT_TRAINING)
    base = {h.name: h.value for h in vit_pdf.hyperparameters if h.setting == "ViT-Base"}
    assert {k: base.get(k) for k in VIT_BASE} == VIT_BASE
    for h in vit_pdf.hyperparameters:
        if h.setting == "ViT-Base" and h.name in VIT_BASE:
            assert h.evidence.table and "Table 1" in h.evidence.table, h
    large = {h.name: h.value for h in vit_pdf.hyperparameters if h.setting == "ViT-Large"}
    assert large.get("d_model") == 1024 and large.get("num_layers") == 24
    warmup = _with_value(vit_pdf, "warmup_steps", 10000)[0]
    assert warmup.unit == "steps" and "10k" in warmup.evidence.text


MISTRAL_TABLE = {"d_model": 4096, "num_layers": 32, "head_dim": 128, "d_ff": 14336, "num_heads": 32,
                 "num_kv_heads": 8, "vocab_size": 32000}


@pytest.mark.parametrize("name, extra", [
    ("mistral_7b", {"window_size": 4096, "max_seq_len": 8192}),
    ("mixtral", {"max_seq_len": 32768, "num_experts": 8, "experts_per_token": 2}),
])
def test_architecture_table_beside_the_text(name: str, extra: dict[str, float]) -> None:
    """Mistral 7B and Mixtral set Table 1 (Parameter / Value) in a wrapped float right of the text: the
    PDF layout reads it as its own column, so every row arrives, and the prose beside it stays whole."""
    paper = load_paper(require_shared(name, "paper.pdf"))
    for key, value in {**MISTRAL_TABLE, **extra}.items():
        found = _with_value(paper, key, value)
        assert found, f"{key} = {value} not found"
        assert any(h.evidence.table and h.evidence.table.startswith("Table 1") for h in found), found
    text = " ".join(s.text for s in paper.sections)
    assert "n_layers" not in text and "hidden_dim" not in text  # no table debris in the prose
