"""The second pass over a walked document: section text, captions, table cells and algorithm
lines rendered once every label's number is known; each equation's context taken from the
sentences around it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.ingest.latex_floats import algorithm2e_lines, algorithmic_lines, parse_tabular
from agent.ingest.latex_scan import read_optional
from agent.ingest.latex_text import BLOCK, LINE, PARA, TextRenderer, normalise
from agent.types import Algorithm, Equation, Figure, Section, Table

if TYPE_CHECKING:
    from agent.ingest.latex_structure import StructureWalker

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[$])")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "Eq.", "Eqs.", "Fig.", "Figs.", "Sec.", "cf.", "vs.", "Tab.", "resp.")
_CODE_ESCAPE = re.compile(r"\(\*?@([^\n]{0,300}?)@\*?\)")


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
    front: str = ""  # text before the first heading (title block, notices), rendered


def render_structure(self: StructureWalker) -> Structure:
    """Render everything the walker collected (``self``: the walker)."""
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
            section=section_title(sec),
            environment=line.environment,
        )
        for k, (line, sec) in enumerate(self.equations)
    ]
    sections = []
    for raw, title in zip(self.sections, titles, strict=True):
        text = _section_text(self, renderer, "".join(raw.pieces), equations)
        sections.append(Section(title=title, level=raw.level, text=text, number=raw.number))
    front = _section_text(self, renderer, "".join(self.front), equations)  # also fills contexts
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
            Algorithm(
                id=f"alg{k + 1}",
                caption=_caption(renderer, caption),
                label=label,
                lines=lines,
                section=section_title(sec),
            )
        )
    abstract = renderer.render(self.abstract_raw) if self.abstract_raw is not None else None
    return Structure(sections, equations, tables, algorithms, figures, dict(self.labels), abstract, front)


def _section_text(self: StructureWalker, renderer: TextRenderer, raw: str, equations: list[Equation]) -> str:
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
        else:  # code keeps its spacing: it goes in after the whitespace is normalised
            out.append(f"{PARA}{BLOCK}{block_id}{BLOCK}{PARA}")
        out.append(parts[2 * k + 2])
    text = normalise("".join(out))
    if BLOCK in text:
        text = re.sub(BLOCK + r"(\d+)" + BLOCK, lambda m: str(self.blocks[int(m.group(1))][1]), text)
    return text


def _caption(renderer: TextRenderer, raw: str | None) -> str | None:
    if raw is None:
        return None
    return " ".join(renderer.render(raw).split()) or None


def _escaped_math(latex: str) -> str:
    """LaTeX escaped into a code listing (``(@$\\bm \\alpha$@)``) as a plain name (``alpha``)."""
    latex = re.sub(r"\\(?:bm|boldsymbol|mathbf|mathrm|text|textbf|textit)(?![A-Za-z])", "", latex)
    latex = re.sub(r"\\([A-Za-z]+)", r"\1", latex)
    return re.sub(r"[${}\s]", "", latex)


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
