"""The body of a LaTeX document (macros already expanded) as sections, equations and floats.

One pass walks the body from one interesting command to the next (headings, environments,
display math, labels, captions, counter commands), keeping LaTeX's counters; a second pass
renders text, captions and table cells once every label's number is known, so forward
references print numbers too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.ingest.latex_float_walk import FLOATS, VERBATIM, FloatCollector, RawAlgorithm, RawTable
from agent.ingest.latex_floats import TABULAR_ENVS
from agent.ingest.latex_math import MATH_ENVS, SECTION_LEVELS, Counters, MathLine, display_lines
from agent.ingest.latex_render import Structure, render_structure
from agent.ingest.latex_scan import find_env_end, read_group, read_optional, read_star
from agent.ingest.latex_text import BLOCK, THEOREM_NUMBER, TextRenderer

SKIPPED = frozenset(
    "thebibliography tikzpicture pgfpicture picture filecontents filecontents* icmlauthorlist titlepage "
    "tikzcd forest dot2tex".split()
)
_HEADINGS = "section|subsection|subsubsection|paragraph|subparagraph|chapter"
_TRIGGER = re.compile(
    r"\\(?P<head>" + _HEADINGS + r")(?![A-Za-z@])"
    r"|\\(?P<appendix>appendix)(?![A-Za-z@])"
    r"|\\(?P<be>begin|end)\s*\{(?P<env>[^{}]*)\}"
    r"|\\(?P<display>\[)"
    r"|\\(?P<label>label)\s*(?=\{)"
    r"|\\(?P<counter>numberwithin|counterwithin\*?|setcounter|addtocounter|stepcounter|refstepcounter|@addtoreset)"
    r"(?![A-Za-z@])"
    r"|\\(?P<format>renewcommand)\{\\the(?P<counter_name>[A-Za-z]+)\}"
    r"|\\(?P<captionof>captionof|caption)(?![A-Za-z@])"
    r"|\\(?P<captionsetup>captionsetup)(?![A-Za-z@])"
    r"|\\."
    r"|(?P<dollars>\$\$)",
    re.S,
)
_KINDS = ("head", "appendix", "be", "display", "label", "counter", "format", "captionof", "captionsetup", "dollars")
_NUMBERING = re.compile(
    r"\\(?P<counter>numberwithin|counterwithin\*?|setcounter|addtocounter|@addtoreset)(?![A-Za-z@])"
    r"|\\(?P<format>renewcommand)\{\\the(?P<counter_name>[A-Za-z]+)\}"
)
_LABEL_AFTER = re.compile(r"\s*\\label\s*\{([^{}]*)\}")
_CAPTION_TYPE = re.compile(r"type\s*=\s*(\w+)")
REF_NAMES = {
    "equation": "Equation",
    "section": "Section",
    "table": "Table",
    "figure": "Figure",
    "algorithm": "Algorithm",
}


@dataclass
class _RawSection:
    title: str
    level: int
    number: str | None
    pieces: list[str] = field(default_factory=list)


class StructureWalker(FloatCollector):
    """Walks one document body. ``theorems`` maps ``\\newtheorem`` environments to their titles."""

    def __init__(
        self,
        counters: Counters | None = None,
        theorems: dict[str, str] | None = None,
        theorem_counters: dict[str, tuple[str, str | None]] | None = None,
    ) -> None:
        self.counters = counters or Counters()
        self.theorems = theorems or {}
        self.theorem_counters = theorem_counters or {}
        self.labels: dict[str, tuple[str, str | None]] = {}
        self.sections: list[_RawSection] = []
        self.front: list[str] = []
        self.equations: list[tuple[MathLine, int | None]] = []
        self.blocks: list[tuple[str, object]] = []  # ("math", [equation indices]) or ("code", text)
        self.tables: list[RawTable] = []
        self.figures: list[tuple[str, str | None, int | None]] = []
        self.algorithms: list[RawAlgorithm] = []
        self.abstract_raw: str | None = None
        self.target: tuple[str, str | None] = ("section", None)
        self._resolving: set[str] = set()
        self._depth = 0  # environments open in the running text
        self._scopes: list[tuple[int, tuple[str, str | None]]] = []  # (depth, target to restore)
        self._pending_table_caption: tuple[str, str | None, str | None] | None = None
        self._caption_type: str | None = None  # \captionsetup{type=figure} before a bare \caption

    # ------------------------------------------------------------------------------ walking
    @property
    def _section_index(self) -> int | None:
        return len(self.sections) - 1 if self.sections else None

    def _append(self, text: str) -> None:
        (self.sections[-1].pieces if self.sections else self.front).append(text)

    def _block(self, kind: str, data: object) -> None:
        self.blocks.append((kind, data))
        self._append(f"{BLOCK}{len(self.blocks) - 1}{BLOCK}")

    def walk(self, body: str) -> Structure:
        """Walk ``body`` (the text between ``\\begin{document}`` and ``\\end{document}``)."""
        pos = 0
        n = len(body)
        while pos < n:
            m = _TRIGGER.search(body, pos)
            if m is None:
                self._append(body[pos:])
                break
            kind = next((k for k in _KINDS if m.group(k) is not None), None)
            if kind is None:  # an escaped character or an uninteresting command
                self._append(body[pos : m.end()])
                pos = m.end()
                continue
            self._append(body[pos : m.start()])
            pos = getattr(self, "_on_" + kind)(body, m)
        return render_structure(self)

    def _on_head(self, body: str, m: re.Match[str]) -> int:
        star, j = read_star(body, m.end())
        _, j = read_optional(body, j)
        group = read_group(body, j)
        title, j = (group[0], group[1]) if group else ("", j)
        name = m.group("head")
        level = min(SECTION_LEVELS.get(name, 1), 4)
        number = None if star else self.counters.step_section(SECTION_LEVELS.get(name, 1))
        self.sections.append(_RawSection(title, level, number))
        if number is not None:
            self.target = ("section", number)
        return j

    def _on_appendix(self, body: str, m: re.Match[str]) -> int:
        self.counters.start_appendix()
        return m.end()

    def _on_label(self, body: str, m: re.Match[str]) -> int:
        group = read_group(body, m.end())
        if group is None:
            return m.end()
        key = group[0].strip()
        if key:
            self.labels[key] = self.target
        return group[1]

    def _set_target(self, target: tuple[str, str | None]) -> None:
        """``\\refstepcounter`` inside the current environment: undone when it closes."""
        self._scopes.append((self._depth, self.target))
        self.target = target

    def _close_env(self) -> None:
        self._depth = max(self._depth - 1, 0)
        while self._scopes and self._scopes[-1][0] > self._depth:
            self.target = self._scopes.pop()[1]

    def _on_counter(self, body: str, m: re.Match[str]) -> int:
        command = m.group("counter")
        first = read_group(body, m.end())
        if first is None:
            return m.end()
        counter, j = first[0].strip(), first[1]
        if command in ("stepcounter", "refstepcounter"):
            self.counters.apply(command, counter)
            return j
        second = read_group(body, j)
        if second is None:
            return j
        if command.startswith(("numberwithin", "counterwithin", "@addtoreset")):
            reset_only = command not in ("numberwithin", "counterwithin")  # counterwithin*, @addtoreset
            self.counters.set_within(counter, second[0].strip(), reset_only=reset_only)
        else:
            self.counters.apply(command, counter, second[0])
        return second[1]

    def _on_format(self, body: str, m: re.Match[str]) -> int:
        group = read_group(body, m.end())
        if group is None:
            return m.end()
        self.counters.set_format(m.group("counter_name"), group[0])
        return group[1]

    def configure(self, preamble: str) -> None:
        """Apply the preamble's numbering commands (``\\numberwithin``, ``\\renewcommand\\theequation``...)."""
        for m in _NUMBERING.finditer(preamble):
            if m.group("counter") is not None:
                self._on_counter(preamble, m)
            else:
                self._on_format(preamble, m)

    def _on_captionsetup(self, body: str, m: re.Match[str]) -> int:
        _, j = read_optional(body, m.end())
        group = read_group(body, j)
        if group is None:
            return m.end()
        kind = _CAPTION_TYPE.search(group[0])
        if kind:
            self._caption_type = kind.group(1)
        return group[1]

    def _on_captionof(self, body: str, m: re.Match[str]) -> int:
        star, j = read_star(body, m.end())
        if m.group("captionof") == "caption":  # outside a float: only after \captionsetup{type=...}
            kind = self._caption_type
            _, j = read_optional(body, j)
            text = read_group(body, j)
            if text is None or kind is None:
                return text[1] if text else j
        else:
            kind_arg = read_group(body, j)
            if kind_arg is None:
                return m.end()
            _, j = read_optional(body, kind_arg[1])
            text = read_group(body, j)
            if text is None:
                return kind_arg[1]
            kind = kind_arg[0].strip()
        number = None if star else self.counters.step(kind) if kind in self.counters.values else None
        label_m = _LABEL_AFTER.match(body, text[1])
        label = label_m.group(1).strip() if label_m else None
        if label:
            self.labels[label] = (kind, number)
        if kind == "figure":
            self.figures.append((text[0], label, self._section_index))
        elif kind == "table":
            last = self.tables[-1] if self.tables else None
            if last is not None and last.caption is None and m.start() - last.end < 1500:
                last.caption, last.label, last.number = text[0], label, number
            else:
                self._pending_table_caption = (text[0], label, number)
        self._caption_type = None
        if number is not None and kind is not None:
            self._set_target((kind, number))
        return label_m.end() if label_m else text[1]

    def _on_display(self, body: str, m: re.Match[str]) -> int:
        close = _find_unescaped(body, "\\]", m.end())
        self._math("\\[", body[m.end() : close])
        return min(close + 2, len(body))

    def _on_dollars(self, body: str, m: re.Match[str]) -> int:
        close = body.find("$$", m.end())
        close = len(body) if close == -1 else close
        self._math("$$", body[m.end() : close])
        return min(close + 2, len(body))

    def _math(self, env: str, content: str, in_text: bool = True) -> None:
        lines = display_lines(env, content, self.counters)
        indices: list[int] = []
        for line in lines:
            if line.label:
                # a label on an unnumbered line refers to whatever was numbered last (LaTeX)
                self.labels[line.label] = ("equation", line.number) if line.number else self.target
            indices.append(len(self.equations))
            self.equations.append((line, self._section_index))
        if lines and in_text:
            self._block("math", indices)

    def _on_be(self, body: str, m: re.Match[str]) -> int:
        env = m.group("env").strip()
        start = m.end()
        if m.group("be") == "end":
            if env == "subequations":
                self.counters.end_subequations()
            elif env != "document":
                self._append(body[m.start() : start])
            self._close_env()
            return start
        if env in MATH_ENVS:
            end_start, end = find_env_end(body, start, env)
            self._math(env, body[start:end_start])
            return end
        if env == "subequations":
            parent = self.counters.begin_subequations()
            self._depth += 1
            self._set_target(("equation", parent))
            return start
        if env in FLOATS:
            end_start, end = find_env_end(body, start, env)
            self._float(FLOATS[env], body[start:end_start])
            return end
        if env in TABULAR_ENVS:
            end_start, end = find_env_end(body, start, env)
            self._bare_tabular(env, body[start:end_start], m.start(), end)
            return end
        if env == "algorithmic":
            end_start, end = find_env_end(body, start, env)
            lines = [("algorithmic", body[start:end_start])]
            self.algorithms.append((lines, None, None, self._section_index))
            return end
        if env == "abstract":
            end_start, end = find_env_end(body, start, env)
            if self.abstract_raw is None:
                self.abstract_raw = body[start:end_start]
            return end
        if env in SKIPPED:
            return find_env_end(body, start, env)[1]
        if env in VERBATIM:
            end_start, end = find_env_end(body, start, env)
            content = body[start:end_start]
            _, j = read_optional(content, 0)
            if env == "minted":
                group = read_group(content, j)
                j = group[1] if group else j
            self._block("code", content[j:].strip("\n"))
            return end
        self._depth += 1
        if env in ("restatable", "restatable*"):  # thmtools: \begin{restatable}[note]{theorem}{macro}
            note, j = read_optional(body, start)
            kind = read_group(body, j)
            macro = read_group(body, kind[1]) if kind else None
            if kind and macro:
                env, start = kind[0].strip(), macro[1]
                self._append(f"\\begin{{{env}}}" + (f"[{note}]" if note else ""))
        else:
            self._append(body[m.start() : start])
        if env in self.theorems:
            number = self._theorem_number(env)
            self._set_target(("theorem", number))
            if number is not None:
                self._append(f"\\{THEOREM_NUMBER}{{{number}}}")
        return start

    def _theorem_number(self, env: str) -> str | None:
        """Step the counter of a ``\\newtheorem`` environment (shared, or within a section)."""
        if env not in self.theorem_counters:
            return None
        counter, within = self.theorem_counters[env]
        if counter not in self.counters.values:
            self.counters.values[counter] = 0
            if within:
                self.counters.set_within(counter, within)
            elif counter in self.theorem_counters and self.theorem_counters[counter][1]:
                self.counters.set_within(counter, self.theorem_counters[counter][1] or "")
        return self.counters.step(counter)

    # ---------------------------------------------------------------------------- rendering
    def ref_text(self, command: str, key: str) -> str:
        """What ``\\ref``, ``\\eqref``, ``\\autoref``... print for ``key``."""
        kind, number = self.labels.get(key, (None, None))
        if number is not None and "\\" in number:
            number = self._printed(number, key)
        shown = number if number is not None else key
        if command == "eqref":
            return f"({shown})"
        if command in ("autoref", "Autoref", "cref", "Cref") and kind in REF_NAMES:
            if kind == "equation":
                return f"{REF_NAMES[kind]} ({shown})"
            return f"{REF_NAMES[kind]} {shown}"
        return shown

    def _printed(self, number: str, key: str = "") -> str:
        """A number written with LaTeX (``\\tag{\\ref{eq:a}'}``) rendered as text."""
        if key in self._resolving or len(self._resolving) > 8:
            return key or number
        self._resolving.add(key)
        try:
            return " ".join(TextRenderer(self.ref_text, self.theorems).render(number).split())
        finally:
            self._resolving.discard(key)


def _find_unescaped(text: str, needle: str, start: int) -> int:
    pos = start
    while True:
        k = text.find(needle, pos)
        if k == -1:
            return len(text)
        backslashes = 0
        j = k - 1
        while j >= 0 and text[j] == "\\":
            backslashes += 1
            j -= 1
        if backslashes % 2 == 0:
            return k
        pos = k + 1
