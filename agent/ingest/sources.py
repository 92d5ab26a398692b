"""LaTeX source files: reading, comment stripping, safe ``\\input`` resolution, the main file.

Everything a paper's source may name (``\\input{...}``, ``\\include``, ``\\subfile``, ``\\import``)
is resolved inside the source root only. Absolute paths, ``..``, pipes, symlinks that lead out of
the root and anything that is not a regular file are refused with a warning and never opened.
"""

from __future__ import annotations

import os
import re
import stat
from functools import lru_cache
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


_MARKERS = re.compile("[\x01-\x03]")  # control characters ingest uses internally as markers
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def decode_tex(data: bytes) -> str:
    """Decode a source file: UTF-8 (with or without BOM), else Latin-1, which never fails."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return _MARKERS.sub("", text) if _MARKERS.search(text) else text


def looks_like_text(text: str) -> bool:
    """False for binary content: NUL bytes or many control characters in the first 64 KB."""
    sample = text[:65536]
    if "\x00" in sample:
        return False
    return len(_CONTROL_CHARS.findall(sample)) <= max(8, len(sample) // 100)


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
        if in_verbatim is not None:
            out.append(line)
            if _end_of(in_verbatim).search(line):
                in_verbatim = None
            continue
        pos = _LEADING_WS.match(line).end() if swallow_indent else 0
        swallow_indent = False
        opened_here = False
        while pos < len(line):
            if in_comment is not None:  # inside a comment environment: look for its end
                end = _end_of(in_comment).search(line, pos)
                if end is None or not opened_here:  # the line that ends a block is dropped whole
                    in_comment = in_comment if end is None else None
                    break
                in_comment, pos = None, end.end()
                continue
            cut = _comment_start(line[pos:])
            stop = len(line) if cut == -1 else pos + cut
            for declared in _EXCLUDE_COMMENT.finditer(line, pos, stop):
                comment_envs.update(n.strip() for n in declared.group(1).split(","))
            begin = next(
                (m for m in _BEGIN_ENV.finditer(line, pos, stop)
                 if m.group(1).strip() in comment_envs or m.group(1).strip() in _VERBATIM_ENVS),
                None,
            )
            if begin is None:
                out.append(line[pos:stop])
                swallow_indent = cut != -1
                break
            out.append(line[pos : begin.start()])
            name = begin.group(1).strip()
            if name in comment_envs:
                in_comment, pos, opened_here = name, begin.end(), True
                continue
            end = _end_of(name).search(line, begin.end())
            if end is None:  # a verbatim block starts: the rest of the line is kept as it is
                in_verbatim = name
                out.append(line[begin.start() :])
                break
            out.append(line[begin.start() : end.end()])
            pos = end.end()
    return "".join(out)


@lru_cache(maxsize=64)
def _end_of(name: str) -> re.Pattern[str]:
    return re.compile(r"\\end\s*\{" + re.escape(name) + r"\}")


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
            raw = decode_tex(path.read_bytes())
        except OSError:
            continue
        if "\\documentclass" not in raw:
            continue
        text = strip_comments(raw)
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
