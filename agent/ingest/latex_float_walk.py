"""Floats met while walking a document: tables, figures and algorithms with their captions,
labels and numbers (a caption steps its float's counter, a label takes the number of the
caption before it, labels inside subfigures print 1a, 1b), floats nested in floats, bare
tabulars and longtables."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agent.ingest.latex_floats import TABULAR_ENVS
from agent.ingest.latex_math import MATH_ENVS, Counters
from agent.ingest.latex_scan import find_env_end, read_arg, read_group, read_optional

FLOATS = {
    "table": "table",
    "table*": "table",
    "wraptable": "table",
    "sidewaystable": "table",
    "figure": "figure",
    "figure*": "figure",
    "wrapfigure": "figure",
    "SCfigure": "figure",
    "sidewaysfigure": "figure",
    "algorithm": "algorithm",
    "algorithm*": "algorithm",
}
VERBATIM = frozenset({"verbatim", "verbatim*", "Verbatim", "lstlisting", "minted", "alltt"})
_CAPTION = re.compile(r"\\(caption(?:of)?)(?![A-Za-z@])\s*(\*?)")
_LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
_SUB_FLOATS = re.compile(r"\\begin\s*\{(subfigure|subtable)\}|\\(subfloat|subcaption)(?![A-Za-z@])")
_SUBCAPTION_END = re.compile(r"\\subcaption(?![A-Za-z@])|\\caption(?![A-Za-z@])|\\end\s*\{minipage\}")
_BEGIN_ANY = re.compile(r"\\begin\s*\{([^{}]*)\}")

MAX_FLOAT_NESTING = 4  # floats inside floats inside floats...: deeper ones are dropped
Caption = tuple[int, str, str | None]  # (position in the float, caption LaTeX, printed number)
RawAlgorithm = tuple[list[tuple[str, str]], str | None, str | None, int | None]  # parts, caption, label, section


@dataclass
class RawTable:
    env: str
    content: str
    caption: str | None
    label: str | None
    number: str | None
    section: int | None
    end: int = 0


class FloatCollector:
    """Collects floats for :class:`agent.ingest.latex_structure.StructureWalker`."""

    counters: Counters
    labels: dict[str, tuple[str, str | None]]
    tables: list[RawTable]
    figures: list[tuple[str, str | None, int | None]]
    algorithms: list[RawAlgorithm]
    _pending_table_caption: tuple[str, str | None, str | None] | None
    # provided by the walker: the index of the current section, and display-math handling
    _section_index: int | None
    _math: Callable[..., None]

    def _captions(self, kind: str, content: str, excluded: list[tuple[int, int]]) -> list[Caption]:
        """(position, caption, number) of each caption of the float, stepping its counter."""
        found: list[Caption] = []
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
        self,
        kind: str,
        content: str,
        captions: list[Caption],
        subs: list[tuple[int, int]],
        sub_labels: dict[int, tuple[str, str | None]] | None = None,
    ) -> list[str | None]:
        """The label of each caption: a label belongs to the nearest caption before it; a label
        inside the k-th subfigure/subtable prints the float's number and a letter (1a, 1b), and
        goes into ``sub_labels[k]`` as (label, number)."""
        result: list[str | None] = [None] * len(captions)
        main = next((c[2] for c in captions if c[2] is not None), None)
        sub_counter = "sub" + kind
        for lab in _LABEL.finditer(content):
            key = lab.group(1).strip()
            sub = next((k for k, (a, b) in enumerate(subs) if a <= lab.start() < b), None)
            if sub is not None:
                self.counters.values[sub_counter] = sub + 1
                self.labels[key] = (kind, f"{main}{self.counters.format(sub_counter)}" if main else None)
                if sub_labels is not None:
                    sub_labels.setdefault(sub, (key, self.labels[key][1]))
                continue
            before = [k for k, c in enumerate(captions) if c[0] <= lab.start()]
            k = before[-1] if before else (0 if captions else None)
            number = captions[k][2] if k is not None else None
            self.labels[key] = (kind, number)
            if k is not None and result[k] is None:
                result[k] = key
        return result

    def _float(self, kind: str, content: str, depth: int = 0) -> None:
        _, start = read_optional(content, 0)  # placement: [t], [htbp]
        content = self._nested_floats(content[start:], depth)
        for env_m in _BEGIN_ANY.finditer(content):  # display math inside floats still counts
            env = env_m.group(1).strip()
            if env in MATH_ENVS:
                end_start, _ = find_env_end(content, env_m.end(), env)
                self._math(env, content[env_m.end() : end_start], in_text=False)
        subs = _sub_float_spans(content)
        captions = self._captions(kind, content, subs)
        sub_labels: dict[int, tuple[str, str | None]] = {}
        labels = self._float_labels(kind, content, captions, subs, sub_labels)
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
        for env, inner, position in innermost_tabulars(content):
            best = _nearest(captions, position)
            caption, label, number = (None, None, None)
            if best is not None:
                caption, number, label = captions[best][1], captions[best][2], labels[best]
            sub = next((k for k, (a, b) in enumerate(subs) if a <= position < b), None)
            if sub is not None and sub in sub_labels:  # a subtable: its own label and number (3a)
                label, number = sub_labels[sub]
                sub_caption = _sub_caption(content[subs[sub][0] : subs[sub][1]])
                if sub_caption:
                    caption = f"{caption} ({sub_caption})" if caption else sub_caption
            self.tables.append(RawTable(env, inner, caption, label, number, section))

    def _nested_floats(self, content: str, depth: int) -> str:
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
            if depth < MAX_FLOAT_NESTING:
                self._float(FLOATS[env], content[m.end() : end_start], depth + 1)
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
        nested = innermost_tabulars(content)
        parts = [(e, inner) for e, inner, _ in nested] if nested else [(env, content)]
        for part_env, part in parts:  # a layout tabular holding tables: its inner tables are the data
            self.tables.append(RawTable(part_env, part, caption, label, number, self._section_index, end))


def innermost_tabulars(content: str, depth: int = 0) -> list[tuple[str, str, int]]:
    """(environment, body, position) of each tabular in ``content`` that holds no tabular itself."""
    found: list[tuple[str, str, int]] = []
    pos = 0
    while True:
        m = _BEGIN_ANY.search(content, pos)
        if m is None:
            return found
        env = m.group(1).strip()
        if env not in TABULAR_ENVS:
            pos = m.end()
            continue
        end_start, end = find_env_end(content, m.end(), env)
        inner = content[m.end() : end_start]
        nested = innermost_tabulars(inner, depth + 1) if depth < 4 else []
        if nested:
            found.extend((e, body, m.end() + p) for e, body, p in nested)
        else:
            found.append((env, inner, m.start()))
        pos = end


def _sub_caption(span: str) -> str | None:
    """The caption LaTeX of one subfigure/subtable span (``\\subcaption{..}`` or ``\\caption{..}``)."""
    m = re.search(r"\\(?:sub)?caption\*?(?![A-Za-z@])|\\subfloat(?![A-Za-z@])", span)
    if m is None:
        return None
    if m.group().startswith("\\subfloat"):
        text, _ = read_optional(span, m.end())
        return text
    _, j = read_optional(span, m.end())
    group = read_group(span, j)
    return group[0] if group else None


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


def _nearest(captions: list[Caption], position: int) -> int | None:
    if not captions:
        return None
    return min(range(len(captions)), key=lambda k: abs(captions[k][0] - position))
