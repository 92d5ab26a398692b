"""Factors, designs and search spaces: aliases resolve to catalog names, mistakes are one-line errors."""

from __future__ import annotations

import optuna
import pytest

from agent.errors import UserError
from agent.experiments.factors import design_cells, parse_factor, parse_sets, parse_value, resolve_component
from agent.experiments.space import parse_param

SLOTS = ["model", "block", "attention", "position", "norm", "ffn", "loss", "lr_schedule"]


@pytest.mark.parametrize(("slot", "text", "name"), [
    ("norm", "layernorm", "layer_norm"), ("norm", "rmsnorm", "rms_norm"), ("norm", "RMSNorm", "rms_norm"),
    ("position", "rope", "rotary_position"), ("position", "sinusoidal", "sinusoidal_position"),
    ("position", "alibi", "alibi_position"), ("ffn", "gelu", "feed_forward_gelu"), ("ffn", "swiglu", "swiglu"),
    ("block", "pre", "pre_norm_encoder_block"), ("attention", "gqa", "grouped_query_attention"),
    ("lr_schedule", "cosine", "warmup_cosine"),
])
def test_component_aliases(slot: str, text: str, name: str) -> None:
    assert resolve_component(slot, text) == name


def test_parse_factor_kinds_and_values() -> None:
    norm = parse_factor("norm=layernorm,rmsnorm", SLOTS)
    assert (norm.kind, norm.target, norm.levels, norm.labels) == (
        "component", "norm", ["layer_norm", "rms_norm"], ["layernorm", "rmsnorm"])
    pos = parse_factor("pos=sinusoidal,rope", SLOTS)
    assert pos.target == "position" and pos.levels == ["sinusoidal_position", "rotary_position"]
    lr = parse_factor("learning_rate=1e-3,3e-3,1e-2", SLOTS)
    assert lr.kind == "hyperparameter" and lr.levels == [0.001, 0.003, 0.01]
    assert parse_factor("optimizer=adamw,'adam'", None).levels == ["adamw", "adam"]
    assert [parse_value(v) for v in ("3", "0.5", "true", "none", "rope")] == [3, 0.5, True, None, "rope"]


@pytest.mark.parametrize(("spec", "slots", "message"), [
    ("norm", SLOTS, "expected NAME=LEVEL"),
    ("norm=layernorm", SLOTS, "at least two levels"),
    ("norm=layernorm,layer_norm", SLOTS, "given twice"),
    ("norm=layernorm,fancynorm", SLOTS, "no catalog component 'fancynorm'"),
    ("seed=1,2", SLOTS, "use --seeds"),
    ("max_steps=10,20", SLOTS, "use --max-steps"),
    ("norm=layernorm,rmsnorm", None, "needs the plan.json"),
    ("2bad=1,2", SLOTS, "not a valid factor name"),
    ("lr=1,,2", SLOTS, "an empty level"),
])
def test_bad_factors_are_user_errors(spec: str, slots: list[str] | None, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_factor(spec, slots)


def test_grid_and_one_factor_at_a_time() -> None:
    factors = [parse_factor("norm=layernorm,rmsnorm", SLOTS), parse_factor("lr=1e-3,1e-2,1e-1", SLOTS)]
    grid = design_cells(factors)
    assert len(grid) == 6 and grid[0].baseline and sum(c.baseline for c in grid) == 1
    assert grid[0].id == "norm=layernorm lr=1e-3"
    assert grid[0].swaps == {"norm": "layer_norm"} and grid[0].overrides == {"lr": 0.001}
    ofat = design_cells(factors, ofat=True, plan_level={"lr"}, fixed={"dropout": 0.1})
    assert [c.id for c in ofat] == ["norm=layernorm lr=1e-3", "norm=rmsnorm lr=1e-3", "norm=layernorm lr=1e-2",
                                    "norm=layernorm lr=1e-1"]
    assert ofat[3].plan_hyperparameters == {"lr": 0.1} and ofat[3].overrides == {"dropout": 0.1}
    with pytest.raises(UserError, match="both a --factor and a --set"):
        design_cells(factors, fixed={"lr": 0.5})
    with pytest.raises(UserError, match="both set"):
        design_cells([factors[0], parse_factor("normalization=rmsnorm,layernorm", SLOTS)])


def test_parse_sets() -> None:
    assert parse_sets(["noise=0.1", "name=x"]) == {"noise": 0.1, "name": "x"}
    with pytest.raises(UserError, match="NAME=VALUE"):
        parse_sets(["noise"])


def test_search_space() -> None:
    trial = optuna.trial.FixedTrial({"learning_rate": 3e-3, "layers": 4, "norm": "rmsnorm", "act": "gelu"})
    lr = parse_param("learning_rate=loguniform(1e-4,1e-2)", SLOTS)
    assert (lr.kind, lr.low, lr.high) == ("loguniform", 1e-4, 1e-2) and lr.suggest(trial) == 3e-3
    assert parse_param("layers=int(2, 8)", SLOTS).suggest(trial) == 4
    norm = parse_param("norm=choice(layernorm,rmsnorm)", SLOTS)
    assert norm.component and norm.suggest(trial) == "rms_norm"
    assert parse_param("act=relu,gelu", SLOTS).suggest(trial) == "gelu"
    for spec, message in [("lr=loguniform(0,1)", "positive lower bound"), ("lr=uniform(2,1)", "low < high"),
                          ("lr=normal(0,1)", "unknown distribution"), ("norm=uniform(0,1)", "takes choice"),
                          ("lr=int(1.5,3)", "must be integers"), ("lr=choice(a)", "at least two")]:
        with pytest.raises(UserError, match=message):
            parse_param(spec, SLOTS)
