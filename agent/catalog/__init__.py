"""The verified component catalog: Jinja2 templates of torch/einops modules with their metadata.

Each component lives in ``codegen_templates/components/`` as ``<template>.py.j2`` (definitions only,
no import lines) plus ``<name>.toml`` (family, slot, cues, parameters, imports, shape contracts and
the reference it is proven equal to). See :mod:`agent.catalog.registry` (metadata),
:mod:`agent.catalog.render` (Jinja2 rendering, module assembly) and :mod:`agent.catalog.contracts`
(shape contracts as paper2code.toml ``[[module]]`` tables).
"""

from agent.catalog.contracts import manifest_module, manifest_modules
from agent.catalog.registry import all_components, by_family, by_slot, close_matches, get, reference_source
from agent.catalog.render import render, render_module

__all__ = [
    "all_components",
    "by_family",
    "by_slot",
    "close_matches",
    "get",
    "manifest_module",
    "manifest_modules",
    "reference_source",
    "render",
    "render_module",
]
