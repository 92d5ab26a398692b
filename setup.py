"""Packaging glue: ship the top-level prompts/ and codegen_templates/ inside the wheel.

Everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["agent", "agent.*"]) + ["agent.prompts", "agent.codegen_templates"],
    package_dir={"agent.prompts": "prompts", "agent.codegen_templates": "codegen_templates"},
)
