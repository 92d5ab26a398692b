"""Experiments on an implementation: ablations with statistics, and hyperparameter sweeps.

Public API::

    parse_factor("norm=layernorm,rmsnorm", plan_slots) -> ExperimentFactor      (factors)
    design_cells(factors, ofat=False) -> list[ExperimentCell]                   (factors)
    vary(plan, swaps, hyperparameters) -> Plan; draft_variant(plan, paper, out)  (variants)
    run_ablation(folder, factor_specs, AblationOptions) -> (AblationResult, out) (ablation)
    run_sweep(folder, param_specs, SweepOptions) -> (SweepResult, out)          (sweep)
    write_ablation(result, out) / write_sweep(result, out) -> {name: path}      (report)

Every run trains in a sandboxed child process (agent.experiments.launch starts
``python -m agent.experiments.worker``); the parent never imports the implementation. Results
are JSON files keyed by everything that determines them, so an interrupted experiment resumes
where it stopped. Statistics live in agent.experiments.stats, the markdown report in
agent.experiments.report and the PNG plots in agent.experiments.plots.
"""

from __future__ import annotations
