"""Algorithm blocks in a PDF: an "Algorithm 3: ..." caption with numbered lines ("1:", "2:", ...).

The ``algorithm``/``algorithmic`` packages put the caption above the lines, ``algorithm2e`` may
put it below; both are tried. A block is taken only when at least two numbered lines sit right
against the caption, so a sentence starting "Algorithm 1 gives ..." is left to the prose. Lines
keep their nesting as two spaces per level (from the x where the text after the number starts),
as the LaTeX reader writes them; a wrapped step (an unnumbered line right of the number column)
joins the step above it. The lines found are marked ``kind = "algorithm"``, out of the prose and
out of the reach of table regions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.ingest.pdf_layout import Line, PageLayout, join_spans

_CAPTION = re.compile(r"^(?:Algorithm|ALGORITHM)\s+(?P<num>\d{1,3})\s*[:.]?\s*(?P<title>.*)$")
_NUMBERED = re.compile(r"^(?P<num>\d{1,3}):\s*(?P<rest>.*)$")
_KEYWORD = re.compile(r"^(Require|Ensure|Input|Output|Parameters?|Data|Result|Given|Initiali[sz]ation)\s*:", re.I)


@dataclass
class AlgorithmBlock:
    """An algorithm found on a page: its caption title and its steps."""

    number: str
    caption: str
    lines: list[Line]  # every line of the block (caption included), in page order
    steps: list[str]
    page: int  # 0-based


def find_algorithms(page: PageLayout, size: float) -> list[AlgorithmBlock]:
    """Algorithm blocks on ``page``; their lines get ``kind = "algorithm"``."""
    blocks: list[AlgorithmBlock] = []
    for line in page.lines:
        if line.kind != "body":
            continue
        m = _CAPTION.match(line.text)
        if not m:
            continue
        column = [ln for ln in page.lines if ln.col == line.col and ln.kind == "body"]
        k = next(j for j, ln in enumerate(column) if ln is line)
        caption = [line]
        below = column[k + 1:]
        # caption above the steps: the caption may wrap before the first step or keyword line
        while below and len(caption) < 3 and not _is_step(below[0]) and _touches(caption[-1], below[0], size):
            caption.append(below.pop(0))
        body = _walk(caption[-1], below, size, down=True)
        if _numbered(body) < 2:
            caption = [line]
            for ln in column[k + 1:k + 3]:  # caption below the steps: it may wrap below itself
                if _is_step(ln) or not _touches(caption[-1], ln, size, tight=True):
                    break
                caption.append(ln)
            body = _walk(line, list(reversed(column[:k])), size, down=False)
            body.reverse()
            while body and not _is_step(body[0]):
                body.pop(0)  # an unnumbered line above the first step is not part of it
        if _numbered(body) < 2:
            continue
        for ln in caption + body:
            ln.kind = "algorithm"
        title = _CAPTION.match(" ".join(ln.text for ln in caption))
        order = {id(ln): j for j, ln in enumerate(page.lines)}
        lines = sorted(caption + body, key=lambda ln: order[id(ln)])
        blocks.append(AlgorithmBlock(m.group("num"), title.group("title").strip() if title else "", lines,
                                     _steps(body), page.index))
    return blocks


def _is_step(line: Line) -> bool:
    return bool(_NUMBERED.match(line.text) or _KEYWORD.match(line.text))


def _numbered(lines: list[Line]) -> int:
    return sum(1 for ln in lines if _NUMBERED.match(ln.text))


def _touches(above: Line, below: Line, size: float, tight: bool = False) -> bool:
    """``below`` follows ``above`` with no more than a line's leading between them."""
    gap = below.y0 - above.y1
    return gap <= (0.5 if tight else 0.9) * size and below.size <= max(above.size, size) + 1.0


def _walk(edge: Line, lines: list[Line], size: float, *, down: bool) -> list[Line]:
    """The run of step, keyword and wrapped-step lines next to ``edge`` (away from it)."""
    run: list[Line] = []
    num_x = min((ln.x0 for ln in lines[:40] if _NUMBERED.match(ln.text)), default=None)
    prev = edge
    for ln in lines:
        if not (_touches(prev, ln, size) if down else _touches(ln, prev, size)):
            break
        wrapped = num_x is not None and ln.x0 > num_x + 0.5 * size and ln.size <= size + 1.0
        if not (_is_step(ln) or wrapped):
            break
        run.append(ln)
        prev = ln
    return run


def _steps(body: list[Line]) -> list[str]:
    """Text of the steps, numbers dropped, nesting as two spaces per level."""
    items: list[tuple[str, float | None, bool]] = []  # (text, x where the text starts, numbered)
    for ln in body:
        if _NUMBERED.match(ln.text):
            spans = list(ln.spans)
            head = spans[0].text.strip()
            if re.fullmatch(r"\d{1,3}:?", head) and len(spans) > 1:
                spans.pop(0)
                x: float | None = spans[0].x0
                text = join_spans(spans)
                if not head.endswith(":"):
                    text = text.removeprefix(":")
            else:
                x, text = None, _NUMBERED.match(ln.text).group("rest")  # type: ignore[union-attr]
            items.append((text.strip(), x, True))
        elif _KEYWORD.match(ln.text):
            items.append((ln.text, None, False))
        elif items:
            text, x, numbered = items[-1]
            items[-1] = (f"{text} {ln.text}".strip(), x, numbered)
        else:
            items.append((ln.text, None, False))
    starts = sorted({round(x, 0) for _, x, _ in items if x is not None})
    steps = [s for a, b in zip(starts, starts[1:]) if (s := b - a) >= 3.0]
    unit = min(steps, default=0.0)
    base = starts[0] if starts else 0.0
    out = []
    for text, x, _ in items:
        level = round((x - base) / unit) if x is not None and unit else 0
        out.append("  " * max(level, 0) + text)
    return out
