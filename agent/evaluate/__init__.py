"""Evaluation for CI (``paper2code eval``): are the implementations still right, and is the generator
getting better or worse?

Modules::

    implementations  find folders with paper2code.toml below a folder, validate them in parallel
    report           their summary table, JSON, JUnit XML and Markdown
    suite            read evals/<suite>/suite.toml and its cases (paper, expectations, hidden tests)
    runner           per case: generate (offline or with an LLM), validate, run hidden tests, score
    scoring          components found / expected, hyperparameters right / expected
    hidden           hidden pytest files run against a generated package, in the sandbox
    baseline         compare a run with an earlier one; a drop beyond the tolerance is a regression
    leaderboard      a suite run as tables, Markdown and JUnit
    rcb, rcb_tasks   the ResearchCodeBench adapter (masked snippets, the task's own tests, scaled pass@1)
    providers        the oracle and empty providers that calibrate that adapter
    sandboxed        one command run in validation's sandbox
"""
