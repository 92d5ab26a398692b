"""Experiments on an implementation: ablations with statistics, and hyperparameter sweeps.

Public API::

    parse_factor("norm=layernorm,rmsnorm", plan) -> ExperimentFactor       (agent.experiments.factors)
    design_cells(factors, ofat=False) -> list[ExperimentCell]              (agent.experiments.factors)
    run_ablation(folder, factors, ...) -> AblationResult                   (agent.experiments.ablation)
    run_sweep(folder, params, ...) -> SweepOutcome                         (agent.experiments.sweep)

Every run trains in a sandboxed child process (agent.experiments.launch starts
``python -m agent.experiments.worker``); the parent never imports the implementation. Results
are JSON files keyed by everything that determines them, so an interrupted experiment resumes
where it stopped. Statistics live in agent.experiments.stats, the markdown report in
agent.experiments.report and the PNG plots in agent.experiments.plots.
"""

from __future__ import annotations
