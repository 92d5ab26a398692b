"""`pip install .` must ship prompts/ and codegen_templates/ inside the wheel (DESIGN.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # setuptools builds in the source folder: build from a copy so the checkout stays untouched.
    source = tmp_path_factory.mktemp("src") / "paper2code"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(".git", "build", "generated", "*.egg-info",
                                                                     "__pycache__", ".venv"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (path,) = out.glob("paper2code-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_prompts_and_templates(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for prompt in (REPO_ROOT / "prompts").rglob("*.j2"):
        assert f"agent/prompts/{prompt.relative_to(REPO_ROOT / 'prompts').as_posix()}" in names
    templates = REPO_ROOT / "codegen_templates"
    for template in templates.rglob("*"):
        if template.is_file() and "__pycache__" not in template.parts:
            assert f"agent/codegen_templates/{template.relative_to(templates).as_posix()}" in names
    assert not any(name.startswith(("tests/", "examples/", "generated/")) for name in names)


def test_wheel_declares_the_console_script_and_licence(wheel: zipfile.ZipFile) -> None:
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "paper2code = agent.cli:main" in wheel.read(entry_points).decode()
    metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith("METADATA"))).decode()
    assert "AGPL-3.0-or-later" in metadata


def test_resources_resolve_from_the_source_tree() -> None:
    from agent.resources import prompts_dir, templates_dir

    assert (prompts_dir() / "system.md.j2").is_file()
    assert Path(templates_dir(), "components").is_dir()
