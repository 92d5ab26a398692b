"""Every component renders with its defaults, imports, and keeps its shape contracts and references."""

from __future__ import annotations

import pytest
import torch

from agent.catalog import all_components, reference_source
from tests.catalog.helpers import axes, close, instantiate, make_inputs, randomize_, run_contract

CONTRACTS = [(c, k) for c in all_components() for k in c.contracts]


def test_every_component_has_a_contract_or_is_covered_by_its_tests():
    without = sorted(c.name for c in all_components() if not c.contracts)
    assert without == [], f"components without a shape contract: {without}"


@pytest.mark.parametrize(("component", "contract"), CONTRACTS, ids=[f"{c.name}-{k.name}" for c, k in CONTRACTS])
def test_contract(component, contract):
    torch.manual_seed(0)
    run_contract(component, contract)


REFERENCED = [(c, k) for c, k in CONTRACTS if k.reference]


@pytest.mark.parametrize(("component", "contract"), REFERENCED, ids=[f"{c.name}-{k.name}" for c, k in REFERENCED])
def test_contract_reference_function(component, contract):
    """The reference functions shipped for generated projects agree with the module (random weights)."""
    namespace: dict = {}
    exec(compile(reference_source(component.name), component.reference_file, "exec"), namespace)
    module = randomize_(instantiate(component, contract))
    sizes = {a: 4 for a in axes(contract)} | contract.dims
    inputs = make_inputs(contract, sizes, torch.float64)
    close(module(**inputs), namespace[contract.reference](module, **inputs))
