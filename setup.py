"""Packaging glue: ship the top-level prompts/ and codegen_templates/ inside the wheel.

They become the data packages ``agent.prompts`` and ``agent.codegen_templates`` (each sub-folder a
package of its own, so setuptools ships it without warnings). Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_packages, setup

DATA = {"agent.prompts": "prompts", "agent.codegen_templates": "codegen_templates"}


def data_packages() -> list[str]:
    packages = []
    for package, folder in DATA.items():
        for sub in sorted(p for p in [Path(folder), *Path(folder).rglob("*")] if p.is_dir()):
            if sub.name != "__pycache__":
                packages.append(".".join([package, *sub.relative_to(folder).parts]))
    return packages


setup(
    packages=find_packages(include=["agent", "agent.*"]) + data_packages(),
    package_dir=DATA,
)
