"""Following ``\\input``, ``\\include``, ``\\subfile``, ``\\import`` (and ``\\begin{input}``) at the
point where they appear in the token stream. Paths are resolved and read by the callbacks the
expander was given (:class:`agent.ingest.sources.SourceResolver`), which confine them to the
source root; here a file is refused when it would include itself or nest too deep."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from agent.ingest.macro_defs import MacroDefinitions
from agent.ingest.macro_stream import Frame, tokenize

INPUT_COMMANDS = {
    "\\input": "input",
    "\\include": "include",
    "\\subfile": "subfile",
    "\\import": "import",
    "\\subimport": "subimport",
    "\\inputfrom": "import",
    "\\subinputfrom": "subimport",
    "\\includefrom": "import",
    "\\subincludefrom": "subimport",
    "\\@input": "input",
    "\\@@input": "input",
    "\\InputIfFileExists": "input",
}
MAX_FILE_NESTING = 32
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_BEGIN_DOCUMENT = re.compile(r"\\begin\s*\{document\}")
_END_DOCUMENT = re.compile(r"\\end\s*\{document\}")


class InputFollower(MacroDefinitions):
    """Reads included files into the token stream."""

    resolve: Callable[[str, Path, str], Path | None] | None
    read: Callable[[Path], str | None] | None
    _files: int

    def _input(self, t: str) -> None:
        command = INPUT_COMMANDS.get(t, t.lstrip("\\"))
        base = self._current_base()
        if command in ("import", "subimport"):  # the folder joins the name, so ".." is caught
            directory = self._read_text_arg().rstrip("/")
            name = (directory + "/" if directory else "") + self._read_text_arg()
            if command == "import":
                base = self._root_base()
        elif t == "\\input" and self._peek() != "{":
            name = self._read_bare_filename()
        else:
            name = self._read_text_arg()
        if t == "\\InputIfFileExists":
            self._read_arg()
            self._read_arg()
        if self.resolve is None or self.read is None or base is None:
            self._emit(t)
            self._out.extend(["{", name, "}"])
            return
        path = self.resolve(name, base, command)
        if path is None:
            return
        open_files = [f.path for f in self._stack if f.path is not None]
        if path in open_files:
            self._warn(f"\\{command}{{{name}}}: the file includes itself (cycle); skipped")
            return
        if len(open_files) >= MAX_FILE_NESTING:
            self._warn(f"\\{command}{{{name}}}: files nested more than {MAX_FILE_NESTING} deep; skipped")
            return
        text = self.read(path)
        if text is None:
            return
        if command == "subfile":
            begin = _BEGIN_DOCUMENT.search(text)
            if begin:
                end = _END_DOCUMENT.search(text, begin.end())
                text = text[begin.end() : end.start() if end else len(text)]
        self._files += 1
        new_base = path.parent if command in ("import", "subimport", "subfile") else base
        self._stack.append(Frame(tokenize(text), self._current_chain(), new_base, path))

    def _usepackage(self, t: str) -> None:
        """``\\usepackage[...]{a,b}``: a package whose ``.sty`` lies in the source folder is the authors' own
        (macros for the paper's notation) and is read for its definitions; others belong to the TeX
        distribution and are left alone. The command itself stays in the text for the preamble reader."""
        options = self._read_optional()
        arg = self._read_arg()
        tokens = arg[0] if arg else []
        self._emit(t)
        if options is not None:
            self._out.extend(["[", *options, "]"])
        self._out.extend(["{", *tokens, "}"])
        base = self._current_base()
        if self.resolve is None or self.read is None or base is None:
            return
        local = [name for name in (n.strip() for n in "".join(tokens).split(","))
                 if _PACKAGE_NAME.fullmatch(name) and (base / f"{name}.sty").is_file()]
        for name in reversed(local):  # the stack reads the last pushed first
            path = self.resolve(f"{name}.sty", base, t.lstrip("\\"))
            if path is None or path in [f.path for f in self._stack if f.path is not None]:
                continue
            text = self.read(path)
            if text:
                self._files += 1
                self._stack.append(Frame(tokenize(text), self._current_chain(), base, path))

    def _endinput(self, t: str) -> None:
        """``\\endinput``: the rest of the current file is not read."""
        for frame in reversed(self._stack):
            if frame.path is not None or frame is self._stack[0]:
                frame.pos = len(frame.tokens)
                return

    def _root_base(self) -> Path | None:
        for frame in self._stack:
            if frame.base is not None:
                return frame.base
        return None

    def _read_bare_filename(self) -> str:
        """``\\input file`` without braces: the name runs to the next space or control sequence."""
        parts: list[str] = []
        self._peek()
        while True:
            t = self._peek(skip_space=False)
            if t is None or t.isspace() or t.startswith("\\") or t in "{}":
                break
            parts.append(t)
            self._next()
        return "".join(parts)
