"""The static scan flags dangerous calls and leaves ordinary model code alone."""

from __future__ import annotations

from pathlib import Path

from agent.validate.static import scan_folder

CLEAN = '''
import re
import torch
from torch import nn
from pathlib import Path

PATTERN = re.compile(r"\\d+")

class Model(nn.Module):
    def forward(self, x):
        fast = torch.compile(self.inner)
        with open("checkpoints/last.txt", "w") as fh:
            fh.write("ok")
        Path("out/log.txt").write_text("fine")
        return getattr(self, "inner")(x)
'''

DIRTY = '''
import subprocess
import os as system_os
from socket import create_connection
import urllib.request

def attack(name):
    subprocess.run(["ls"])
    system_os.system("rm -rf /")
    system_os.execv("/bin/sh", ["sh"])
    eval("1 + 1")
    exec("x = 2")
    __import__(name)
    open("/etc/passwd", "a").write("x")
    open("../../outside.txt", mode="w")
    from pathlib import Path
    Path("/root/.bashrc").write_text("evil")
    getattr(system_os, name)()
'''


def scan(tmp_path: Path, source: str) -> list[str]:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(source)
    return [f.text() for f in scan_folder(tmp_path)]


def test_clean_code_passes(tmp_path: Path) -> None:
    assert scan(tmp_path, CLEAN) == []


def test_dangerous_calls_are_flagged_with_file_and_line(tmp_path: Path) -> None:
    found = "\n".join(scan(tmp_path, DIRTY))
    for needle in ("import subprocess", "subprocess.run()", "os.system()", "os.execv()", "from socket import",
                   "import urllib.request", "eval()", "exec()", "__import__(<computed>)", "open('/etc/passwd', 'a')",
                   "open('../../outside.txt', 'w')", "Path('/root/.bashrc').write_text()", "getattr(os, <computed>)"):
        assert needle in found, needle
    assert "pkg/model.py:8:" in found  # subprocess.run is on line 8


def test_syntax_errors_are_findings_and_caches_skipped(tmp_path: Path) -> None:
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "junk.py").write_text("import subprocess\n")
    findings = scan(tmp_path, "def broken(:\n")
    assert len(findings) == 1 and "syntax error" in findings[0]
