"""Validate an implementation described by ``paper2code.toml``: executed checks in a sandbox.

Public API::

    validate_project(path, *, checks=None, options=None) -> ValidationReport
    load_manifest(path) -> Manifest          (agent.validate.manifest)

The parent process never imports the implementation and never initialises CUDA: the static
scan reads source text, everything else runs in a sandboxed worker (agent.validate.sandbox,
agent.validate.worker). Reports render as a rich table, JSON or JUnit (agent.validate.report).
"""

from __future__ import annotations

from agent.validate.manifest import load_manifest
from agent.validate.runner import plan_checks, validate_project

__all__ = ["load_manifest", "plan_checks", "validate_project"]
