"""The ``static`` check: an AST scan of the implementation for dangerous calls, run in the parent.

Nothing is imported or executed. Flagged: process control (subprocess, os.system/popen/exec*/
spawn*/fork, pty), network libraries (socket, urllib, http, requests, ...), dynamic code (eval,
exec, compile, __import__ with a computed name), native code (ctypes, cffi), and file writes
or deletions whose path is absolute, goes up with ``..`` or starts at the home folder. The scan
is a tripwire, not the sandbox: the sandbox contains what a scan cannot see.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SKIP_DIRS = {".git", "__pycache__", ".venv", "venv", "node_modules", "lightning_logs", ".paper2code"}

DANGEROUS_MODULES = {
    "subprocess": "runs programs",
    "pty": "spawns a terminal",
    "socket": "opens network connections",
    "socketserver": "serves the network",
    "ssl": "opens network connections",
    "urllib": "fetches URLs",
    "urllib3": "fetches URLs",
    "http": "speaks HTTP",
    "requests": "fetches URLs",
    "httpx": "fetches URLs",
    "aiohttp": "fetches URLs",
    "ftplib": "uses FTP",
    "smtplib": "sends mail",
    "telnetlib": "uses telnet",
    "paramiko": "uses SSH",
    "websocket": "opens websockets",
    "websockets": "opens websockets",
    "ctypes": "calls native code",
    "cffi": "calls native code",
}
DANGEROUS_CALLS = {
    "os.system": "runs a shell command",
    "os.popen": "runs a shell command",
    "os.fork": "forks the process",
    "os.forkpty": "forks the process",
    "os.kill": "signals processes",
    "os.killpg": "signals processes",
    "os.setsid": "leaves the process group",
    "os.rmdir": "deletes files",
    "os.removedirs": "deletes files",
    "shutil.rmtree": "deletes a tree",
    "eval": "evaluates dynamic code",
    "exec": "executes dynamic code",
    "compile": "compiles dynamic code",
    "importlib.import_module": "imports a computed module",
}
_OS_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")
_WRITE_CALLS = {"os.remove", "os.unlink", "os.rename", "os.replace", "shutil.move", "shutil.copy",
                "shutil.copyfile", "shutil.copytree", "os.makedirs", "os.mkdir", "os.chmod", "os.chown"}
_PATH_WRITERS = {"write_text", "write_bytes", "unlink", "rmdir", "mkdir", "touch", "rename", "replace"}


@dataclass(frozen=True)
class Finding:
    file: str  # relative to the implementation folder
    line: int
    what: str  # "subprocess.run", "open('/etc/passwd', 'w')"
    why: str

    def text(self) -> str:
        return f"{self.file}:{self.line}: {self.what} ({self.why})"


def scan_folder(root: Path) -> list[Finding]:
    """Scan every ``.py`` file under ``root``; files that do not parse are reported as findings too."""
    findings: list[Finding] = []
    for path in sorted(_python_files(root)):
        rel = str(path.relative_to(root))
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
            tree = ast.parse(source, filename=rel)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", 0) or 0
            findings.append(Finding(rel, line, "syntax error", f"cannot be scanned: {exc.__class__.__name__}"))
            continue
        findings.extend(_Scanner(rel).scan(tree))
    return findings


def _python_files(root: Path) -> list[Path]:
    out = []
    for path in root.rglob("*.py"):
        parts = set(path.relative_to(root).parts[:-1])
        if parts & SKIP_DIRS or path.is_symlink():
            continue
        out.append(path)
    return out


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _outside(path_node: ast.AST) -> str | None:
    """The literal path when it points outside the working folder, else None."""
    if isinstance(path_node, ast.Constant) and isinstance(path_node.value, str):
        text = path_node.value
    elif isinstance(path_node, ast.JoinedStr) and path_node.values:
        first = path_node.values[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            return None
        text = first.value
    else:
        return None
    if text.startswith(("/", "~", "\\")) or ".." in Path(text).parts or (len(text) > 1 and text[1] == ":"):
        return text
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []
        self.aliases: dict[str, str] = {}  # local name -> dotted origin ("sp" -> "subprocess")

    def scan(self, tree: ast.AST) -> list[Finding]:
        self.visit(tree)
        return self.findings

    def _flag(self, node: ast.AST, what: str, why: str) -> None:
        self.findings.append(Finding(self.file, getattr(node, "lineno", 0), what, why))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            root = alias.name.split(".")[0]
            self.aliases[alias.asname or root] = alias.name if alias.asname else root
            if root in DANGEROUS_MODULES:
                self._flag(node, f"import {alias.name}", DANGEROUS_MODULES[root])
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        root = module.split(".")[0]
        if node.level == 0 and root in DANGEROUS_MODULES:
            self._flag(node, f"from {module} import ...", DANGEROUS_MODULES[root])
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}" if module else alias.name
        self.generic_visit(node)

    def _resolve(self, node: ast.AST) -> str | None:
        name = _dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        origin = self.aliases.get(head)
        if origin:
            return f"{origin}.{rest}" if rest else origin
        return name

    def visit_Call(self, node: ast.Call) -> None:
        name = self._resolve(node.func)
        if name:
            self._check_call(node, name)
        if isinstance(node.func, ast.Attribute) and node.func.attr in _PATH_WRITERS:
            base = node.func.value
            if isinstance(base, ast.Call) and _dotted(base.func) in ("Path", "pathlib.Path") and base.args:
                target = _outside(base.args[0])
                if target is not None:
                    self._flag(node, f"Path({target!r}).{node.func.attr}()", "writes outside the working folder")
        self.generic_visit(node)

    def _check_call(self, node: ast.Call, name: str) -> None:
        if name in DANGEROUS_CALLS:
            self._flag(node, f"{name}()", DANGEROUS_CALLS[name])
        elif "." in name and name.split(".")[0] in DANGEROUS_MODULES:
            self._flag(node, f"{name}()", DANGEROUS_MODULES[name.split(".")[0]])
        elif name.startswith(_OS_PREFIXES):
            self._flag(node, f"{name}()", "replaces or spawns a process")
        elif name == "__import__" and not (node.args and isinstance(node.args[0], ast.Constant)):
            self._flag(node, "__import__(<computed>)", "imports a computed module")
        elif name in ("getattr",) and len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant):
            base = self._resolve(node.args[0])
            if base in ("os", "builtins", "subprocess", "socket"):
                self._flag(node, f"getattr({base}, <computed>)", "reaches a dangerous function by name")
        elif name in _WRITE_CALLS and node.args:
            target = _outside(node.args[-1] if name.startswith("shutil") else node.args[0])
            if target is not None:
                self._flag(node, f"{name}({target!r})", "writes outside the working folder")
        elif name in ("open", "io.open", "builtins.open") and node.args:
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            writes = isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(
                c in mode.value for c in "wax+")
            target = _outside(node.args[0])
            if writes and target is not None:
                self._flag(node, f"open({target!r}, {mode.value!r})", "writes outside the working folder")

