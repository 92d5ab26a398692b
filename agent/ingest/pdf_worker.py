"""PDF ingestion proper; runs in a child process (``python -m agent.ingest.pdf_worker PATH``).

:func:`parse_pdf_in_process` reads a PDF into :class:`agent.types.Paper` in this process (the
speed benchmark calls it directly). Run as a module it prints ``{"paper": ...}`` or
``{"error": "..."}`` as JSON on stdout, so that :mod:`agent.ingest.pdf` can run it under a
timeout and survive a MuPDF hang or crash.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import IngestError
from agent.ingest.pdf import check_pdf_file
from agent.ingest.pdf_algorithms import AlgorithmBlock, find_algorithms
from agent.ingest.pdf_layout import (
    Line,
    PageLayout,
    body_size,
    drop_running_heads,
    join_lines,
    line_pitch,
    order_lines,
    read_page,
    small_caps_text,
    vocabulary,
)
from agent.ingest.pdf_math import EquationBlock, equation_context, find_equations, is_prose
from agent.ingest.pdf_tables import caption_of, extract_table, float_region
from agent.types import Algorithm, Equation, Figure, IngestLimits, Paper, Section, Table

_NUMBERED = re.compile(r"^(?P<num>(?:\d{1,2}|[A-Z])(?:\.\d{1,2}){0,3})\.?\s+(?P<title>[A-Za-z“\"'(].*)$")
_UNNUMBERED = re.compile(
    r"^(abstract|introduction|related work|background|conclusions?|discussion|references|bibliography|"
    r"acknowledge?ments?|appendix|appendices|limitations|broader impacts?|experiments|results)$", re.I)
_NAME_WORD = re.compile(r"^[A-ZÀ-ÖØ-Þ\u0141][\w.'\u2019-]*$"
                        r"|^(de|van|von|der|den|del|della|da|di|du|dos|das|le|la|ter|bin|al|el)$")
_FOOTNOTE_MARK = re.compile(r"^[\d∗*†‡§¶]+$")
_AFFILIATION = re.compile(
    r"universit|institut|google|research|brain|deepmind|openai|microsoft|facebook|meta\b|inc\b|\blab|"
    r"department|school|college|corporation|company|technology|academy|center|centre|laborator|"
    r"@|\bAI\b|nvidia|amazon|apple|\bco\.|ltd|hospital|foundation", re.I)


def parse_pdf_in_process(path: Path, limits: IngestLimits) -> Paper:
    """Read the PDF at ``path`` in this process (no isolation; see :func:`agent.ingest.pdf.parse_pdf`)."""
    doc = open_document(Path(path), limits)
    try:
        pages = []
        for index, page in enumerate(doc):
            pages.append(read_page(page, index))
        if sum(len(ln.text) for p in pages for ln in p.lines) < 20:
            raise IngestError(f"{path}: the PDF has no extractable text (a scanned document?); run OCR on it first")
        paper = _Builder(doc, pages).build()
        if getattr(doc, "is_repaired", False):
            paper.warnings.append("the PDF's cross-reference table was damaged; MuPDF rebuilt it")
        paper.pages = len(pages)
        paper.path = str(path)
        return paper
    finally:
        doc.close()


def open_document(path: Path, limits: IngestLimits) -> Any:
    """Open ``path`` with PyMuPDF; every way it can be unreadable becomes an IngestError."""
    import pymupdf

    check_pdf_file(path, limits)
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        doc = pymupdf.open(str(path), filetype="pdf")
    except Exception as exc:  # MuPDF raises several types for broken files
        raise IngestError(f"{path}: cannot read the PDF ({_one_line(exc)})") from None
    if doc.needs_pass:
        doc.close()
        raise IngestError(f"{path}: the PDF is encrypted and needs a password")
    count = doc.page_count
    if count == 0:
        doc.close()
        raise IngestError(f"{path}: the PDF has no pages (truncated or damaged file)")
    if count > limits.max_pdf_pages:
        doc.close()
        raise IngestError(f"{path}: {count} pages is over the limit of {limits.max_pdf_pages} pages")
    return doc


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------------------------------------
# Building the Paper
# ---------------------------------------------------------------------------------------------


@dataclass
class _Item:
    kind: str  # "text", "heading", "equation", "table", "figure", "algorithm", "footnote"
    line: Line | None = None
    obj: Any = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Draft:
    """A section being assembled: paragraphs are lists of lines (str) and equations."""

    head: dict[str, Any]
    paras: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # footnotes, appended at the end

    def text(self, vocab: set[str], contexts: dict[int, str]) -> str:
        """Paragraphs joined by blank lines; fills ``contexts`` (equation id -> context)."""
        texts = []

        def strings(para: list[Any]) -> str:
            return join_lines([p for p in para if isinstance(p, str)], vocab)

        for n, para in enumerate(self.paras):
            if (whole := strings(para)):
                texts.append(whole)
            for k, piece in enumerate(para):
                if isinstance(piece, EquationBlock):
                    # the sentence before and after; across a paragraph break when there is none
                    before = strings(para[:k]) or (strings(self.paras[n - 1]) if n else "")
                    after = strings(para[k + 1:]) or (strings(self.paras[n + 1]) if n + 1 < len(self.paras) else "")
                    contexts[id(piece)] = equation_context(before, after)
        if self.notes:
            texts.append(join_lines(self.notes, vocab))
        return "\n\n".join(t for t in texts if t).strip()


class _Builder:
    def __init__(self, doc: Any, pages: list[PageLayout]) -> None:
        self.doc = doc
        self.pages = pages
        drop_running_heads(pages)
        for page in pages:
            order_lines(page)
        self.size = body_size(pages)
        self.pitch = line_pitch(pages, self.size)
        self.vocab = vocabulary(pages)
        self.warnings: list[str] = []

    # -- front matter -------------------------------------------------------------------------

    def front_matter(self) -> tuple[str, list[str]]:
        """Title and authors from the first page; their lines are marked ``front``."""
        page = next((p for p in self.pages if p.lines), self.pages[0])
        top = [ln for ln in page.lines if ln.y0 < 0.6 * page.height and re.search(r"[A-Za-z]{2}", ln.text)]
        if not top:
            return "", []
        biggest = max(ln.size for ln in top)
        first = next(ln for ln in top if ln.size >= biggest - 0.5)
        title_lines = [first]
        for ln in sorted(top, key=lambda ln: ln.y0):
            if ln is first or ln.y0 < first.y0:
                continue
            if ln.size >= biggest - 0.5 and ln.y0 - title_lines[-1].y1 < 1.2 * ln.size:
                title_lines.append(ln)
            elif ln.y0 > first.y0:
                break
        for ln in title_lines:
            ln.kind = "front"
        title = join_lines([small_caps_text(ln.spans) for ln in title_lines], self.vocab)
        title = re.sub(r"\s*[∗*†‡§¶]+$", "", title).strip()
        # Lines above the title are notices; lines between the title and the abstract (or the first
        # numbered heading, or the first paragraph of prose) are authors and affiliations.
        end = title_lines[-1].y1
        stop = next((ln for ln in page.lines if ln.y0 > end and ln.kind == "body" and (
            re.match(r"^abstract\b", small_caps_text(ln.spans), re.I)
            or ((h := self.heading(ln)) is not None and h["number"])
            or len(re.findall(r"(?<![@.\w])[a-z]{2,}\b(?![@.]\w)", re.sub(r"\S+@\S+", "", ln.text))) >= 8)), None)
        limit = stop.y0 - 1 if stop is not None else 0.6 * page.height
        authors: list[str] = []
        for ln in page.lines:
            if ln.kind != "body" or ln.y0 >= limit:
                continue
            ln.kind = "front"
            if ln.y0 > end:
                authors.extend(self._names(ln))
        return title, list(dict.fromkeys(authors))

    def _names(self, line: Line) -> list[str]:
        names = []
        for chunk in line.chunks(1.2 * line.size):
            spans = [s for s in chunk if not (_FOOTNOTE_MARK.match(s.text.strip()) and s.size < line.size - 0.5)]
            text = " ".join(s.text for s in spans)
            if _AFFILIATION.search(text) or re.search(r"\d{2,}", text):
                continue
            for part in re.split(r",|\band\b|&|;|\s{2,}", text):
                name = re.sub(r"[∗*†‡§¶\d]+", "", part).strip(" .")
                words = name.split()
                if 2 <= len(words) <= 5 and all(_NAME_WORD.match(w) for w in words):
                    names.append(" ".join(words))
        return names

    # -- headings -----------------------------------------------------------------------------

    def heading(self, line: Line) -> dict[str, Any] | None:
        """Number, title and level when ``line`` is a section heading."""
        text = line.text
        if len(text) < 2 or len(text) > 120 or len(text.split()) > 16:
            return None
        if re.match(r"^(Figure|Fig\.|Table|Algorithm|Listing)\s*\d|^\d{1,3}:\s", text, re.I):
            return None  # captions and numbered algorithm lines
        letters = [s for s in line.spans if any(c.isalpha() for c in s.text)]
        if not letters:
            return None
        big = max(s.size for s in letters)
        upper = all(s.text.upper() == s.text for s in letters if not s.math)
        small_caps = upper and any(s.size < 0.9 * big for s in letters if not s.math) and big >= self.size - 0.3
        caps = upper and len(re.findall(r"[A-Za-z]{3,}", text)) >= 2 and line.size >= self.size - 0.3
        styled = line.bold or big >= self.size + 0.9 or small_caps
        if not (styled or caps) or (caps and not styled and text.endswith(".")):
            return None
        title = small_caps_text(line.spans)
        m = _NUMBERED.match(title)
        number = None
        if m:
            number, title = m.group("num"), m.group("title")
            if re.fullmatch(r"[A-Z]", number) and not styled:
                return None
        if not re.search(r"[A-Za-z]{2}", title) or title.rstrip().endswith((",", ";")):
            return None
        if number is None and not (_UNNUMBERED.match(title.strip(" .:")) or line.size >= self.size + 0.9
                                   or caps or len(title.split()) <= 8):
            return None
        if title.endswith((".", ":")) and len(title.split()) > 5:
            return None
        if is_prose(line.spans) and len(title.split()) > 10:
            return None
        level = number.count(".") + 1 if number else None
        return {"number": number, "title": title.strip(" .:"), "level": level, "size": big}

    # -- per-page classification --------------------------------------------------------------

    def classify(self, page: PageLayout) -> list[_Item]:
        items: list[_Item] = []
        floats: dict[int, _Item] = {}
        # algorithms first: their numbered lines are neither prose nor the rows of a nearby table
        for block in find_algorithms(page, self.size):
            floats[id(block.lines[0])] = _Item("algorithm", obj=block)
        for i, line in enumerate(page.lines):
            if line.kind != "body":
                continue
            cap = caption_of(page, i, self.size, self.pitch)
            if cap is None:
                continue
            kind, number, cap_lines = cap
            caption = join_lines([ln.text for ln in cap_lines], self.vocab)
            for ln in cap_lines:
                ln.kind = "caption"
            region = float_region(page, cap_lines, kind, self.size)
            for ln in region:
                ln.kind = kind
            if kind == "table":
                rows = extract_table(self.doc[page.index], region, self.size)
                obj: Any = Table(id="", caption=caption, label=None, rows=rows, number=number, page=page.index + 1)
            else:
                obj = Figure(id="", caption=caption, page=page.index + 1)
            floats[id(cap_lines[0])] = _Item(kind, obj=obj)
        equations = {id(b.lines[0]): b for b in find_equations(page, self.size, self.pitch)}
        self._footnotes(page)
        for line in page.lines:
            if id(line) in floats:
                items.append(floats[id(line)])
            elif id(line) in equations:
                items.append(_Item("equation", obj=equations[id(line)]))
            elif line.kind == "body":
                head = self.heading(line)
                prev = items[-1] if items else None
                if head is not None and prev is not None and self._continues(prev, line, head):
                    line.kind = "heading"  # a heading wrapped onto a second line
                    prev.info["title"] = join_lines([prev.info["title"], head["title"]], self.vocab)
                elif head is not None:
                    line.kind = "heading"
                    items.append(_Item("heading", line=line, info=head))
                else:
                    items.append(_Item("text", line=line))
            elif line.kind == "footnote":
                items.append(_Item("footnote", line=line))
        return items

    def _continues(self, prev: _Item, line: Line, head: dict[str, Any]) -> bool:
        above = prev.line
        return (prev.kind == "heading" and above is not None and head["number"] is None
                and above.col == line.col and above.page == line.page
                and 0 < line.base - above.base <= 1.6 * line.size and abs(head["size"] - prev.info["size"]) < 0.5
                and above.bold == line.bold)

    def _footnotes(self, page: PageLayout) -> None:
        """Small-font lines at the bottom of a column, below everything else, are footnotes."""
        for col in {ln.col for ln in page.lines}:
            lines = sorted((ln for ln in page.lines if ln.col == col), key=lambda ln: -ln.base)
            for ln in lines:
                if ln.kind != "body" or ln.y0 < 0.55 * page.height or ln.size > self.size - 0.7:
                    break
                ln.kind = "footnote"

    # -- assembly -----------------------------------------------------------------------------

    def build(self) -> Paper:
        title, authors = self.front_matter()
        items = [item for page in self.pages for item in self.classify(page)]
        return self.assemble(title, authors, items)

    def assemble(self, title: str, authors: list[str], items: list[_Item]) -> Paper:
        """Walk the classified items in reading order: headings open sections, text lines join
        paragraphs, equations sit inside paragraphs (for their context), floats note their section."""
        drafts: list[_Draft] = []
        abstract = _Draft({"title": "Abstract", "number": None, "level": 1, "size": self.size})
        current: _Draft | None = None  # None: front matter; ``abstract``: inside the abstract
        tables: list[Table] = []
        figures: list[Figure] = []
        equations: list[tuple[EquationBlock, _Draft | None]] = []
        algorithms: list[tuple[AlgorithmBlock, _Draft | None]] = []
        prev_line: Line | None = None
        for item in items:
            if item.kind == "heading":
                prev_line = None
                if item.info["title"].lower() == "abstract" and not drafts:
                    current = abstract
                    continue
                current = _Draft(item.info)
                drafts.append(current)
            elif item.kind == "text" and item.line is not None:
                line, text = item.line, item.line.prose_text
                if current is None:
                    m = re.match(r"^abstract\s*[.:—–-]?\s*", text, re.I)
                    if not (m and line.page == 0 and (line.bold or len(text) > m.end())):
                        continue  # front matter that is neither title, authors nor abstract
                    current, text, prev_line = abstract, text[m.end():], None
                    if not text:
                        continue
                if not current.paras or self._breaks(prev_line, line, current.paras[-1]):
                    current.paras.append([])
                current.paras[-1].append(text)
                prev_line = line
            elif item.kind == "equation":
                if current is not None and current is not abstract:
                    if not current.paras:
                        current.paras.append([])
                    current.paras[-1].append(item.obj)
                equations.append((item.obj, current if current is not abstract else None))
            elif item.kind == "footnote" and current is not None and item.line is not None and item.line.page > 0:
                current.notes.append(item.line.text)
            elif item.kind == "algorithm":
                algorithms.append((item.obj, current if current is not abstract else None))
            elif item.kind in ("table", "figure"):
                item.obj.section = current.head["title"] if current is not None and current is not abstract else None
                (tables if item.kind == "table" else figures).append(item.obj)
        paper = self._paper(title, authors, abstract, drafts, equations, tables, figures)
        paper.algorithms = [Algorithm(id=f"alg{k}", caption=block.caption or None, label=None, lines=block.steps,
                                      section=draft.head["title"] if draft is not None else None)
                            for k, (block, draft) in enumerate(algorithms, start=1)]
        return paper

    def _paper(self, title: str, authors: list[str], abstract: _Draft, drafts: list[_Draft],
               equations: list[tuple[EquationBlock, _Draft | None]], tables: list[Table],
               figures: list[Figure]) -> Paper:
        contexts: dict[int, str] = {}
        sections = []
        for draft, level in zip(drafts, self._levels([d.head for d in drafts])):
            text = draft.text(self.vocab, contexts)
            sections.append(Section(title=draft.head["title"], level=level, text=text, number=draft.head["number"]))
        eqs = [Equation(id=f"eq{k}", number=block.number, label=None, latex=block.latex,
                        section=draft.head["title"] if draft is not None else None,
                        context=contexts.get(id(block), ""), environment="pdf", raw_text=block.raw_text,
                        page=block.page + 1)
               for k, (block, draft) in enumerate(equations, start=1)]
        for k, table in enumerate(tables, start=1):
            table.id = f"tab{k}"
        for k, fig in enumerate(figures, start=1):
            fig.id = f"fig{k}"
        return Paper(title=title, abstract=abstract.text(self.vocab, {}), sections=sections, equations=eqs,
                     hyperparameters=[], tables=tables, algorithms=[], source="pdf", authors=authors,
                     figures=figures, warnings=self.warnings)

    def _breaks(self, prev: Line | None, line: Line, para: list[Any]) -> bool:
        """Whether ``line`` starts a new paragraph after ``prev``."""
        last = next((p for p in reversed(para) if isinstance(p, str)), "")
        if isinstance(para[-1], EquationBlock):
            return not re.match(r"^[a-z(,.;]", line.text)
        if prev is None:
            return True
        ended = bool(re.search(r"[.!?:]['\")\]]?$", last))
        if prev.page != line.page or prev.col != line.col or line.base < prev.base:
            return ended and not re.match(r"^[a-z]", line.text)
        gap = line.base - prev.base
        if gap > 1.45 * max(self.pitch, line.size):
            return True
        lo, hi = self.pages[line.page].col_range(line.col)
        if ended and prev.x1 < hi - 2.5 * line.size:
            return True
        if line.x0 > prev.x0 + 0.8 * line.size and ended:
            return True
        return False

    def _levels(self, heads: list[dict[str, Any]]) -> list[int]:
        """Levels from numbering depth; unnumbered headings take the level of numbered ones of the
        same font size (or 1 when larger than the body text, 2 otherwise)."""
        by_size: dict[float, list[int]] = {}
        for h in heads:
            if h["level"] is not None:
                by_size.setdefault(round(h["size"]), []).append(h["level"])
        out = []
        for h in heads:
            if h["level"] is not None:
                out.append(min(h["level"], 4))
            elif round(h["size"]) in by_size:
                out.append(min(by_size[round(h["size"])]))
            elif by_size:
                closest = min(by_size, key=lambda sz: abs(sz - h["size"]))
                out.append(min(by_size[closest]))
            else:
                out.append(1 if h["size"] >= self.size + 0.9 else 2)
        return out


def main(argv: list[str] | None = None) -> int:
    """Child-process entry: ``python -m agent.ingest.pdf_worker PATH [MAX_PAGES [MAX_BYTES]]``.

    Prints one JSON object on stdout: ``{"paper": {...}}`` or ``{"error": "one line"}``. Whatever
    MuPDF or a library prints goes to stderr, so it cannot corrupt that object.
    """
    args = sys.argv[1:] if argv is None else argv
    if "pymupdf" not in sys.modules:
        # PyMuPDF imports its layout-analysis model (about 0.6 s) when present; tables here use
        # the rule-based finder only, so keep the model out of the child.
        sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]
    _limit_memory(8 << 30)
    limits = IngestLimits()
    if len(args) > 1:
        limits.max_pdf_pages = int(args[1])
    if len(args) > 2:
        limits.max_file_bytes = int(args[2])
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        payload: dict[str, Any] = {"paper": parse_pdf_in_process(Path(args[0]), limits).to_dict()}
    except IngestError as exc:
        payload = {"error": str(exc)}
    except MemoryError:
        payload = {"error": f"{args[0]}: the PDF needs more memory than allowed to read"}
    except Exception as exc:  # MuPDF errors on damaged content surface as assorted exceptions
        payload = {"error": f"{args[0]}: cannot read the PDF ({type(exc).__name__}: {_one_line(exc)})"}
    out.write(json.dumps(payload))
    out.flush()
    return 0


def _limit_memory(max_bytes: int) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > max_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (max_bytes, hard))
    except (ImportError, ValueError, OSError):
        pass


if __name__ == "__main__":
    sys.exit(main())
