"""The body of a LaTeX document (macros already expanded) as sections, equations and floats.

One pass walks the body from one interesting command to the next (headings, environments,
display math, labels, captions, counter commands), keeping LaTeX's counters; a second pass
renders text, captions and table cells once every label's number is known, so forward
references print numbers too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.ingest.latex_floats import (
    TABULAR_ENVS,
    algorithm2e_lines,
    algorithmic_lines,
    parse_tabular,
)
from agent.ingest.latex_math import MATH_ENVS, SECTION_LEVELS, Counters, MathLine, display_lines
from agent.ingest.latex_scan import find_env_end, read_arg, read_group, read_optional, read_star
from agent.ingest.latex_text import BLOCK, LINE, PARA, THEOREM_NUMBER, TextRenderer, normalise
from agent.types import Algorithm, Equation, Figure, Section, Table

FLOATS = {
    "table": "table", "table*": "table", "wraptable": "table", "sidewaystable": "table",
    "figure": "figure", "figure*": "figure", "wrapfigure": "figure", "SCfigure": "figure",
    "sidewaysfigure": "figure", "algorithm": "algorithm", "algorithm*": "algorithm",
}
SKIPPED = frozenset(
    "thebibliography tikzpicture pgfpicture picture filecontents filecontents* icmlauthorlist titlepage "
    "tikzcd forest dot2tex".split()
)
VERBATIM = frozenset({"verbatim", "verbatim*", "Verbatim", "lstlisting", "minted", "alltt"})
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
_CAPTION = re.compile(r"\\(caption(?:of)?)(?![A-Za-z@])\s*(\*?)")
_LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
_LABEL_AFTER = re.compile(r"\s*\\label\s*\{([^{}]*)\}")
_CAPTION_TYPE = re.compile(r"type\s*=\s*(\w+)")
_SUB_FLOATS = re.compile(r"\\begin\s*\{(subfigure|subtable)\}|\\(subfloat|subcaption)(?![A-Za-z@])")
_SUBCAPTION_END = re.compile(r"\\subcaption(?![A-Za-z@])|\\caption(?![A-Za-z@])|\\end\s*\{minipage\}")
_BEGIN_ANY = re.compile(r"\\begin\s*\{([^{}]*)\}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[$])")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "Eq.", "Eqs.", "Fig.", "Figs.", "Sec.", "cf.", "vs.", "Tab.", "resp.")
REF_NAMES = {
    "equation": "Equation", "section": "Section", "table": "Table", "figure": "Figure", "algorithm": "Algorithm"
}


@dataclass
class _RawSection:
    title: str
    level: int
    number: str | None
    pieces: list[str] = field(default_factory=list)


@dataclass
class _RawTable:
    env: str
    content: str
    caption: str | None
    label: str | None
    number: str | None
    section: int | None
    end: int = 0


@dataclass
class Structure:
    """What the walker found; everything rendered as text."""

    sections: list[Section]
    equations: list[Equation]
    tables: list[Table]
    algorithms: list[Algorithm]
    figures: list[Figure]
    labels: dict[str, tuple[str, str | None]]
    abstract: str | None = None


class StructureWalker:
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
        self.tables: list[_RawTable] = []
        self.figures: list[tuple[str, str | None, int | None]] = []
        self.algorithms: list[tuple[list[tuple[str, str]], str | None, str | None, int | None]] = []
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
        return self._render()

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
            self.counters.set_within(counter, second[0].strip(), reset_only=command != "numberwithin"
                                     and command != "counterwithin")
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

    # ------------------------------------------------------------------------------- floats
    def _captions(
        self, kind: str, content: str, excluded: list[tuple[int, int]]
    ) -> list[tuple[int, str, str | None]]:
        """(position, caption, number) of each caption of the float, stepping its counter."""
        found: list[tuple[int, str, str | None]] = []
        for cap in _CAPTION.finditer(content):
            if any(a <= cap.start() < b for a, b in excluded):
                continue
            j = cap.end()
            cap_kind = kind
            if cap.group(1) == "captionof":
                arg = read_group(content, j)
                if arg is None:
                    continue
                cap_kind, j = arg[0].strip(), arg[1]
            _, j = read_optional(content, j)
            text = read_group(content, j)
            if text is None:
                continue
            number = None
            if not cap.group(2) and cap_kind in self.counters.values:
                number = self.counters.step(cap_kind)
            found.append((cap.start(), text[0], number))
        return found

    def _float_labels(
        self, kind: str, content: str, captions: list[tuple[int, str, str | None]], subs: list[tuple[int, int]]
    ) -> list[str | None]:
        """The label of each caption: a label belongs to the nearest caption before it; a label
        inside the k-th subfigure/subtable prints the float's number and a letter (1a, 1b)."""
        result: list[str | None] = [None] * len(captions)
        main = next((c[2] for c in captions if c[2] is not None), None)
        sub_counter = "sub" + kind
        for lab in _LABEL.finditer(content):
            key = lab.group(1).strip()
            sub = next((k for k, (a, b) in enumerate(subs) if a <= lab.start() < b), None)
            if sub is not None:
                self.counters.values[sub_counter] = sub + 1
                self.labels[key] = (kind, f"{main}{self.counters.format(sub_counter)}" if main else None)
                continue
            before = [k for k, c in enumerate(captions) if c[0] <= lab.start()]
            k = before[-1] if before else (0 if captions else None)
            number = captions[k][2] if k is not None else None
            self.labels[key] = (kind, number)
            if k is not None and result[k] is None:
                result[k] = key
        return result

    def _float(self, kind: str, content: str) -> None:
        _, start = read_optional(content, 0)  # placement: [t], [htbp]
        content = self._nested_floats(content[start:])
        for env_m in _BEGIN_ANY.finditer(content):  # display math inside floats still counts
            env = env_m.group(1).strip()
            if env in MATH_ENVS:
                end_start, _ = find_env_end(content, env_m.end(), env)
                self._math(env, content[env_m.end() : end_start], in_text=False)
        subs = _sub_float_spans(content)
        captions = self._captions(kind, content, subs)
        labels = self._float_labels(kind, content, captions, subs)
        section = self._section_index
        if kind == "figure":
            for (_, text, _), label in zip(captions, labels, strict=True):
                self.figures.append((text, label, section))
            return
        if kind == "algorithm":
            blocks = _inner_envs(content, "algorithmic")
            parts = [("algorithmic", b) for b in blocks]
            if not parts:
                code = [b for env in VERBATIM for b in _inner_envs(content, env)]
                parts = [("code", c) for c in code] or [("algorithm2e", _without_captions(content))]
            caption = captions[0][1] if captions else None
            self.algorithms.append((parts, caption, labels[0] if labels else None, section))
            return
        pos = 0
        while True:
            m = _BEGIN_ANY.search(content, pos)
            if m is None:
                break
            env = m.group(1).strip()
            if env not in TABULAR_ENVS:
                pos = m.end()
                continue
            end_start, end = find_env_end(content, m.end(), env)
            best = _nearest(captions, m.start())
            caption, label, number = (None, None, None)
            if best is not None:
                caption, number, label = captions[best][1], captions[best][2], labels[best]
            self.tables.append(_RawTable(env, content[m.end() : end_start], caption, label, number, section))
            pos = end

    def _nested_floats(self, content: str) -> str:
        """Handle floats inside this float (an algorithm in a wrapfigure) and cut them out."""
        out: list[str] = []
        pos = 0
        while True:
            m = _BEGIN_ANY.search(content, pos)
            if m is None:
                break
            env = m.group(1).strip()
            if env not in FLOATS:
                out.append(content[pos : m.end()])
                pos = m.end()
                continue
            end_start, end = find_env_end(content, m.end(), env)
            out.append(content[pos : m.start()])
            self._float(FLOATS[env], content[m.end() : end_start])
            pos = end
        out.append(content[pos:])
        return "".join(out)

    def _bare_tabular(self, env: str, content: str, start: int, end: int) -> None:
        caption = label = number = None
        if env.startswith("longtable"):
            captions = self._captions("table", content, [])
            labels = self._float_labels("table", content, captions, [])
            if captions:
                caption, number, label = captions[0][1], captions[0][2], labels[0]
            content = _without_captions(content)
        elif self._pending_table_caption is not None:
            caption, label, number = self._pending_table_caption
            self._pending_table_caption = None
        self.tables.append(_RawTable(env, content, caption, label, number, self._section_index, end))

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

    def _render(self) -> Structure:
        renderer = TextRenderer(self.ref_text, self.theorems)
        titles = [" ".join(renderer.render(s.title).split()) for s in self.sections]

        def section_title(index: int | None) -> str | None:
            return titles[index] if index is not None else None

        equations = [
            Equation(
                id=f"eq{k + 1}",
                number=self._printed(line.number) if line.number and "\\" in line.number else line.number,
                label=line.label,
                latex=line.latex,
                section=section_title(sec), environment=line.environment,
            )
            for k, (line, sec) in enumerate(self.equations)
        ]
        sections = []
        for raw, title in zip(self.sections, titles, strict=True):
            text = self._section_text(renderer, "".join(raw.pieces), equations)
            sections.append(Section(title=title, level=raw.level, text=text, number=raw.number))
        self._section_text(renderer, "".join(self.front), equations)  # contexts of front equations
        tables = [
            Table(
                id=f"tab{k + 1}",
                caption=_caption(renderer, t.caption),
                label=t.label,
                rows=parse_tabular(t.env.rstrip("*") if t.env == "longtable*" else t.env, t.content, renderer.render),
                section=section_title(t.section),
                number=t.number,
            )
            for k, t in enumerate(self.tables)
        ]
        figures = [
            Figure(id=f"fig{k + 1}", caption=_caption(renderer, text) or "", label=label, section=section_title(sec))
            for k, (text, label, sec) in enumerate(self.figures)
        ]
        algorithms = []
        for k, (parts, caption, label, sec) in enumerate(self.algorithms):
            lines: list[str] = []
            for style, content in parts:
                if style == "algorithmic":
                    lines += algorithmic_lines(content, renderer.render)
                elif style == "code":
                    _, j = read_optional(content, 0)
                    code = _CODE_ESCAPE.sub(lambda m: _escaped_math(m.group(1)), content[j:])
                    lines += [line.rstrip() for line in code.strip("\n").splitlines()]
                else:
                    lines += algorithm2e_lines(content, renderer.render)
            algorithms.append(
                Algorithm(id=f"alg{k + 1}", caption=_caption(renderer, caption), label=label, lines=lines,
                          section=section_title(sec))
            )
        abstract = renderer.render(self.abstract_raw) if self.abstract_raw is not None else None
        return Structure(sections, equations, tables, algorithms, figures, dict(self.labels), abstract)

    def _section_text(self, renderer: TextRenderer, raw: str, equations: list[Equation]) -> str:
        """Render a section; fill each equation's context from the sentences around it."""
        parts = re.split(BLOCK + r"(\d+)" + BLOCK, renderer.raw(raw))
        texts = [normalise(p) for p in parts[0::2]]
        out: list[str] = [parts[0]]
        for k, block_id in enumerate(parts[1::2]):
            kind, data = self.blocks[int(block_id)]
            if kind == "math":
                assert isinstance(data, list)
                before = next((t for t in reversed(texts[: k + 1]) if t), "")
                after = next((t for t in texts[k + 1 :] if t), "")
                context = _context(_last_sentence(before), _first_sentence(after))
                shown = []
                for index in data:
                    eq = equations[index]
                    eq.context = context
                    shown.append(f"$${eq.latex}$$" + (f" ({eq.number})" if eq.number else ""))
                out.append(LINE + LINE.join(shown) + LINE)
            else:
                out.append(PARA + str(data).replace("\n", LINE) + PARA)
            out.append(parts[2 * k + 2])
        return normalise("".join(out))


def _caption(renderer: TextRenderer, raw: str | None) -> str | None:
    if raw is None:
        return None
    return " ".join(renderer.render(raw).split()) or None


def _inner_envs(content: str, name: str) -> list[str]:
    found = []
    pattern = re.compile(r"\\begin\s*\{" + re.escape(name) + r"\}")
    pos = 0
    while True:
        m = pattern.search(content, pos)
        if m is None:
            return found
        end_start, end = find_env_end(content, m.end(), name)
        found.append(content[m.end() : end_start])
        pos = end


def _without_captions(content: str) -> str:
    """``content`` with its ``\\caption{...}`` and ``\\label{...}`` removed."""
    out: list[str] = []
    pos = 0
    for m in re.finditer(r"\\(?:caption|label)(?![A-Za-z@])\*?", content):
        if m.start() < pos:
            continue
        out.append(content[pos : m.start()])
        _, j = read_optional(content, m.end())
        arg = read_arg(content, j)
        pos = arg[1] if arg else m.end()
    out.append(content[pos:])
    return "".join(out)


_CODE_ESCAPE = re.compile(r"\(\*?@(.*?)@\*?\)")


def _escaped_math(latex: str) -> str:
    """LaTeX escaped into a code listing (``(@$\\bm \\alpha$@)``) as a plain name (``alpha``)."""
    latex = re.sub(r"\\(?:bm|boldsymbol|mathbf|mathrm|text|textbf|textit)(?![A-Za-z])", "", latex)
    latex = re.sub(r"\\([A-Za-z]+)", r"\1", latex)
    return re.sub(r"[${}\s]", "", latex)


def _sub_float_spans(content: str) -> list[tuple[int, int]]:
    """Spans of subfigure/subtable environments and \\subfloat commands, in order."""
    spans: list[tuple[int, int]] = []
    for sub in _SUB_FLOATS.finditer(content):
        if spans and sub.start() < spans[-1][1]:
            continue
        if sub.group(1):
            spans.append((sub.start(), find_env_end(content, sub.end(), sub.group(1))[1]))
        elif sub.group(2) == "subcaption":  # its label follows, up to the end of the minipage
            stop = _SUBCAPTION_END.search(content, sub.end())
            spans.append((sub.start(), stop.start() if stop else len(content)))
        else:
            _, j = read_optional(content, sub.end())
            group = read_group(content, j)
            spans.append((sub.start(), group[1] if group else j))
    return spans


def _nearest(captions: list[tuple[int, str, str | None]], position: int) -> int | None:
    if not captions:
        return None
    return min(range(len(captions)), key=lambda k: abs(captions[k][0] - position))


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


def _last_sentence(text: str, limit: int = 300) -> str:
    text = text.replace("\n", " ").strip()
    pieces = _split_sentences(text)
    sentence = pieces[-1] if pieces else ""
    if len(sentence) > limit:
        sentence = "…" + sentence[-limit:].split(" ", 1)[-1]
    return sentence


def _first_sentence(text: str, limit: int = 200) -> str:
    text = text.replace("\n", " ").strip()
    pieces = _split_sentences(text)
    sentence = pieces[0] if pieces else ""
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + "…"
    return sentence


def _split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        candidate = text[start : m.start()]
        if candidate.endswith(_ABBREVIATIONS) or re.search(r"\b[A-Z]\.$", candidate):
            continue
        sentences.append(candidate)
        start = m.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def _context(before: str, after: str) -> str:
    if before and after:
        return f"{before} … {after}"
    return before or after
