"""Tables and figures in a PDF: captions, the region a caption belongs to, and table cells.

A caption is a line starting "Table 3:" / "Figure 2." (with a separator, or a bold label at the
start of a block). The float it labels lies directly above or below it: the run of lines that are
not prose. Table cells come from PyMuPDF's table finder when the table is ruled; booktabs tables
(horizontal rules only) defeat it, so the fallback reads a grid from the words of the region:
rows from baselines, columns from the x-gaps shared by the body rows, stacked header rows merged.
"""

from __future__ import annotations

import re
import statistics
from typing import Any

from agent.ingest.pdf_layout import Line, PageLayout, clean
from agent.ingest.pdf_math import is_prose, number_chunk

_CAPTION = re.compile(
    r"^(?P<kind>Table|TABLE|Tab\.|Figure|FIGURE|Fig\.)\s*(?P<num>[A-Z]?\d{1,3}|[IVX]{1,5})"
    r"(?P<sep>\s*[:.|—–]|\s+-\s)?")
_HEADING = re.compile(r"^(\d{1,2}|[A-Z])(\.\d{1,2}){0,3}\.?\s+[A-Z]")


def caption_of(page: PageLayout, i: int, size: float, pitch: float) -> tuple[str, str, list[Line]] | None:
    """("table" | "figure", number, caption lines) when ``page.lines[i]`` starts a caption."""
    line = page.lines[i]
    m = _CAPTION.match(line.text)
    if not m:
        return None
    label_bold = line.spans[0].bold
    prev = next((ln for ln in reversed(page.lines[:i]) if ln.col == line.col), None)
    starts_block = prev is None or line.y0 - prev.y1 > 0.45 * size or prev.kind != "body"
    sep = (m.group("sep") or "").strip()
    if not (sep == ":" or (sep and (label_bold or starts_block)) or (not sep and label_bold and starts_block)):
        return None
    kind = "table" if m.group("kind").lower().startswith("tab") else "figure"
    lines = [line]
    for nxt in page.lines[i + 1:]:
        if nxt.col != line.col or nxt.kind != "body":
            break
        last = lines[-1]
        if nxt.base - last.base > 1.35 * max(last.size, 0.1) or nxt.base < last.base:
            break
        lo, hi = page.col_range(line.col)
        aligned = abs(nxt.x0 - line.x0) < 1.5 * size or abs((nxt.x0 + nxt.x1) / 2 - (lo + hi) / 2) < 2 * size
        if not aligned:
            break
        if abs(nxt.size - last.size) > 1.0 or _CAPTION.match(nxt.text) or _table_like(nxt, size):
            break
        lines.append(nxt)
    return kind, m.group("num"), lines


def _table_like(line: Line, size: float) -> bool:
    return len(line.chunks(1.2 * size)) >= 3


def _stops(line: Line, page: PageLayout, size: float) -> bool:
    """A line that cannot belong to a float: prose, a heading, another caption, a numbered equation."""
    lo, hi = page.col_range(line.col)
    if is_prose(line.spans):
        words = len(re.findall(r"[A-Za-z]{3,}", line.text))
        if (words >= 6 and len(line.chunks(1.5 * size)) <= 1) or (
                len(line.chunks(0.9 * size)) <= 1 and line.x1 - line.x0 > 0.45 * (hi - lo)):
            return True
    if line.bold and _HEADING.match(line.text):
        return True
    return bool(_CAPTION.match(line.text)) or number_chunk(line, hi + 2) is not None


def float_region(page: PageLayout, caption: list[Line], kind: str, size: float) -> list[Line]:
    """The lines of the table or figure that ``caption`` labels (above or below it)."""
    col = caption[0].col
    lo, hi = page.col_range(col)  # a caption crossing the gutter labels a full-width float
    top, bottom = min(ln.y0 for ln in caption), max(ln.y1 for ln in caption)
    cands = [ln for ln in page.lines if ln.kind == "body" and ln.x1 > lo - 2 and ln.x0 < hi + 2
             and (col == -1 or ln.col in (col, -1))]
    below = sorted((ln for ln in cands if ln.y0 >= bottom - 1), key=lambda ln: ln.y0)
    above = sorted((ln for ln in cands if ln.y1 <= top + 1), key=lambda ln: -ln.y1)
    max_gap = 4 * size if kind == "table" else 0.7 * page.height
    run_below = _walk(below, bottom, +1, max_gap, page, size)
    run_above = _walk(above, top, -1, max_gap, page, size)
    if not run_below or not run_above:
        return run_below or run_above

    def score(run: list[Line]) -> int:
        return sum(1 for ln in run if len(ln.chunks(1.0 * size)) >= 2 or re.search(r"\d", ln.text))

    if kind == "table":
        return run_above if score(run_above) > score(run_below) else run_below
    return run_below if score(run_below) > score(run_above) else run_above


def _walk(lines: list[Line], edge: float, direction: int, max_gap: float, page: PageLayout,
          size: float) -> list[Line]:
    run: list[Line] = []
    for ln in lines:
        gap = ln.y0 - edge if direction > 0 else edge - ln.y1
        if gap > max_gap:
            break
        if _stops(ln, page, size):
            if run:  # the last accepted line may be the short end (or start) of this paragraph
                near = run[-1]
                touching = (ln.y0 - near.y1 if direction > 0 else near.y0 - ln.y1) < 0.5 * size
                if touching and abs(near.x0 - ln.x0) < 2 * size:
                    run.pop()
            break
        run.append(ln)
        edge = max(edge, ln.y1) if direction > 0 else min(edge, ln.y0)
    return run


# ---------------------------------------------------------------------------------------------
# Table cells
# ---------------------------------------------------------------------------------------------


def extract_table(pdf_page: Any, region: list[Line], size: float) -> list[list[str]]:
    """Rows of cells (strings; header first) of the table whose lines are ``region``."""
    if not region:
        return []
    import pymupdf

    rect = pymupdf.Rect(min(ln.x0 for ln in region) - 1, min(ln.y0 for ln in region) - 1,
                        max(ln.x1 for ln in region) + 1, max(ln.y1 for ln in region) + 1)
    flags = pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_CID_FOR_UNKNOWN_UNICODE
    words = [(w[0], w[1], w[2], w[3], clean(w[4])) for w in pdf_page.get_text("words", clip=rect, flags=flags)]
    grid = grid_rows([w for w in words if w[4].strip()], size)
    found = _finder_rows(pdf_page, rect)
    # The finder wins only when its grid is at least as fine as the text grid: on booktabs
    # tables it merges columns or rows, which shows as fewer of them.
    if found and len(found) >= len(grid) and len(found[0]) >= max((len(r) for r in grid), default=0):
        return found
    return grid


def _graphics_weight(pdf_page: Any) -> int:
    """Compressed bytes of the page's content streams and form XObjects (a cheap proxy for the
    number of vector paths, which the table finder processes all of)."""
    doc = pdf_page.parent
    total = 0
    try:
        for xref in pdf_page.get_contents():
            total += len(doc.xref_stream_raw(xref) or b"")
        for item in pdf_page.get_xobjects():
            total += len(doc.xref_stream_raw(item[0]) or b"")
    except Exception:
        return 0
    return total


def _vertical_rules(pdf_page: Any, rect: Any) -> int:
    """How many vertical rules (or boxed cells) are drawn inside ``rect``."""
    count = 0
    for path in pdf_page.get_cdrawings():
        x0, y0, x1, y1 = path["rect"]
        if x1 < rect.x0 - 2 or x0 > rect.x1 + 2 or y1 < rect.y0 - 2 or y0 > rect.y1 + 2:
            continue
        for item in path["items"]:
            if item[0] == "l":
                (ax, ay), (bx, by) = item[1], item[2]
                count += abs(ax - bx) < 1 and abs(ay - by) > 4
            elif item[0] == "re":
                rx0, ry0, rx1, ry1 = item[1]
                count += abs(ry1 - ry0) > 4 and (abs(rx1 - rx0) < 2 or abs(rx1 - rx0) > 4)
    return count


def _finder_rows(pdf_page: Any, rect: Any) -> list[list[str]]:
    """Cells from PyMuPDF's table finder, or [] when it finds nothing clean. Its line strategy
    needs vertical rules, which booktabs tables do not draw: without them it is not run (it
    would find nothing), nor on pages heavy with vector graphics (seconds per call)."""
    if _graphics_weight(pdf_page) > 60_000 or _vertical_rules(pdf_page, rect) < 2:
        return []
    try:
        try:  # PyMuPDF >= 1.27 gates tables by a layout model: slow, and not needed for ruled tables
            found = pdf_page.find_tables(clip=rect, use_layout=False)
        except TypeError:
            found = pdf_page.find_tables(clip=rect)
    except Exception:  # the finder is heuristic; any failure means "use the text grid"
        return []
    tables = list(getattr(found, "tables", []))
    if not tables:
        return []
    best = max(tables, key=lambda t: t.row_count * t.col_count)
    data = best.extract()
    cells = [c for row in data for c in row if c]
    if best.row_count < 2 or best.col_count < 2 or not cells:
        return []
    if sum("\n" in c for c in cells) > 0.15 * len(cells):
        return []  # rows merged into one cell: the grid is wrong
    return [[clean(" ".join((c or "").split())) for c in row] for row in data]


def _numeric(text: str) -> bool:
    return bool(re.search(r"\d", text)) and not re.search(r"[A-Za-z]{3,}", text)


def grid_rows(words: list[tuple[float, float, float, float, str]], size: float) -> list[list[str]]:
    """A table grid from positioned words: rows by vertical centre, cells by horizontal gaps,
    columns from the cell extents of the body rows, stacked header rows merged."""
    if not words:
        return []
    height = statistics.median(w[3] - w[1] for w in words)
    size = min(size, height)  # table text is often smaller than the body's
    rows: list[list[tuple[float, float, float, float, str]]] = []
    for w in sorted(words, key=lambda w: (w[1] + w[3]) / 2):
        cy = (w[1] + w[3]) / 2
        if rows and cy - statistics.fmean((r[1] + r[3]) / 2 for r in rows[-1]) <= 0.45 * height:
            rows[-1].append(w)
        else:
            rows.append([w])
    cell_rows: list[list[tuple[float, float, str, float]]] = []  # (x0, x1, text, cy)
    for row in rows:
        row.sort(key=lambda w: w[0])
        cells: list[list[tuple[float, float, float, float, str]]] = []
        for w in row:
            if cells and w[0] - cells[-1][-1][2] < 0.42 * size:  # a word space is ~0.25 em
                cells[-1].append(w)
            else:
                cells.append([w])
        cell_rows.append([(c[0][0], max(w[2] for w in c), " ".join(w[4] for w in c),
                           statistics.fmean((w[1] + w[3]) / 2 for w in c)) for c in cells])
    n_head = _header_rows(cell_rows)
    body = cell_rows[n_head:] or cell_rows
    columns = _columns(body)
    if len(columns) < 2:
        columns = _columns(cell_rows)
    grid: list[tuple[float, list[str]]] = []
    for cells in cell_rows:
        out = [""] * len(columns)
        for x0, x1, text, _ in cells:
            k = _column_of(x0, x1, columns)
            out[k] = f"{out[k]} {text}".strip()
        grid.append((statistics.fmean(c[3] for c in cells), out))
    # a wrapped header cell ("Sequential / Operations") leaves a sparse wordy row under the header
    while 0 < n_head < len(grid) - 1:
        nxt = grid[n_head][1]
        filled = [c for c in nxt if c]
        if nxt[0] or len(filled) > len(nxt) / 2 or any(_pure_number(c) for c in filled):
            break
        n_head += 1
    header = [" ".join(filter(None, col)).strip() for col in zip(*(g[1] for g in grid[:n_head]))] if n_head else []
    body_rows = _attach_labels(grid[n_head:])
    return ([header] if header else []) + body_rows


def _pure_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d.,]+\s*[%KMBkx]?|[\d.,]+\s*±\s*[\d.,]+|[\d.,]+\s*[·×]\s*10\S*", text))


def _header_rows(rows: list[list[tuple[float, float, str, float]]]) -> int:
    """Leading rows above the first wide vertical gap (the rule under a header), when they hold
    no numbers; otherwise the first row alone if it holds none."""
    if len(rows) < 2:
        return 0
    ys = [statistics.fmean(c[3] for c in r) for r in rows]
    gaps = [b - a for a, b in zip(ys, ys[1:])]
    step = statistics.median(gaps)

    def wordy(r: list[tuple[float, float, str, float]]) -> bool:
        return sum(_pure_number(c[2]) for c in r) < 0.5 * len(r)

    for k in range(min(4, len(rows) - 1)):
        if not wordy(rows[k]):  # numbers: a stacked header is tighter than the body rows
            return k if all(g < 0.8 * step for g in gaps[: k - 1]) else min(k, 1)
        if gaps[k] > 1.1 * step:
            return k + 1
    return 1 if wordy(rows[0]) else 0


def _columns(rows: list[list[tuple[float, float, str, float]]]) -> list[tuple[float, float]]:
    """Column extents: the union of the x ranges of short cells; a long text cell adds a column
    only where no column is (one that straddles several columns, a spanning cell, is ignored)."""

    def merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
        out: list[list[float]] = []
        for x0, x1 in sorted(spans):
            if out and x0 <= out[-1][1] + 0.5:
                out[-1][1] = max(out[-1][1], x1)
            else:
                out.append([x0, x1])
        return [(a, b) for a, b in out]

    cells = [c for r in rows for c in r]
    short = [(c[0], c[1]) for c in cells if len(c[2].split()) <= 2]
    cols = merge(short)
    for x0, x1, text, _ in cells:
        if len(text.split()) > 2 and not any(min(x1, b) > max(x0, a) for a, b in cols):
            cols = merge(cols + [(x0, x1)])
    return cols


def _column_of(x0: float, x1: float, columns: list[tuple[float, float]]) -> int:
    def score(k: int) -> float:
        a, b = columns[k]
        overlap = min(x1, b) - max(x0, a)
        return overlap if overlap > 0 else -min(abs(x0 - b), abs(a - x1))

    return max(range(len(columns)), key=score)


def _attach_labels(grid: list[tuple[float, list[str]]]) -> list[list[str]]:
    """A row holding only a first-column label (a multirow "(A)") labels the first row of the
    block of unlabelled rows beside it (blocks are separated by wider gaps, i.e. rules)."""
    rows = [list(r) for _, r in grid]
    ys = [y for y, _ in grid]
    gaps = [b - a for a, b in zip(ys, ys[1:])]
    step = statistics.median(gaps) if gaps else 0.0
    drop: set[int] = set()
    for k, row in enumerate(rows):
        if len(row) < 2 or not row[0] or any(row[1:]):
            continue
        free = [j for j in range(len(rows)) if j != k and not rows[j][0] and any(rows[j][1:])]
        if not free:
            continue
        j = min(free, key=lambda j: abs(ys[j] - ys[k]))
        if abs(ys[j] - ys[k]) > 1.5 * step:
            continue
        while True:
            p = j - 1 if j - 1 != k else j - 2
            if p >= 0 and p in free and ys[j] - ys[p] < 1.08 * step:
                j = p
            else:
                break
        rows[j][0] = row[0]
        free.remove(j)
        drop.add(k)
    return [r for k, r in enumerate(rows) if k not in drop]
