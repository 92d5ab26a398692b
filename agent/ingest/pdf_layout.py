"""Page layout of a PDF: spans, visual lines, columns, running heads and reading order.

PyMuPDF's own blocks are unreliable for papers (an equation is cut into several blocks, a
section number and its title are two lines), so this module rebuilds the page from MuPDF's
lines: fragments on the same baseline in the same column become one :class:`Line`, columns are
found per page from the x positions of long lines, and the reading order walks the page in
horizontal bands (a line that crosses the gutter starts a new band; inside a band the left
column is read before the right one).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# TeX's OMX encoding (cmex10): codes MuPDF reports when the font has no unicode map.
_CMEX = {
    **dict.fromkeys((0x00, 0x10, 0x12, 0x20, 0x30, 0x40, 0x42), "("),
    **dict.fromkeys((0x01, 0x11, 0x13, 0x21, 0x31, 0x41, 0x43), ")"),
    **dict.fromkeys((0x02, 0x14, 0x22, 0x32, 0x34, 0x36, 0x68), "["),
    **dict.fromkeys((0x03, 0x15, 0x23, 0x33, 0x35, 0x37, 0x69), "]"),
    **dict.fromkeys((0x04, 0x16, 0x24, 0x6A), "⌊"),
    **dict.fromkeys((0x05, 0x17, 0x25, 0x6B), "⌋"),
    **dict.fromkeys((0x06, 0x18, 0x26, 0x6C), "⌈"),
    **dict.fromkeys((0x07, 0x19, 0x27, 0x6D), "⌉"),
    **dict.fromkeys((0x08, 0x1A, 0x28, 0x38, 0x3A, 0x3C, 0x3E, 0x6E), "{"),
    **dict.fromkeys((0x09, 0x1B, 0x29, 0x39, 0x3B, 0x3D, 0x6F), "}"),
    **dict.fromkeys((0x0A, 0x1C, 0x2A, 0x44), "⟨"),
    **dict.fromkeys((0x0B, 0x1D, 0x2B, 0x45), "⟩"),
    0x0C: "|", 0x0D: "‖", 0x0E: "/", 0x0F: "\\", 0x1E: "/", 0x1F: "\\", 0x2C: "/", 0x2D: "\\",
    0x48: "∮", 0x49: "∮", 0x4A: "⊙", 0x4B: "⊙", 0x4C: "⊕", 0x4D: "⊕", 0x4E: "⊗", 0x4F: "⊗",
    0x50: "∑", 0x58: "∑", 0x51: "∏", 0x59: "∏", 0x52: "∫", 0x5A: "∫", 0x53: "⋃", 0x5B: "⋃",
    0x54: "⋂", 0x5C: "⋂", 0x56: "⋀", 0x5E: "⋀", 0x57: "⋁", 0x5F: "⋁", 0x60: "∐", 0x61: "∐",
    0x62: "^", 0x63: "^", 0x64: "^", 0x65: "~", 0x66: "~", 0x67: "~",
    **dict.fromkeys(range(0x70, 0x77), "√"),
    0x77: "‖",
}

_TRANSLATE = str.maketrans({
    "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
    "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u00ad": "", "\u00a0": " ", "\u2009": " ",
    "\u200a": " ", "\u2002": " ", "\u2003": " ", "\u202f": " ", "\u200b": "", "\ufeff": "",
    "\ufffd": "", "ǫ": "ϵ",  # old pdfTeX maps cmmi's epsilon to U+01EB
})

_MATH_FONT = re.compile(r"CMMI|CMSY|CMEX|CMBSY|MSAM|MSBM|LMMath|Math|Symbol|STIX|rsfs|EUFM|EUSM|esint", re.I)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|\.B$|-B$|-Medi|CMBX|Bd\b|BX\d", re.I)
_CMEX_FONT = re.compile(r"CMEX|LMMathExtension|MathExtension", re.I)
_FOOTNOTE_MARK = re.compile(r"^[\d∗*†‡§¶]{1,3}$")
CAPTION_START = re.compile(r"^(Table|TABLE|Figure|FIGURE|Fig\.)\s*\d{1,3}\s*[:.]")
_PAGE_NUMBER = re.compile(r"^(page\s*)?(\d{1,4}|[ivxlc]{1,6})(\s*(of|/)\s*\d{1,4})?$", re.I)


@dataclass
class Span:
    """A run of text in one font on one baseline (PyMuPDF's span)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    font: str
    flags: int
    base: float  # baseline y

    @property
    def bold(self) -> bool:
        return bool(self.flags & 16) or bool(_BOLD_FONT.search(self.font))

    @property
    def math(self) -> bool:
        return bool(_MATH_FONT.search(self.font))

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class Line:
    """A visual line: the spans on one baseline band of one column, left to right."""

    spans: list[Span]
    page: int  # 0-based
    col: int  # 0 (single or left column), 1 (right column), -1 (crosses the gutter)
    kind: str = "body"  # body, heading, caption, equation, table, figure, algorithm, footnote, front

    @cached_property
    def x0(self) -> float:
        return min(s.x0 for s in self.spans)

    @cached_property
    def x1(self) -> float:
        return max(s.x1 for s in self.spans)

    @cached_property
    def y0(self) -> float:
        return min(s.y0 for s in self.spans)

    @cached_property
    def y1(self) -> float:
        return max(s.y1 for s in self.spans)

    @cached_property
    def size(self) -> float:
        """The font size carrying most characters."""
        sizes: Counter[float] = Counter()
        for s in self.spans:
            sizes[round(s.size, 1)] += len(s.text.strip()) or 0
        return sizes.most_common(1)[0][0] if sizes and sizes.most_common(1)[0][1] else self.spans[0].size

    @cached_property
    def base(self) -> float:
        """Baseline of the main text: the baseline carrying most characters at the line's size."""
        size = self.size
        bases: Counter[float] = Counter()
        for s in self.spans:
            if abs(s.size - size) < 0.6:
                bases[round(s.base, 1)] += len(s.text.strip()) + 1
        return bases.most_common(1)[0][0] if bases else self.spans[0].base

    @cached_property
    def text(self) -> str:
        return join_spans(self.spans)

    @cached_property
    def prose_text(self) -> str:
        """The text without footnote markers (a raised small digit or dagger after a word)."""
        size, base = self.size, self.base
        kept: list[Span] = []
        for s in self.spans:
            marker = (s.size < 0.8 * size and s.base < base - 0.2 * size and not s.math
                      and _FOOTNOTE_MARK.match(s.text.strip()) is not None)
            prev = kept[-1] if kept else None
            if marker and prev is not None and not prev.math and re.search(r"[A-Za-z.,;:)\]]$", prev.text):
                continue
            kept.append(s)
        if len(kept) == len(self.spans):
            return self.text
        return re.sub(r"\s+([.,;:])", r"\1", join_spans(kept))

    @cached_property
    def bold(self) -> bool:
        letters = [s for s in self.spans if any(c.isalpha() for c in s.text)]
        return bool(letters) and all(s.bold for s in letters)

    def chunks(self, min_gap: float) -> list[list[Span]]:
        """Split the line where the horizontal gap between spans is at least ``min_gap``."""
        out: list[list[Span]] = []
        for s in self.spans:
            if out and s.x0 - max(t.x1 for t in out[-1]) < min_gap:
                out[-1].append(s)
            else:
                out.append([s])
        return out


@dataclass
class PageLayout:
    index: int  # 0-based
    width: float
    height: float
    lines: list[Line]  # in reading order
    gutter: float | None  # x of the gap between two columns, None for one column
    left: float  # x range of the page's text body
    right: float
    side_float: bool = False  # one text column with a float beside it (col 1), read after the page's text

    def col_range(self, col: int) -> tuple[float, float]:
        if self.gutter is None or col == -1 or (self.side_float and col == 0):
            return self.left, self.right
        return (self.left, self.gutter) if col == 0 else (self.gutter, self.right)


# ---------------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """Ligatures, soft hyphens, odd spaces and the minus sign normalised."""
    return text.translate(_TRANSLATE)


def join_spans(spans: list[Span]) -> str:
    """Spans left to right into text: a space where the gap between two spans is wide."""
    parts: list[str] = []
    prev: Span | None = None
    for s in spans:
        t = s.text
        if prev is not None and parts:
            gap = s.x0 - prev.x1
            need = gap > 0.15 * min(s.size, prev.size) and gap > 0.8
            if need and not parts[-1].endswith(" ") and not t.startswith(" "):
                parts.append(" ")
        parts.append(t)
        prev = s if prev is None or s.x1 > prev.x1 else prev
    return re.sub(r"\s+", " ", "".join(parts)).strip()


# ---------------------------------------------------------------------------------------------
# Reading a page
# ---------------------------------------------------------------------------------------------


def _span_text(raw: dict[str, Any]) -> str:
    text = raw["text"]
    if _CMEX_FONT.search(raw["font"]):
        text = "".join(_CMEX.get(ord(c), c) if ord(c) < 0x80 else c for c in text)
    else:
        text = "".join(c for c in text if ord(c) >= 0x20 or c == "\t")
    return clean(text)


def _raw_lines(page_dict: dict[str, Any], width: float, height: float) -> list[list[Span]]:
    lines: list[list[Span]] = []
    for block in page_dict["blocks"]:
        for line in block.get("lines", ()):
            dx, dy = line["dir"]
            if dx < 0.99 or abs(dy) > 0.05:
                continue  # rotated text: arXiv stamps, rotated table headers, figure labels
            spans = []
            for raw in line["spans"]:
                text = _span_text(raw)
                if not text.strip():
                    continue
                x0, y0, x1, y1 = raw["bbox"]
                if x1 < 0 or y1 < 0 or x0 > width or y0 > height:
                    continue
                spans.append(Span(text, x0, y0, x1, y1, raw["size"], raw["font"], raw["flags"],
                                  raw["origin"][1]))
            if spans:
                lines.append(spans)
    return lines


def _gutter(lines: list[list[Span]], width: float) -> float | None:
    """The x of the gap between two text columns, or None when the page has one column."""
    mid = width / 2
    tol = 0.03 * width
    left, right, cross = [], [], 0
    for spans in lines:
        x0, x1 = min(s.x0 for s in spans), max(s.x1 for s in spans)
        if x1 - x0 < 0.25 * width or len(join_spans(spans)) < 15:
            continue
        if x1 <= mid + tol:
            left.append(x1)
        elif x0 >= mid - tol:
            right.append(x0)
        else:
            cross += 1
    if len(left) < 3 or len(right) < 3 or cross > 0.5 * (len(left) + len(right)):
        return None
    left.sort()
    right.sort()
    lx = left[int(0.9 * (len(left) - 1))]
    rx = right[int(0.1 * (len(right) - 1))]
    if rx <= lx:
        return None
    return (lx + rx) / 2


def _frag_base(spans: list[Span]) -> tuple[float, float]:
    """(baseline, size) of the characters of a fragment that are set in its largest font."""
    big = max(s.size for s in spans)
    bases: Counter[float] = Counter()
    for s in spans:
        if s.size >= big - 0.6:
            bases[round(s.base, 1)] += len(s.text.strip()) + 1
    return bases.most_common(1)[0][0], big


def _merge(lines: list[list[Span]], col: int, page: int) -> list[Line]:
    """Fragments of one column on the same baseline become one visual line; small pieces
    (a raised "1" of an inline fraction, a radical) join the line they overlap most."""
    frags = sorted(lines, key=lambda sp: _frag_base(sp)[0])
    groups: list[list[list[Span]]] = []
    base_of: list[tuple[float, float]] = []
    for spans in frags:
        base, size = _frag_base(spans)
        if groups and abs(base - base_of[-1][0]) <= 0.3 * max(size, base_of[-1][1]):
            groups[-1].append(spans)
        else:
            groups.append([spans])
            base_of.append((base, size))

    def chars(group: list[list[Span]]) -> int:
        return sum(len(s.text.strip()) for f in group for s in f)

    def extent(group: list[list[Span]]) -> tuple[float, float]:
        return min(s.y0 for f in group for s in f), max(s.y1 for f in group for s in f)

    merged: list[list[list[Span]]] = []
    for i, group in enumerate(groups):
        near = [base_of[j][1] for j in (i - 1, i + 1) if 0 <= j < len(groups)]
        if chars(group) <= 5 or base_of[i][1] < 0.8 * max(near, default=0.0):
            y0, y1 = extent(group)
            best, best_overlap = None, 0.4 * max(y1 - y0, 1.0)
            for j in (i - 1, i + 1):
                if 0 <= j < len(groups) and chars(groups[j]) > 3:
                    gy0, gy1 = extent(groups[j])
                    overlap = min(y1, gy1) - max(y0, gy0)
                    if overlap > best_overlap:
                        best, best_overlap = j, overlap
            if best is not None:
                groups[best].extend(group)
                group.clear()
    merged = [g for g in groups if g]
    out = []
    for group in merged:
        spans = sorted((s for f in group for s in f), key=lambda s: (s.x0, s.base))
        out.append(Line(spans, page, col))
    return out


def _split_captions(line: Line) -> list[Line]:
    """Side-by-side floats put two captions on one baseline: cut the line before the second."""
    spans = line.spans
    for k in range(1, len(spans)):
        gap = spans[k].x0 - max(s.x1 for s in spans[:k])
        if gap > 1.5 * line.size and CAPTION_START.match(join_spans(spans[k:k + 4])):
            return [Line(spans[:k], line.page, line.col)] + _split_captions(Line(spans[k:], line.page, line.col))
    return [line]


def read_page(page: Any, index: int) -> PageLayout:
    """Visual lines of one PyMuPDF page, with its columns (reading order comes later)."""
    import pymupdf

    from agent.ingest.pdf_wrap import side_float

    flags = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_CID_FOR_UNKNOWN_UNICODE
    rect = page.rect
    width, height = rect.width, rect.height
    raw = _raw_lines(page.get_text("dict", flags=flags), width, height)
    gutter = _gutter(raw, width)
    side = side_float(raw, width) if gutter is None else None
    by_col: dict[int, list[list[Span]]] = {0: [], 1: [], -1: []}
    for k, spans in enumerate(raw):
        x0, x1 = min(s.x0 for s in spans), max(s.x1 for s in spans)
        if side is not None:
            by_col[1 if k in side[1] else 0].append(spans)
        elif gutter is None:
            by_col[0].append(spans)
        elif x1 <= gutter + 2:
            by_col[0].append(spans)
        elif x0 >= gutter - 2:
            by_col[1].append(spans)
        else:
            by_col[-1].append(spans)
    lines = [part for col, frags in by_col.items() for line in _merge(frags, col, index)
             for part in _split_captions(line)]
    long = [ln for ln in lines if len(ln.text) >= 30]
    left = min((ln.x0 for ln in long), default=0.1 * width)
    right = max((ln.x1 for ln in long), default=0.9 * width)
    if side is not None:
        return PageLayout(index, width, height, lines, side[0], left, right, side_float=True)
    return PageLayout(index, width, height, lines, gutter, left, right)


# ---------------------------------------------------------------------------------------------
# Whole-document passes
# ---------------------------------------------------------------------------------------------


def body_size(pages: list[PageLayout]) -> float:
    """The font size of the body text: the size that carries most characters."""
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            for s in line.spans:
                sizes[round(s.size * 2) / 2] += len(s.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def drop_running_heads(pages: list[PageLayout]) -> None:
    """Remove page headers, footers, page numbers and margin line numbers (in place)."""
    keys: Counter[str] = Counter()

    def zone_key(page: PageLayout, line: Line) -> str | None:
        if line.y1 < 0.1 * page.height or line.y0 > 0.9 * page.height:
            return re.sub(r"\d+", "#", line.text.lower()).strip()
        return None

    for page in pages:
        seen = {k for ln in page.lines if (k := zone_key(page, ln))}
        keys.update(seen)
    threshold = max(2, int(0.3 * len(pages)))
    for page in pages:
        kept = []
        for line in page.lines:
            text = line.text
            key = zone_key(page, line)
            if key is not None and (keys[key] >= threshold or _PAGE_NUMBER.match(text)):
                continue
            margin = line.x1 < page.left - 2 or line.x0 > page.right + 2
            if margin and re.fullmatch(r"[\d\s]{1,12}", text):
                continue  # line numbers of review copies
            kept.append(line)
        page.lines = kept


def order_lines(page: PageLayout) -> None:
    """Sort the page's lines into reading order (in place)."""
    lines = sorted(page.lines, key=lambda ln: (ln.base, ln.x0))
    if page.gutter is None:
        page.lines = lines
        return
    out: list[Line] = []
    band: dict[int, list[Line]] = {0: [], 1: []}
    for line in lines:
        if line.col == -1:
            out.extend(band[0] + band[1])
            band = {0: [], 1: []}
            out.append(line)
        else:
            band[line.col].append(line)
    out.extend(band[0] + band[1])
    page.lines = out


def line_pitch(pages: list[PageLayout], size: float) -> float:
    """Typical baseline-to-baseline distance of body text."""
    gaps = []
    for page in pages:
        prev: Line | None = None
        for line in page.lines:
            if prev is not None and prev.col == line.col and abs(line.size - size) < 0.6:
                d = line.base - prev.base
                if 0.8 * size < d < 2.0 * size:
                    gaps.append(round(d, 1))
            prev = line if abs(line.size - size) < 0.6 else None
    return statistics.median(gaps) if gaps else 1.2 * size


# ---------------------------------------------------------------------------------------------
# Paragraph text
# ---------------------------------------------------------------------------------------------


def vocabulary(pages: list[PageLayout]) -> set[str]:
    """Lower-case words seen in the document, used to decide whether to keep a line-end hyphen."""
    words: set[str] = set()
    for page in pages:
        for line in page.lines:
            words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]+[A-Za-z]", line.text))
    return words


def join_lines(texts: list[str], vocab: set[str]) -> str:
    """Lines of one paragraph into one string: spaces between lines, line-end hyphens resolved."""
    out = ""
    for text in texts:
        text = text.strip()
        if not text:
            continue
        if not out:
            out = text
            continue
        m = re.search(r"([A-Za-z]+)-$", out)
        n = re.match(r"([a-z][A-Za-z]*)", text)
        if m and re.match(r"[A-Z]", text):
            out = out + text  # "Batch-" + "Normalized": a compound split at its hyphen
        elif m and n:
            whole = (m.group(1) + n.group(1)).lower()
            hyphenated = f"{m.group(1)}-{n.group(1)}".lower()
            if hyphenated in vocab and whole not in vocab:
                out = out + text
            else:
                out = out[:-1] + text
        else:
            out = out + " " + text
    return out


def small_caps_text(spans: list[Span]) -> str:
    """Text of a heading set in small caps ("C" + "OMPARISON" -> "Comparison"), else plain text."""
    letters = [s for s in spans if any(c.isalpha() for c in s.text) and not s.math]
    if not letters or not all(s.text.upper() == s.text for s in letters):
        return join_spans(spans)
    big = max(s.size for s in letters)
    if not any(s.size < 0.9 * big for s in letters):
        return join_spans(spans)
    fixed = [Span(s.text.lower() if (s.size < 0.9 * big and not s.math) else s.text, s.x0, s.y0, s.x1, s.y1,
                  s.size, s.font, s.flags, s.base) for s in spans]
    return join_spans(fixed)
