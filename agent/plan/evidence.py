"""Find where a paper says something: phrase search over its prose, weighted by where it stands.

A phrase in the title counts more than one in the abstract, which counts more than one in the
body; the best-placed sentence is kept as the evidence quoted in plan.json and NOTES.md.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agent.types import Paper

# How much one hit counts, by where it stands; body hits are capped per phrase.
WEIGHTS = {"title": 8.0, "abstract": 3.0, "heading": 2.0, "body": 1.0, "equation": 1.5, "aside": 0.25}
MAX_BODY_HITS = 3
# Which passage is quoted as evidence: a full sentence over a bare heading or title.
QUOTE_PREFERENCE = ("body", "abstract", "equation", "heading", "aside", "title")
# Sections that say nothing about the method: reference lists and thanks are skipped; related work
# and background only mention other people's components, so they count little.
_SKIPPED = re.compile(r"^\s*(references|bibliography|acknowledg)", re.I)
_ASIDE = re.compile(r"related work|background|prior work|previous work", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z$\\(\[])")


@dataclass(frozen=True)
class Passage:
    kind: str  # title, abstract, heading, body, equation
    text: str
    section: str | None


@dataclass(frozen=True)
class Hit:
    phrase: str
    score: float
    quote: str
    section: str | None


_BIB_MARKER = re.compile(r"arxiv preprint|in proceedings|proceedings of|advances in neural|corr,? abs|journal of|"
                         r"conference on|association for computational", re.I)


def _without_bibliography(sentences: list[str]) -> list[str]:
    """Drop a reference list run into a section's text (a PDF whose 'References' heading was lost)."""
    marked = [i for i, sentence in enumerate(sentences) if _BIB_MARKER.search(sentence)]
    if len(marked) < 3:
        return sentences
    return sentences[: max(marked[0] - 2, 0)]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


class PaperIndex:
    """The paper cut into sentences, each tagged with where it stands."""

    def __init__(self, paper: Paper) -> None:
        passages = [Passage("title", paper.title, None)]
        passages += [Passage("abstract", s, "Abstract") for s in _sentences(paper.abstract)]
        for section in paper.sections:
            if _SKIPPED.search(section.title):
                continue
            kind = "aside" if _ASIDE.search(section.title) else "body"
            passages.append(Passage("heading", section.title, section.title))
            passages += [Passage(kind, s, section.title) for s in _without_bibliography(_sentences(section.text))]
        for table in paper.tables:
            if table.caption:
                passages.append(Passage("body", table.caption, table.section))
        for eq in paper.equations:
            passages.append(Passage("equation", eq.latex, eq.section))
        self.passages = passages
        self.lowered = [p.text.lower() for p in passages]
        self._cache: dict[str, Hit | None] = {}

    def find(self, phrase: str) -> Hit | None:
        """Score ``phrase`` (case-insensitive, whole words) over the paper; None when absent."""
        if phrase not in self._cache:
            self._cache[phrase] = self._find(phrase)
        return self._cache[phrase]

    def _find(self, phrase: str) -> Hit | None:
        pattern = _phrase_pattern(phrase)
        score = 0.0
        body_hits = 0
        best: Passage | None = None
        for passage, lowered in zip(self.passages, self.lowered):
            if not pattern.search(lowered):
                continue
            if passage.kind in ("body", "equation", "aside"):
                body_hits += 1
                if body_hits > MAX_BODY_HITS:
                    continue
            score += WEIGHTS[passage.kind]
            if best is None or QUOTE_PREFERENCE.index(passage.kind) < QUOTE_PREFERENCE.index(best.kind):
                best = passage
        if best is None:
            return None
        return Hit(phrase=phrase, score=score, quote=best.text, section=best.section)


@functools.lru_cache(maxsize=1024)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    escaped = re.escape(phrase.lower()).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?")
    plural = "(?:e?s)?" if phrase[-1:].isalpha() else ""
    return re.compile(rf"(?<![a-z0-9]){escaped}{plural}(?![a-z0-9])")
