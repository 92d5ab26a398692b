"""Display equations in a PDF: detection, printed numbers and a best-effort LaTeX reconstruction.

A display equation is a run of lines in one column that are centred or math-dense and not
prose; a numbered one carries "(n)" at the column's right edge. The LaTeX is rebuilt (pdf_latex) from the
geometry of the spans: a smaller span raised or lowered against the span to its left is a
superscript or subscript, a numerator row above a denominator row (overlapping in x) is a
fraction, a radical wraps the atom after it, Greek letters and math symbols become commands,
and upright words become function names (``\\max``, ``\\mathrm{softmax}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.ingest.pdf_latex import spans_to_latex
from agent.ingest.pdf_layout import Line, PageLayout, Span, join_spans
from agent.ingest.pdf_symbols import _FUNCTIONS, _MATH_CHARS, _OPERATORS, _ROMAN_MATH, _WORDS

_NUMBER = re.compile(r"^\((\d{1,3}(?:\.\d{1,3})?[a-z]?|[A-Z]\.?\d{1,3}(?:\.\d{1,2})?[a-z]?)\)$")



@dataclass
class EquationBlock:
    """A display equation found on a page."""

    lines: list[Line]
    number: str | None
    raw_text: str
    latex: str
    page: int  # 0-based


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------


def math_density(spans: list[Span]) -> float:
    """Share of non-space characters set in math fonts or being math symbols."""
    total = math = 0
    for s in spans:
        n = len(s.text.replace(" ", ""))
        total += n
        if s.math:
            math += n
        elif _ROMAN_MATH.match(s.font) and not re.search(r"[A-Za-z]{4,}", s.text):
            math += n  # digits, operators and short names in the math roman font
        else:
            math += sum(1 for c in s.text if c in _MATH_CHARS)
    return math / total if total else 0.0


def text_words(spans: list[Span]) -> list[tuple[str, bool]]:
    """Words of three or more letters set in a text (not a math) font, left to right, each with
    whether it is an operator name of a formula rather than a word of a sentence.

    Operator names of a display formula ("Concat(head_1, ..., head_h)", "= Attention(",
    "lrate = ...", "step^{-0.5}") are set in the text font, like prose; they are told apart by
    what touches them: a bracket or a script right after the word with no space between, or a
    relation or binary operator next to it (scripts skipped). Words in script-size spans (the
    "model" of d_model) are never taken for operator names.
    """
    sizes = [s.size for s in spans if s.text.strip()]
    if not sizes:
        return []
    main = max(sizes)
    # (token, span, whether a space precedes it, script size)
    tokens: list[tuple[str, Span, bool, bool]] = []
    prev: Span | None = None
    for s in spans:
        gap = s.x0 - prev.x1 if prev is not None else 0.0
        spaced = prev is None or (gap > 0.15 * min(s.size, prev.size) and gap > 0.8)
        for m in re.finditer(r"[A-Za-z]+|\d+(?:\.\d+)?|\S", s.text):
            before = s.text[:m.start()]
            space = before[-1:].isspace() if before.strip() else (spaced or before[:1].isspace())
            tokens.append((m.group(0), s, space, s.size < 0.8 * main))
        prev = s if prev is None or s.x1 > prev.x1 else prev
    words: list[tuple[str, bool]] = []
    for k, (tok, span, _, small) in enumerate(tokens):
        if span.math or len(tok) < 3 or not tok.isalpha():
            continue
        if small:
            words.append((tok, False))
            continue
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        applied = nxt is not None and not nxt[2] and (nxt[3] or nxt[0] in ("(", "["))
        left = next((t[0] for t in reversed(tokens[:k]) if not t[3]), "")
        right = next((t[0] for t in tokens[k + 1:] if not t[3]), "")
        words.append((tok, applied or left in _OPERATORS or right in _OPERATORS))
    return words


def is_prose(spans: list[Span]) -> bool:
    """Running text rather than a formula: several words in a text font.

    On a visibly mathematical line (a fifth or more of it math) the operator names of a formula
    (see :func:`text_words`) do not count: a wide display equation full of named functions
    ("MHA(x) = Concat(head_1, ...)W^O, head_j = Attention(...)") is not prose.
    """
    density = math_density(spans)
    words = [w for w, name in text_words(spans) if not (name and density >= 0.2)]
    words = [w for w in words if w.lower() not in _FUNCTIONS and w.lower() not in _WORDS]
    return len(words) >= 5 or (len(words) >= 3 and density < 0.2)


def number_chunk(line: Line, col_right: float) -> tuple[str, list[Span]] | None:
    """The printed equation number "(n)" at the right end of ``line`` and the spans before it."""
    size = line.size
    chunks = line.chunks(0.9 * size)
    if not chunks:
        return None
    last = chunks[-1]
    text = join_spans(last).replace(" ", "")
    m = _NUMBER.match(text)
    if not m or max(s.x1 for s in last) < col_right - 3.5 * size:
        return None
    rest = [s for c in chunks[:-1] for s in c]
    if rest:
        gap = min(s.x0 for s in last) - max(s.x1 for s in rest)
        if gap < 1.2 * size:
            return None
        if is_prose(rest):
            return None
    return m.group(1), rest


def _display_like(line: Line, page: PageLayout, size: float, near_number: bool = False) -> bool:
    """Centred (or, beside a numbered line, math-dense) and not prose."""
    if line.kind != "body" or is_prose(line.spans):
        return False
    lo, hi = page.col_range(line.col)
    indented = line.x0 > lo + 2.0 * size and line.x1 < hi - 0.5 * size
    return indented or (near_number and math_density(line.spans) >= 0.5)


def find_equations(page: PageLayout, size: float, pitch: float) -> list[EquationBlock]:
    """Display equations on ``page``; their lines get ``kind = "equation"``."""
    lines = page.lines
    anchors = [number_chunk(ln, page.col_range(ln.col)[1] + 2) if ln.kind == "body" else None for ln in lines]

    def close(a: int, b: int) -> bool:
        return lines[a].col == lines[b].col and lines[b].y0 - lines[a].y1 <= 0.9 * pitch

    def member(k: int, near_number: bool) -> bool:
        return lines[k].kind == "body" and (anchors[k] is not None or _display_like(lines[k], page, size, near_number))

    blocks: list[EquationBlock] = []
    i = 0
    while i < len(lines):
        near = anchors[i] is not None or (i + 1 < len(lines) and anchors[i + 1] is not None and close(i, i + 1))
        if not member(i, near):
            i += 1
            continue
        run = [i]
        j = i + 1
        while j < len(lines) and close(run[-1], j):
            near = any(anchors[k] is not None for k in run) or (
                j + 1 < len(lines) and anchors[j + 1] is not None and close(j, j + 1))
            if not member(j, near):
                break
            run.append(j)
            j += 1
        blocks.extend(_split_run(page, [lines[k] for k in run], size))
        i = j
    return blocks


def _split_run(page: PageLayout, run: list[Line], size: float) -> list[EquationBlock]:
    """One run of display lines into equations: each numbered line takes the unnumbered lines
    above it; lines that overlap a numbered line vertically (fraction parts, limits) join it."""
    numbered = []
    for line in run:
        _, hi = page.col_range(line.col)
        found = number_chunk(line, hi + 2)
        numbered.append(found)
    if not any(numbered):
        if len(run) == 1 and (math_density(run[0].spans) < 0.35 or len(run[0].text) < 4):
            return []  # a lone centred line that is not visibly math (a figure label, a name)
        if not any("=" in ln.text or "∈" in ln.text or "≤" in ln.text for ln in run):
            return []
        for line in run:
            line.kind = "equation"
        spans = [s for ln in run for s in ln.spans]
        return [EquationBlock(run, None, _raw(run), spans_to_latex(spans), page.index)]
    blocks: list[EquationBlock] = []
    pending: list[Line] = []
    groups: list[tuple[str, Line, list[Line], list[Span]]] = []  # number, numbered line, lines, spans
    for line, found in zip(run, numbered):
        if found is None:
            if groups and line.y0 < groups[-1][1].y1 + 0.3 * size:  # overlaps the numbered line
                groups[-1][2].append(line)
                groups[-1][3].extend(line.spans)
            else:
                pending.append(line)
            continue
        number, rest = found
        groups.append((number, line, pending + [line], [s for ln in pending for s in ln.spans] + rest))
        pending = []
    if pending and groups:
        groups[-1][2].extend(pending)
        groups[-1][3].extend(s for ln in pending for s in ln.spans)
    for number, _, lines, spans in groups:
        latex = spans_to_latex(spans)
        if not latex:
            continue  # a number with nothing recognisable beside it
        for line in lines:
            line.kind = "equation"
        kept = {id(s) for s in spans}
        raw = " ".join(t for ln in lines if (t := join_spans([s for s in ln.spans if id(s) in kept])))
        blocks.append(EquationBlock(lines, number, raw, latex, page.index))
    return blocks


def _raw(lines: list[Line]) -> str:
    return " ".join(ln.text for ln in lines)


def equation_context(before: str, after: str) -> str:
    """The sentence before an equation and the one after it."""
    prev = re.split(r"(?<=[.!?])\s+(?=[A-Z])", before.strip())[-1] if before.strip() else ""
    nxt = re.split(r"(?<=[.!?])\s+(?=[A-Z])", after.strip())[0] if after.strip() else ""
    both = " ".join(p for p in (prev, nxt) if p)
    return both[:600]
