"""Extract hyperparameters (canonical name, symbol as written, value, evidence) from a paper.

:func:`extract_hyperparameters` reads the abstract, every section's text (sentence by sentence)
and every table, in document order, and returns one :class:`~agent.types.Hyperparameter` per
distinct (name, value, setting), the first occurrence kept as evidence. The work is split:

* :mod:`agent.ingest.hparam_names`: ``CANONICAL`` names, their symbols, headers and ranges;
* :mod:`agent.ingest.hparam_text`: LaTeX / PDF text to one plain form, numbers, sentences;
* :mod:`agent.ingest.hparam_patterns`: assignments and phrases within one sentence;
* :mod:`agent.ingest.hparam_tables`: tables (including tables laid out as lines of PDF text).

A value belongs to a *setting* when the sentence names one ("For the base model, ...", "The big
models were trained for ...", fine-tuning) or when it comes from a table row ("ViT-Base").
"""

from __future__ import annotations

import re

from agent.ingest.hparam_names import CANONICAL, CanonicalName
from agent.ingest.hparam_patterns import Found, find_in_sentence
from agent.ingest.hparam_tables import TableValue, find_text_tables, table_values
from agent.ingest.hparam_text import flatten, flatten_math, split_sentences
from agent.types import Evidence, Hyperparameter, Paper, Table

__all__ = ["CANONICAL", "CanonicalName", "extract_hyperparameters", "extract_from_text"]

_EVIDENCE_MAX = 400
_SETTING_AFTER = 60  # a setting named after the value counts only this close ("... = 0.1 for the base model")
_SETTING_RES = [
    re.compile(r"\b(?:the|our|a|an|both|all)\s+(base|big|large|small|tiny|huge|medium)\s+"
               r"(?:transformer\s+)?(?:models?|transformers?|configurations?|variants?|settings?)\b", re.I),
    re.compile(r"\btransformer\s*\((base|big|large|small)(?:\s+model)?\)", re.I),
    re.compile(r"\b(fine-?tun(?:e|es|ed|ing))\b", re.I),
]  # fmt: skip
# values in these sections describe other work (or are not prose)
_SKIP_SECTIONS = re.compile(r"related work|prior work|previous work|references|bibliography|acknowledg", re.I)
_NUMERIC_TOKEN = re.compile(r"^[(\[]?-?\d[\d.,e%-]*[)\],;:]?$")
_MATH_SPAN_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)
_MATH_SPLIT_RE = re.compile(r"\\q?quad|\\text\{\s*(?:and|or|,)\s*\}|[=,;]|\\(?:approx|in)(?![a-zA-Z])")


def extract_hyperparameters(paper: Paper) -> list[Hyperparameter]:
    """All hyperparameters stated in ``paper``'s abstract, sections and tables, in document order."""
    latex = paper.source == "latex"
    out: list[Hyperparameter] = []
    pending = list(paper.tables)
    blocks = [("Abstract", paper.abstract)] + [(s.title, s.text) for s in paper.sections]
    for title, text in blocks:
        skip = bool(_SKIP_SECTIONS.search(title or ""))
        if not skip:
            out += extract_from_text(text or "", title, latex=latex)
        for table in [t for t in pending if t.section == title]:
            if not skip:
                out += _from_table(table, latex)
            pending.remove(table)
    for table in pending:
        out += _from_table(table, latex)
    return _dedupe(out)


def extract_from_text(text: str, section: str | None = None, *, latex: bool = True) -> list[Hyperparameter]:
    """Hyperparameters in a block of prose (LaTeX with ``$...$`` math, or PDF text).

    Tables laid out as one cell per line (PDF) are read as tables and left out of the prose.
    """
    found: list[Hyperparameter] = []
    if not latex:
        lines = text.split("\n")
        for table in find_text_tables(text):
            caption = table.caption or (f"table in {section}" if section else "table")
            values = table_values(table.rows, False)
            found += [_table_hyperparameter(v, section, caption, None) for v in values]
            for k in range(table.first_line, table.last_line + 1):
                lines[k] = ""
        text = "\n".join(lines)
    previous = ""
    fine_tuning_section = bool(section and re.search(r"fine-?tun", section, re.I))
    for _, sentence in split_sentences(text):
        flat = flatten(sentence, latex)
        if _figure_debris(flat):
            continue
        symbols = _written_symbols(sentence) if latex else {}
        wide = f"{previous} {section or ''}"
        for f in find_in_sentence(flat, wide, symbols):
            setting = _setting(flat, f.start) or ("fine-tuning" if fine_tuning_section else None)
            evidence = Evidence(_quote(sentence, flat, f), section=section)
            found.append(Hyperparameter(f.name, f.symbol, f.value, evidence, f.unit, setting))
        previous = flat
    return found


def _from_table(table: Table, latex: bool) -> list[Hyperparameter]:
    """The table's cells, then its caption's sentences ("All models are trained with a batch size
    of 4096 ..." sits in ViT's Table 3 caption)."""
    label = _table_label(table)
    values = table_values(table.rows, latex)
    found = [_table_hyperparameter(v, table.section, label, table.page) for v in values]
    for h in extract_from_text(table.caption or "", table.section, latex=latex):
        h.evidence.table, h.evidence.page = label, table.page
        found.append(h)
    return found


def _table_hyperparameter(
    v: TableValue, section: str | None, caption: str, page: int | None
) -> Hyperparameter:
    evidence = Evidence(v.evidence, section=section, table=caption, page=page)
    return Hyperparameter(v.name, v.symbol, v.value, evidence, v.unit, v.setting)


def _table_label(table: Table) -> str:
    caption = re.sub(r"\s+", " ", table.caption or "").strip()
    if len(caption) > 160:
        caption = caption[:157].rstrip() + "..."
    if table.number and not re.match(rf"(?i)table\s*{re.escape(table.number)}\b", caption):
        return f"Table {table.number}: {caption}" if caption else f"Table {table.number}"
    return caption or table.label or table.id


def _setting(flat: str, position: int) -> str | None:
    """The model / phase the sentence ties a value to: the mention nearest before ``position``,
    else the first one shortly after it."""
    before: tuple[int, str] | None = None
    after: tuple[int, str] | None = None
    for rx in _SETTING_RES:
        for m in rx.finditer(flat):
            word = m.group(1).lower()
            word = "fine-tuning" if word.startswith("fine") else word
            if m.start() <= position and (before is None or m.start() > before[0]):
                before = (m.start(), word)
            elif position < m.start() <= position + _SETTING_AFTER and not after:
                after = (m.start(), word)
    chosen = before or after
    return chosen[1] if chosen else None


def _figure_debris(flat: str) -> bool:
    """True for "sentences" that are mostly numbers: axis ticks and legends of PDF figures."""
    tokens = flat.split()
    numbers = sum(1 for t in tokens if _NUMERIC_TOKEN.match(t))
    return numbers >= 8 and numbers > 0.3 * len(tokens)


def _written_symbols(sentence: str) -> dict[str, str]:
    """Flattened symbol -> the LaTeX as written, for the inline math of ``sentence``."""
    table: dict[str, str] = {}
    for m in _MATH_SPAN_RE.finditer(sentence):
        for piece in _MATH_SPLIT_RE.split(m.group(1) or m.group(2) or ""):
            piece = piece.strip()
            if piece:
                table.setdefault(flatten_math(piece), piece)
    return table


def _quote(sentence: str, flat: str, found: Found) -> str:
    """The sentence as written, whitespace collapsed; a window around the value when very long."""
    text = re.sub(r"\s+", " ", sentence).strip()
    if len(text) <= _EVIDENCE_MAX:
        return text
    centre = int(found.start * len(text) / max(len(flat), 1))
    lo = max(0, centre - _EVIDENCE_MAX // 2)
    return ("..." if lo else "") + text[lo : lo + _EVIDENCE_MAX].strip() + "..."


def _dedupe(items: list[Hyperparameter]) -> list[Hyperparameter]:
    seen: set[tuple[str, str, str | None, str | None]] = set()
    out: list[Hyperparameter] = []
    for h in items:  # a table restating a value from the text is kept: it is evidence of its own
        key = (h.name, repr(h.value), h.setting, h.evidence.table)
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out
