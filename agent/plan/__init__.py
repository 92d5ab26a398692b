"""Planning: decide what to build from a paper (agent.types.Plan).

The offline planner (:func:`plan_paper`) matches the verified catalog to the paper's words and
equations; an LLM planner can refine its output when one is configured.
"""

from agent.plan.offline import plan_paper, slugify

__all__ = ["plan_paper", "slugify"]
