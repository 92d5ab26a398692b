"""Helpers of the chat tests: run ``paper2code chat`` as a real process, read the folder's state."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

SECRETS = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL")


def chat_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a chat process: no key or endpoint of the machine, no P2C_* settings."""
    env = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("P2C_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra or {})
    return env


def run_chat(folder: Path, script: str, *args: str, env: dict[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``paper2code chat FOLDER ARGS`` with ``script`` on stdin (a pipe: the plain line reader)."""
    return subprocess.run([sys.executable, "-m", "agent", "chat", str(folder), *args], input=script,
                          capture_output=True, text=True, timeout=timeout, env=env or chat_env(), cwd=folder.parent)


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def subjects(folder: Path) -> list[str]:
    """Commit subjects, newest first."""
    return git(folder, "log", "--format=%s").splitlines()


def config_value(folder: Path, section: str, key: str) -> str:
    """A value of config.yaml (the comment cut off)."""
    text = (folder / "config.yaml").read_text(encoding="utf-8")
    block = re.search(rf"(?ms)^{section}:\n(.*?)(?=^\S)", text + "\nend:\n")
    assert block, f"no {section}: in config.yaml"
    match = re.search(rf"(?m)^  {key}: (\S+)", block.group(1))
    assert match, f"no {section}.{key} in config.yaml"
    return match.group(1)


def clean(folder: Path) -> bool:
    return git(folder, "status", "--porcelain").strip() == ""


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text[-3000:]
        assert "internal error" not in text, text[-3000:]
