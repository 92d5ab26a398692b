"""LaTeX source files: reading, comment stripping, safe ``\\input`` resolution, the main file.

Everything a paper's source may name (``\\input{...}``, ``\\include``, ``\\subfile``, ``\\import``)
is resolved inside the source root only. Absolute paths, ``..``, pipes, symlinks that lead out of
the root and anything that is not a regular file are refused with a warning and never opened.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from agent.errors import IngestError
from agent.types import IngestLimits

PREFERRED_MAIN = ("ms.tex", "main.tex", "paper.tex")
MAX_TEX_FILES = 2000  # .tex files looked at when searching a folder for the main file
MAX_INPUT_DEPTH = 32

_VERBATIM_ENVS = ("verbatim", "verbatim*", "Verbatim", "lstlisting", "minted", "alltt")
_BEGIN_ENV = re.compile(r"\\begin\s*\{([^{}]+)\}")
_END_ENV = re.compile(r"\\end\s*\{([^{}]+)\}")
_EXCLUDE_COMMENT = re.compile(r"\\excludecomment\s*\{([^{}]+)\}")
_LINE_SCAN = re.compile(r"\\verb\*?([^A-Za-z\s*])|\\.|%", re.S)
_LEADING_WS = re.compile(r"[ \t]*")


_MARKERS = {1: None, 2: None, 3: None}  # control characters ingest uses internally as markers


def decode_tex(data: bytes) -> str:
    """Decode a source file: UTF-8 (with or without BOM), else Latin-1, which never fails."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.translate(_MARKERS)


def looks_like_text(text: str) -> bool:
    """False for binary content: NUL bytes or many control characters in the first 64 KB."""
    sample = text[:65536]
    if "\x00" in sample:
        return False
    control = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f\v")
    return control <= max(8, len(sample) // 100)


def _comment_start(line: str) -> int:
    """Index of the first ``%`` that starts a comment in ``line``, or -1 (``\\%`` and ``\\verb`` skip)."""
    pos = 0
    while True:
        m = _LINE_SCAN.search(line, pos)
        if m is None:
            return -1
        if m.group() == "%":
            return m.start()
        if m.group(1):  # \verb|...|: jump past the closing delimiter
            close = line.find(m.group(1), m.end())
            if close == -1:
                return -1
            pos = close + 1
        else:
            pos = m.end()


def strip_comments(text: str) -> str:
    """Remove what TeX never reads: ``%`` comments (and the line end they swallow) and
    ``comment`` environments (also those declared with ``\\excludecomment``).

    Verbatim environments keep their ``%``. Blank lines (paragraph breaks) survive.
    """
    out: list[str] = []
    comment_envs = {"comment"}
    in_comment: str | None = None
    in_verbatim: str | None = None
    swallow_indent = False
    for line in text.splitlines(keepends=True):
        if in_comment is not None:
            if re.search(r"\\end\s*\{" + re.escape(in_comment) + r"\}", line):
                in_comment = None
            continue
        if in_verbatim is not None:
            out.append(line)
            end = _END_ENV.search(line)
            if end and end.group(1) == in_verbatim:
                in_verbatim = None
            continue
        if swallow_indent:
            line = line[_LEADING_WS.match(line).end() :]
            swallow_indent = False
        cut = _comment_start(line) if "%" in line else -1
        code = line if cut == -1 else line[:cut]
        if "\\" in code:
            for m in _EXCLUDE_COMMENT.finditer(code):
                comment_envs.update(n.strip() for n in m.group(1).split(","))
            begin = _BEGIN_ENV.search(code)
            if begin is not None:
                name = begin.group(1).strip()
                if name in comment_envs:
                    out.append(code[: begin.start()])
                    rest = code[begin.end() :]
                    if not re.search(r"\\end\s*\{" + re.escape(name) + r"\}", rest):
                        in_comment = name
                    continue
                if name in _VERBATIM_ENVS and not _END_ENV.search(code, begin.end()):
                    in_verbatim = name
                    out.append(line)
                    continue
        if cut == -1:
            out.append(line)
        else:
            out.append(code)
            swallow_indent = True
    return "".join(out)


def _is_relative_to(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


class SourceResolver:
    """Finds and reads the files a LaTeX source names, confined to ``root``.

    Refusals and misses are appended to ``warnings`` (shared with the Paper being built).
    """

    def __init__(self, root: Path, *, limits: IngestLimits, warnings: list[str]) -> None:
        self.root = root.resolve()
        self.limits = limits
        self.warnings = warnings
        self.bytes_read = 0

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def resolve(self, name: str, base: Path, command: str = "input") -> Path | None:
        """The file ``\\command{name}`` reads, relative to ``base``; None (with a warning) if refused
        or missing. ``.tex`` is tried when the name has no such suffix."""
        raw = name
        name = name.strip().strip('"').strip()
        shown = f"\\{command}{{{raw.strip()}}}"
        if not name:
            self._warn(f"{shown}: empty file name ignored")
            return None
        if (
            name.startswith(("/", "\\", "~", "|"))
            or re.match(r"^[A-Za-z]:", name)
            or "\x00" in name
            or any(part == ".." for part in re.split(r"[/\\]", name))
        ):
            self._warn(f"refused {shown}: the path leaves the source folder")
            return None
        base = base if _is_relative_to(base.resolve(), self.root) else self.root
        names = [name + ".tex", name] if command == "include" else [name, name + ".tex"]
        if name.lower().endswith(".tex"):
            names = [name]
        for candidate_name in names:
            candidate = base / candidate_name
            if not os.path.lexists(candidate):
                continue
            real = candidate.resolve()
            if not _is_relative_to(real, self.root):
                self._warn(f"refused {shown}: it links outside the source folder")
                return None
            try:
                mode = real.stat().st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                self._warn(f"refused {shown}: not a regular file")
                return None
            return real
        self._warn(f"{shown}: file not found in the source folder; skipped")
        return None

    def read(self, path: Path, *, main: bool = False) -> str | None:
        """Read and comment-strip ``path`` under the per-file and total size caps.

        A problem is a warning (and None) for an included file, an IngestError for the main file.
        """
        cap = self.limits.max_file_bytes
        problem = None
        data = b""
        try:
            with open(path, "rb") as handle:
                data = handle.read(cap + 1)
        except OSError as exc:
            problem = f"could not be read ({exc.strerror or exc})"
        if problem is None and len(data) > cap:
            problem = f"over the {cap} byte limit"
        elif problem is None and self.bytes_read + len(data) > cap:
            problem = f"the sources together pass the {cap} byte limit"
        text = decode_tex(data)
        if problem is None and not looks_like_text(text):
            problem = "binary content, not LaTeX"
        if problem is not None:
            if main:
                raise IngestError(f"{path}: {problem}")
            self._warn(f"{self.display(path)}: {problem}; skipped")
            return None
        self.bytes_read += len(data)
        return strip_comments(text)

    def display(self, path: Path) -> str:
        """``path`` relative to the source root when it lies inside it."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return path.name


_DOCCLASS = re.compile(r"\\documentclass\s*(?:\[[^\]]*\])?\s*\{\s*([^{}\s]+)\s*\}")
_BEGIN_DOCUMENT = re.compile(r"\\begin\s*\{document\}")
_INPUTS = re.compile(r"\\(?:input|include|subfile|import|subimport)(?![A-Za-z@])")


def _tex_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.lower().endswith(".tex"):
                path = Path(dirpath) / filename
                if path.is_symlink() or not path.is_file():
                    continue
                found.append(path)
                if len(found) >= MAX_TEX_FILES:
                    return found
    return found


def find_main_file(root: Path, limits: IngestLimits) -> Path:
    """The main file of a LaTeX source folder.

    Candidates hold ``\\documentclass`` and ``\\begin{document}`` outside comments (subfiles
    documents only when nothing else qualifies). Among several, ms.tex/main.tex/paper.tex win,
    then the file that ``\\input``'s the most, then the shallowest path.
    """
    files = _tex_files(root)
    if not files:
        raise IngestError(f"{root}: no .tex files in this folder")
    candidates: list[tuple[int, int, int, int, str, Path]] = []
    for path in files:
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                continue
            text = strip_comments(decode_tex(path.read_bytes()))
        except OSError:
            continue
        docclass = _DOCCLASS.search(text)
        if docclass is None or not _BEGIN_DOCUMENT.search(text):
            continue
        rel = path.relative_to(root)
        is_subfile = docclass.group(1) == "subfiles"
        preferred = path.name.lower() in PREFERRED_MAIN
        inputs = len(_INPUTS.findall(text))
        candidates.append((int(is_subfile), int(not preferred), -inputs, len(rel.parts), str(rel), path))
    if not candidates:
        raise IngestError(
            f"{root}: no main LaTeX file (one with \\documentclass and \\begin{{document}}) in this folder"
        )
    return min(candidates)[-1]
