"""ResearchCodeBench tasks read from a local checkout (github.com/PatrickHua/ResearchCodeBench).

The benchmark's layout::

    pset/papers.yaml                  # [{id, title, annotated_file_paths, context_file_paths, ...}]
    pset/<id>/paper2code_paper.tex    # the paper (or paper2code_paper.md)
    pset/<id>/<annotated file>.py     # code with snippets marked as below (they may nest)
    pset/<id>/paper2code_test.py      # the task's own test, run as ``python paper2code_test.py``

    # <paper2code name="compute loss">
    loss = ...
    # </paper2code name="compute loss">

A snippet is masked by replacing it (markers included) with a two-line TODO comment at its
indentation and dropping every other marker; a filled snippet goes between its markers in the
original file. Its weight in scaled pass@1 is its count of code lines: lines that are neither blank
nor comments (the markers of nested snippets are comments).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import UserError

START = re.compile(r'^\s*#\s*<paper2code\s+name="([^"]+)">\s*$')
END = re.compile(r'^\s*#\s*</paper2code\s+name="([^"]+)">\s*$')
TEST_FILE = "paper2code_test.py"
PAPER_FILES = ("paper2code_paper.tex", "paper2code_paper.md")


def code_line_count(lines: list[str]) -> int:
    """Lines holding code: not blank, not a comment."""
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


@dataclass
class Snippet:
    name: str
    start: int  # index of the opening marker line
    end: int  # index of the closing marker line
    code: list[str]  # the lines between the markers

    @property
    def lines(self) -> int:
        return code_line_count(self.code)

    @property
    def indent(self) -> str:
        """The smallest indentation of the snippet's non-blank lines (the marker's when it has none)."""
        indents = [_indent(line) for line in self.code if line.strip()]
        return min(indents, key=len) if indents else ""


@dataclass
class AnnotatedFile:
    path: str  # relative to the task folder
    lines: list[str]
    snippets: list[Snippet] = field(default_factory=list)

    def masked(self, snippet: Snippet) -> str:
        """The file with ``snippet`` replaced by a TODO comment and every marker removed."""
        indent = snippet.indent or _indent(self.lines[snippet.start])
        placeholder = [f'{indent}# TODO: Implement block "{snippet.name}"',
                       f"{indent}# Approximately {snippet.lines} line(s) of code."]
        lines = self.lines[: snippet.start] + placeholder + self.lines[snippet.end + 1:]
        return "\n".join(line for line in lines if not START.match(line) and not END.match(line)) + "\n"

    def filled(self, snippet: Snippet, code: str) -> str:
        """The original file with ``code`` (re-indented to the snippet) between the snippet's markers."""
        body = [f"{snippet.indent}{line}" if line.strip() else "" for line in normalise(code).splitlines()]
        return "\n".join(self.lines[: snippet.start + 1] + body + self.lines[snippet.end:]) + "\n"


def normalise(code: str) -> str:
    """A model's snippet as plain code: no snippet markers, no common indentation, no blank edges."""
    lines = [line.rstrip() for line in code.replace("\t", "    ").splitlines()
             if not START.match(line) and not END.match(line)]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return textwrap.dedent("\n".join(lines))


def parse_file(folder: Path, relative: str) -> AnnotatedFile:
    """Read an annotated file and its snippets; malformed markers are a UserError naming the line."""
    path = folder / relative
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    stack: list[tuple[str, int]] = []
    snippets: list[Snippet] = []
    for i, line in enumerate(lines):
        opened, closed = START.match(line), END.match(line)
        if opened:
            stack.append((opened.group(1), i))
        elif closed:
            if not stack or stack[-1][0] != closed.group(1):
                expected = f"'{stack[-1][0]}'" if stack else "no open snippet"
                raise UserError(f"{path}:{i + 1}: closing marker for '{closed.group(1)}', expected {expected}")
            name, start = stack.pop()
            if _indent(lines[start]) != _indent(line):
                raise UserError(f"{path}:{i + 1}: the markers of '{name}' are not indented alike")
            snippets.append(Snippet(name, start, i, lines[start + 1: i]))
    if stack:
        raise UserError(f"{path}:{stack[-1][1] + 1}: snippet '{stack[-1][0]}' is never closed")
    snippets.sort(key=lambda s: s.start)
    return AnnotatedFile(relative, lines, snippets)


@dataclass
class Task:
    id: str
    title: str
    folder: Path
    paper: Path
    files: list[AnnotatedFile]
    context: list[tuple[str, str]]  # (relative path, text) of the context files

    def snippets(self) -> list[tuple[AnnotatedFile, Snippet]]:
        return [(f, s) for f in self.files for s in f.snippets]


def _paths(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    raise UserError(f"{where}: expected a path or a list of paths, got {value!r}")


def pset_dir(root: str | Path) -> Path:
    """The folder holding papers.yaml: ``root/pset`` of a checkout, or ``root`` itself."""
    root = Path(root)
    for candidate in (root / "pset", root):
        if (candidate / "papers.yaml").is_file():
            return candidate
    raise UserError(f"--root {root}: no pset/papers.yaml (give a ResearchCodeBench checkout or its pset folder)")


def load_tasks(root: str | Path, only: list[str] | None = None) -> list[Task]:
    """The benchmark's tasks whose folders exist, in papers.yaml order (``only``: these ids)."""
    import yaml

    pset = pset_dir(root)
    index = pset / "papers.yaml"
    try:
        entries = yaml.safe_load(index.read_text(encoding="utf-8"))
    except Exception as exc:  # yaml raises several types; all mean a malformed index
        raise UserError(f"{index}: not valid YAML: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(entries, list):
        raise UserError(f"{index}: expected a list of papers")
    known = [str(e.get("id")) for e in entries if isinstance(e, dict)]
    if only:
        unknown = [o for o in only if o not in known]
        if unknown:
            raise UserError(f"{index}: no paper {unknown[0]!r}; papers: {', '.join(known)}")
    tasks = []
    for entry in entries:
        if not isinstance(entry, dict) or "id" not in entry:
            raise UserError(f"{index}: every entry needs an id")
        task_id = str(entry["id"])
        folder = pset / task_id
        if (only and task_id not in only) or not folder.is_dir():
            continue
        paper = next((folder / p for p in PAPER_FILES if (folder / p).is_file()), None)
        if paper is None:
            raise UserError(f"{folder}: no {' or '.join(PAPER_FILES)}")
        if not (folder / TEST_FILE).is_file():
            raise UserError(f"{folder}: no {TEST_FILE}")
        annotated = _paths(entry.get("annotated_file_paths"), f"{index}: {task_id}.annotated_file_paths")
        if not annotated:
            raise UserError(f"{index}: {task_id} names no annotated_file_paths")
        context = []
        for relative in _paths(entry.get("context_file_paths"), f"{index}: {task_id}.context_file_paths"):
            try:
                context.append((relative, (folder / relative).read_text(encoding="utf-8")))
            except OSError as exc:
                raise UserError(f"{folder / relative}: cannot read: {exc.strerror or exc}") from None
        tasks.append(Task(task_id, str(entry.get("title", task_id)), folder, paper,
                          [parse_file(folder, r) for r in annotated], context))
    if not tasks:
        raise UserError(f"{pset}: no task folders found for the papers in papers.yaml")
    return tasks
