"""Hyperparameters read from tables.

Two layouts are understood:

* a header row of names over one row per model (ViT's Table 1: ``Model | Layers | Hidden size D |
  MLP size | Heads``; the Transformer's Table 3: ``| N | d_model | d_ff | h | ... | train steps``):
  each mapped column gives one value per row, with the row's first cell as the setting;
* a first column of names (``Parameter | Value``, ``Hyperparameter | Base | Large``): each mapped
  row gives one value per column, with the column header as the setting when there are several.

Header rows are recognised as rows without numbers; a second header row (``train`` over
``steps``) is merged into the first. An empty first cell inherits the label above it (LaTeX
``\\multirow`` groups such as the Transformer's variations "(A)"). PDF cells that stack several
rows on separate lines are split back into rows. :func:`find_text_tables` recovers tables from PDF
text where each cell was extracted as its own line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.ingest.hparam_names import CANONICAL, HEADERS, header_key
from agent.ingest.hparam_patterns import Value, parse_value
from agent.ingest.hparam_text import canonicalize_numbers, flatten_latex, normalize_unicode, parse_number


@dataclass
class TableValue:
    """One value read from a table cell."""

    name: str
    symbol: str  # the header (or first-column) text naming the hyperparameter
    value: Value
    unit: str | None
    setting: str | None
    evidence: str  # "header: cell (row: label)"


_MULTIPLIER_RE = re.compile(r"\(?\s*[×x]\s*(1e(-?\d+)|10\^?\(?(-?\d+)\)?)\s*\)?")
_PAREN_RE = re.compile(r"\([^()]*\)")
_CITED = re.compile(r"\[cite\]|\[\d+(?:\s*[,–-]\s*\d+)*\]|\bet al\b|\(\D+,? \d{4}\)")


def _clean(cell: str, latex: bool) -> str:
    """Display form of a cell: LaTeX flattened, Unicode folded, numbers as printed."""
    text = normalize_unicode(flatten_latex(cell) if latex else cell) if cell else ""
    text = re.sub(r"\s*-\s*(?=[A-Z])", "-", text)  # "ViT -Base" (PDF) -> "ViT-Base"
    return text.strip()


def map_header(header: str) -> tuple[str | None, int]:
    """Canonical name named by a (flattened) header cell, and its power-of-ten multiplier.

    ``"Hidden size D"`` -> ("d_model", 0); ``"LR (×10^-4)"`` -> ("learning_rate", -4).
    """
    power = 0
    m = _MULTIPLIER_RE.search(header)
    if m:
        power = int(m.group(2) or m.group(3))
        header = header[: m.start()] + header[m.end() :]
    text = _PAREN_RE.sub(" ", header).strip()
    if not text or "=" in text:
        return None, 0  # "r = 64" is a setting, not a name
    key = header_key(text)
    if key in HEADERS:
        return HEADERS[key], power
    words = text.split()
    if len(words) > 1 and len(words[-1]) <= 2 and words[-1].isalpha():  # a symbol: "Hidden size D"
        key = header_key(" ".join(words[:-1]))
        if key in HEADERS:
            return HEADERS[key], power
    if len(key) > 3 and text[-1].isupper() and key[:-1] in HEADERS:  # PDF: "HiddensizeD"
        return HEADERS[key[:-1]], power
    return None, 0


def is_numeric(cell: str) -> bool:
    """True for a cell holding a number (any spelling) or a braced list of numbers."""
    cell = cell.strip().strip("*†‡")
    if not cell:
        return False
    if cell.startswith("{") and cell.endswith("}"):
        return all(parse_number(x) is not None for x in cell[1:-1].split(",") if x.strip())
    return parse_number(cell) is not None


def _explode(rows: list[list[str]]) -> list[list[str]]:
    """Split PDF cells that stack several rows (``"12\\n24\\n32"``) back into rows."""
    out: list[list[str]] = []
    for row in rows:
        parts = [c.split("\n") for c in row]
        counts = {len(p) for p, c in zip(parts, row) if c.strip()}
        if len(counts) == 1 and (n := counts.pop()) > 1:
            for i in range(n):
                out.append([p[i] if len(p) == n else "" for p in parts])
        else:
            out.append([c.replace("\n", " ") for c in row])
    return out


def _header_rows(rows: list[list[str]]) -> int:
    """How many leading rows are header rows (no numeric cell after the first column)."""
    count = 0
    for row in rows:
        if any(is_numeric(c) for c in row[1:]) or not any(c for c in row):
            break
        count += 1
    return count


def _merge_headers(rows: list[list[str]]) -> list[str]:
    width = max(len(r) for r in rows)
    merged = [""] * width
    for row in rows:
        for j, cell in enumerate(row):
            merged[j] = (merged[j] + " " + cell).strip()
    return merged


def _cell_value(cell: str, name: str, power: int) -> Value | None:
    cell = cell.strip().strip("*†‡").strip()
    if not cell or cell in ("-", "–", "—", "N/A", "n/a"):
        return None
    if re.fullmatch(r"\d{1,3}(?: \d{3})+", cell):  # "20 000" (a thin space, extracted as a space)
        cell = cell.replace(" ", "")
    cell = re.sub(r"^10[-−](\d{1,2})$", r"1e-\1", cell)  # "10−3" alone: a flattened superscript
    if power:
        parsed = parse_number(cell)
        if parsed is None or parsed[1]:
            return None
        cell = repr(float(f"{parsed[0]}e{power}"))
    return parse_value(canonicalize_numbers(cell), name)


def table_values(rows: list[list[str]], latex: bool) -> list[TableValue]:
    """Hyperparameters in a table given as rows of cells (header rows first)."""
    raw = [r for r in _explode([list(r) for r in rows if r]) if any(c.strip() for c in r)]
    rows = [[_clean(c, latex) for c in row] for row in raw]
    n_head = _header_rows(rows)
    if not rows or n_head == len(rows):
        return []
    body = rows[n_head:]
    header = _merge_headers(rows[:n_head]) if n_head else []
    written = _merge_headers([[c.replace("$", "").strip() for c in r] for r in raw[:n_head]] or [[]])
    columns = [map_header(h) for h in header]
    # A table with no row-label column: its first column is a named value too (one row of settings).
    first = 0 if columns and columns[0][0] and all(r and is_numeric(r[0]) for r in body) else 1
    by_column = sum(1 for name, _ in columns[first:] if name)
    by_row = sum(1 for r in body if map_header(r[0])[0])
    if by_column >= max(by_row, 1):
        return _column_values(header, written, columns, body, first=first)
    if by_row:
        return _row_values(header, body)
    return []


def _column_values(
    header: list[str], written: list[str], columns: list[tuple[str | None, int]], body: list[list[str]],
    *, first: int = 1,
) -> list[TableValue]:
    out: list[TableValue] = []
    label = None
    for row in body:
        if len(row) != len(header):
            continue  # a row whose cells do not line up with the header cannot be read safely
        if row[0] and first == 1:
            label = row[0]
        if _CITED.search(label or ""):
            continue  # a row reporting another paper's model
        for j in range(first, len(row)):
            name, power = columns[j]
            if not name:
                continue
            value = _cell_value(row[j], name, power)
            if value is None:
                continue
            setting = label if label and not columns[0][0] else None
            evidence = f"{header[j]}: {row[j]}" + (f" (row: {label})" if label else "")
            out.append(TableValue(name, written[j], value, CANONICAL[name].unit, setting, evidence))
    return out


def _row_values(header: list[str], body: list[list[str]]) -> list[TableValue]:
    out: list[TableValue] = []
    for row in body:
        name, power = map_header(row[0])
        if not name:
            continue
        cells = [(j, c) for j, c in enumerate(row) if j > 0 and c]
        for j, cell in cells:
            value = _cell_value(cell, name, power)
            if value is None:
                continue
            column = header[j] if j < len(header) else ""
            setting = column if column and len(cells) > 1 else None
            evidence = f"{row[0]}: {cell}" + (f" (column: {column})" if column else "")
            out.append(TableValue(name, row[0], value, CANONICAL[name].unit, setting, evidence))
    return out


# ---------------------------------------------------------------------------------------------
# Tables in PDF text, one cell per line


@dataclass
class TextTable:
    """A table recovered from consecutive short lines of PDF text."""

    rows: list[list[str]]
    first_line: int  # index of its first and last line in the text's lines
    last_line: int
    caption: str | None


_SHORT_MAX = 40
_CAPTION_RE = re.compile(r"^\s*Table\s+(\d+|[A-Z]\.?\d+)\s*[:.]")


def _short(line: str) -> bool:
    s = line.strip()
    return bool(s) and len(s) <= _SHORT_MAX and len(s.split()) <= 5 and not _CAPTION_RE.match(s)


def find_text_tables(text: str) -> list[TextTable]:
    """Tables laid out as one cell per line (how PDF text often carries them)."""
    lines = text.split("\n")
    tables: list[TextTable] = []
    i = 0
    while i < len(lines):
        if not _short(lines[i]):
            i += 1
            continue
        j = i
        while j < len(lines) and _short(lines[j]):
            j += 1
        if j - i >= 6:
            found = _best_layout([line.strip() for line in lines[i:j]])
            if found:
                offset, used, rows = found
                caption = _caption(lines, i, j)
                tables.append(TextTable(rows, i + offset, i + offset + used - 1, caption))
        i = j
    return tables


def _caption(lines: list[str], start: int, end: int) -> str | None:
    for k in list(range(end, min(end + 3, len(lines)))) + list(range(max(0, start - 3), start)):
        m = _CAPTION_RE.match(lines[k])
        if m:
            return lines[k].strip()
    return None


def _best_layout(run: list[str]) -> tuple[int, int, list[list[str]]] | None:
    """The most plausible (start, lines used, rows) reading of a run of one-cell lines."""
    numeric = [is_numeric(x) for x in run]
    best: tuple[int, int, int, list[list[str]]] | None = None  # score, start, used, rows
    for start in range(min(4, len(run))):
        prefix = 0
        while start + prefix < len(run) and not numeric[start + prefix]:
            prefix += 1
        for k in range(2, min(prefix, 16) + 1):
            for extra in range(0, prefix - k + 1):
                for width in (k, k + 1):
                    rows, used = _read_rows(run, numeric, start, k, extra, width)
                    if not rows:
                        continue
                    header = rows[0]
                    mapped = max(sum(1 for h in header[1:] if map_header(h)[0]),
                                 sum(1 for r in rows[1:] if map_header(r[0])[0]))  # fmt: skip
                    if mapped < 2:
                        continue
                    score = mapped * (len(rows) - 1)
                    if best is None or score > best[0]:
                        best = (score, start, used, rows)
    return (best[1], best[2], best[3]) if best else None


def _read_rows(run: list[str], numeric: list[bool], start: int, k: int, extra: int,
               width: int) -> tuple[list[list[str]], int]:  # fmt: skip
    """Header of ``k`` lines (+ ``extra`` continuation lines merged into its last cells), then rows
    of ``width`` cells, each with a first cell that is a label and numbers after it."""
    header = run[start : start + k]
    if extra:
        cont = run[start + k : start + k + extra]
        if extra > k:
            return [], 0
        header = header[: k - extra] + [f"{h} {c}" for h, c in zip(header[k - extra :], cont)]
    if width == k + 1:
        header = [""] + header
    pos = start + k + extra
    rows: list[list[str]] = []
    label_type = numeric[pos] if pos < len(run) else False
    if label_type and width == k + 1:
        return [], 0  # a label column without a header must hold labels
    while pos + width <= len(run):
        cells = run[pos : pos + width]
        if numeric[pos] != label_type or not all(numeric[pos + 1 : pos + width]):
            break
        after = pos + width
        if after < len(run) and numeric[after] != label_type:
            break  # the next row would start out of step: this row is not aligned either
        rows.append(cells)
        pos = after
    if not rows:
        return [], 0
    return [header] + rows, pos - start
