"""Mutation tests: the correct fixtures pass; each mutant fails with the check its bug class names.

Attention and normalisation mutants are validated family by family (one run, one warm worker,
every mutant a [[module]]); each Lightning mutant is its own project (one [training] table).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from agent.types import CheckResult, ValidateOptions
from agent.validate import validate_project
from tests.validate.conftest import by_target
from tests.validate.mutants import (
    ATTENTION,
    DDP_RANK_CRASH,
    DDP_RANK_STALLS,
    DDP_UNUSED,
    NORM,
    TRAINING,
    Mutant,
    build_training_mutant,
)

BAD = ("fail", "error", "timeout")


def caught(mutant: Mutant, results: dict) -> bool:
    return any(results[name].status in BAD for name in mutant.expected if name in results)


def describe(results: dict) -> str:
    return "; ".join(f"{n}={r.status}" for n, r in results.items())


@pytest.mark.parametrize("family", ["attention", "norm"])
def test_correct_module_passes_every_check(family: str, attention_family, norm_family) -> None:
    _, report = attention_family if family == "attention" else norm_family
    results = by_target(report)["correct"]
    assert len(results) == 9  # import + 8 module checks
    assert all(r.status == "pass" for r in results.values()), describe(results)


@pytest.mark.parametrize("mutant", ATTENTION, ids=[m.name for m in ATTENTION])
def test_attention_mutant_is_caught(mutant: Mutant, attention_family) -> None:
    results = by_target(attention_family[1])[mutant.name]
    assert caught(mutant, results), f"{mutant.bug}: expected {sorted(mutant.expected)} to fail; {describe(results)}"


@pytest.mark.parametrize("mutant", NORM, ids=[m.name for m in NORM])
def test_norm_mutant_is_caught(mutant: Mutant, norm_family) -> None:
    results = by_target(norm_family[1])[mutant.name]
    assert caught(mutant, results), f"{mutant.bug}: expected {sorted(mutant.expected)} to fail; {describe(results)}"


@pytest.mark.parametrize("family", ["attention", "norm"])
def test_catch_rate_and_details(family: str, attention_family, norm_family) -> None:
    mutants, report = attention_family if family == "attention" else norm_family
    targets = by_target(report)
    real = [m for m in mutants.values() if m is not None]
    rate = sum(caught(m, targets[m.name]) for m in real) / len(real)
    assert len(real) >= (15 if family == "attention" else 10)
    assert rate >= 0.9, f"{family}: {rate:.0%} of mutants caught"
    # every failure carries a detail with numbers (sizes, differences, counts) to fix from
    for mutant in real:
        for name in mutant.expected:
            result = targets[mutant.name].get(name)
            if result is not None and result.status == "fail":
                assert any(ch.isdigit() for ch in result.detail) and len(result.detail) > 40, result.detail
    # one warm worker served the whole family
    assert report.environment["worker_starts"] == 1
    assert report.passed is False


def test_failure_details_name_parameters_and_numbers(attention_family) -> None:
    targets = by_target(attention_family[1])
    detached = targets["detached_path"]["grad_flow"].detail
    assert "k_proj.weight" in detached and "k_proj.bias" in detached and "q_proj" not in detached
    unused = targets["unused_parameter"]["grad_flow"].detail
    assert "gate" in unused
    backward = targets["wrong_custom_backward"]["gradcheck"].detail
    assert "analytic" in backward and "finite-difference" in backward
    leak = targets["causal_leak"]["causal"].detail
    assert "position" in leak and "n=6" in leak
    squeeze = targets["squeeze_batch_one"]["shapes"].detail
    assert "b=1" in squeeze and "(1, 1, 16)" in squeeze


@pytest.fixture(scope="session")
def training_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, CheckResult]]:
    """Every Lightning project validated once, two at a time (each run is mostly one busy process)."""
    cases = {"correct": (None, ["smoke_train", "ddp"]), **{m.name: (m, ["smoke_train"]) for m in TRAINING},
             DDP_UNUSED.name: (DDP_UNUSED, ["ddp"]), DDP_RANK_CRASH.name: (DDP_RANK_CRASH, ["ddp"])}
    root = tmp_path_factory.mktemp("training")

    def run(name: str) -> tuple[str, dict[str, CheckResult]]:
        mutant, checks = cases[name]
        report = validate_project(build_training_mutant(mutant, root / name), checks=checks)
        return name, {c.name: c for c in report.checks}

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, cases))


@pytest.mark.parametrize("mutant", [None, *TRAINING, DDP_UNUSED, DDP_RANK_CRASH],
                         ids=["correct", *[m.name for m in TRAINING], DDP_UNUSED.name, DDP_RANK_CRASH.name])
def test_training_mutants(mutant: Mutant | None, training_reports) -> None:
    results = training_reports["correct" if mutant is None else mutant.name]
    if mutant is None:
        assert all(r.status == "pass" for r in results.values()), describe(results)
        assert "checkpoint written, reloaded, same outputs" in results["smoke_train"].detail
        assert "ranks agree" in results["ddp"].detail
    else:
        detail = " | ".join(r.detail for r in results.values())
        assert caught(mutant, results), f"{mutant.bug}: {describe(results)}: {detail}"


def test_training_failure_details(training_reports) -> None:
    detail = training_reports["optimizer_misses_parameters"]["smoke_train"].detail
    assert "model.head.weight" in detail and "model.encoder" not in detail
    assert "learning rate collapsed" in training_reports["scheduler_misconfigured"]["smoke_train"].detail
    assert "NaN" in training_reports["diverging_lr"]["smoke_train"].detail or "inf" in \
        training_reports["diverging_lr"]["smoke_train"].detail
    assert "different outputs" in training_reports["state_outside_checkpoint"]["smoke_train"].detail
    assert "aux_head.weight" in training_reports[DDP_UNUSED.name]["ddp"].detail


def test_ddp_rank_failure_stops_its_peer(training_reports) -> None:
    """One rank fails: the check fails at once with that rank's error; the peer is not left waiting in a
    collective until the check's time limit."""
    result = training_reports[DDP_RANK_CRASH.name]["ddp"]
    assert result.status == "fail", result.detail
    assert "rank 1 failed" in result.detail and "rank-one bug" in result.detail
    assert result.seconds < 60


def test_ddp_stalled_rank_is_stopped_with_where_it_was(tmp_path) -> None:
    """A rank that never returns: the ranks are stopped before the check's own limit, and the detail says
    which stage each rank had reached."""
    report = validate_project(build_training_mutant(DDP_RANK_STALLS, tmp_path / "p"), checks=["ddp"],
                              options=ValidateOptions(timeout_s=20))
    result = {c.name: c for c in report.checks}["ddp"]
    assert result.status == "fail", result.detail
    assert "stopped after 10 s" in result.detail and "training step 0" in result.detail
    assert result.seconds < 19
