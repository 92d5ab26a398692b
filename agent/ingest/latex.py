"""Read LaTeX sources into :class:`agent.types.Paper`.

The pipeline: read the main file (comments stripped) -> expand the document's own macros while
following ``\\input``'s inside the source root (:mod:`agent.ingest.macros`,
:mod:`agent.ingest.sources`) -> walk the body for sections, equations, tables, algorithms and
figures with LaTeX's numbering (:mod:`agent.ingest.latex_structure`) -> title, authors and
abstract from the front matter. Hyperparameters are left empty here;
:func:`agent.ingest.load_paper` fills them in.
"""

from __future__ import annotations

import re
from pathlib import Path

from agent.errors import IngestError
from agent.ingest.latex_math import Counters, unknown_commands
from agent.ingest.latex_scan import first_env, read_group, read_optional, split_top
from agent.ingest.latex_structure import StructureWalker
from agent.ingest.latex_text import TextRenderer
from agent.ingest.macros import MacroExpander
from agent.ingest.sources import SourceResolver, find_main_file
from agent.types import IngestLimits, Paper, Section

_BEGIN_DOCUMENT = re.compile(r"\\begin\s*\{document\}")
_FIRST_HEADING = re.compile(r"\\(?:section|chapter)(?![A-Za-z@])")
_TITLE = re.compile(r"\\(?:title|icmltitle)(?![A-Za-z@])\s*")
_AUTHOR = re.compile(r"\\author(?![A-Za-z@])\s*")
_ICML_AUTHOR = re.compile(r"\\icmlauthor\s*(?=\{)")
_ABSTRACT_CMD = re.compile(r"\\abstract\s*(?=\{)")
_AUTHOR_NOISE = re.compile(
    r"\\(?:thanks|footnote|footnotetext|email|inst|orcid|affiliation|affil|textsuperscript|texttt|url"
    r"|footnotemark|tt|href|icmlaffiliation|fnref|corref)(?![A-Za-z@])"
)
_INSTITUTION = re.compile(
    r"\b(?:universit\w*|institut\w*|college|school|department|dept|laborator\w*|labs?|research|centre|center"
    r"|inc|corp\w*|ltd|llc|google|deepmind|openai|microsoft|meta|facebook|amazon|nvidia|apple|ibm|baidu"
    r"|alibaba|tencent|huawei|samsung|team|group|foundation|academy|hospital|independent|brain|ai|"
    r"technolog\w*|faculty|program|equal|contribution|correspond\w*|author|lead|work|done|while|at)\b",
    re.I,
)
_SEPARATORS = re.compile(r"\\(?:q?quad|hfill|enspace|authorskip)(?![A-Za-z@])|\\hspace\*?\s*\{[^{}]*\}|~{2,}")
MAX_FRONT_COMMANDS = 64  # \author / \icmlauthor commands looked at
MAX_FRONT_ARG = 20_000  # characters of one title or author block
_INITIALS = re.compile(r"[A-Z]\.(?:-?[A-Z]\.)*")
_PARTICLES = frozenset("van von der den de del della di da dos du la le bin al ter ten y".split())


def parse_latex_folder(root: Path, *, limits: IngestLimits) -> Paper:
    """Read a LaTeX source folder: its main file is found (see :func:`find_main_file`)."""
    root = Path(root)
    if not root.is_dir():
        raise IngestError(f"{root}: not a folder")
    main = find_main_file(root, limits)
    return _parse(main, root, limits)


def parse_latex_file(path: Path, *, limits: IngestLimits) -> Paper:
    """Read one ``.tex`` file; ``\\input``'s resolve inside its folder."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    return _parse(path, path.parent, limits)


def _parse(main: Path, root: Path, limits: IngestLimits) -> Paper:
    warnings: list[str] = []
    resolver = SourceResolver(root, limits=limits, warnings=warnings)
    main = main.resolve()
    text = resolver.read(main, main=True) or ""
    if not text.strip():
        raise IngestError(f"{main}: the file holds no LaTeX (only comments or whitespace)")
    expander = MacroExpander(limits=limits, warnings=warnings, resolve=resolver.resolve, read=resolver.read)
    expanded = expander.expand(text, base=main.parent, path=main)
    begin = _BEGIN_DOCUMENT.search(expanded)
    preamble, body = (expanded[: begin.start()], expanded[begin.end() :]) if begin else ("", expanded)
    body = re.sub(r"\\end\s*\{document\}\s*$", "", body)

    walker = StructureWalker(Counters(), expander.theorems, expander.theorem_counters)
    walker.configure(preamble)
    try:
        structure = walker.walk(body)
    except RecursionError as exc:  # a last line of defence; the walker bounds its own nesting
        raise IngestError(f"{main}: the LaTeX is nested too deeply to read") from exc
    renderer = TextRenderer(walker.ref_text, expander.theorems)

    heading = _FIRST_HEADING.search(body)
    front = preamble + "\n" + body[: heading.start() if heading else len(body)]
    title = _title(front, renderer)
    authors = _authors(front, renderer)
    abstract = structure.abstract or _abstract(preamble, renderer) or ""
    sections = structure.sections
    if not sections and structure.front:  # a document without headings: its text is one section
        sections = [Section(title=title, level=1, text=structure.front, number=None)]
    if not (title or abstract or sections or structure.equations or structure.tables):
        raise IngestError(f"{main}: no LaTeX content found (no title, abstract, sections or equations)")
    if not title:
        warnings.append("no \\title found")
    unknown = unknown_commands([e.latex for e in structure.equations])
    if unknown:
        shown = ", ".join(unknown[:12]) + (f" and {len(unknown) - 12} more" if len(unknown) > 12 else "")
        warnings.append(f"equations use macros defined nowhere in the source (a missing .sty?): {shown}")
    try:
        main_file = str(main.relative_to(resolver.root))
    except ValueError:
        main_file = main.name
    return Paper(
        title=title,
        abstract=abstract,
        sections=sections,
        equations=structure.equations,
        hyperparameters=[],
        tables=structure.tables,
        algorithms=structure.algorithms,
        source="latex",
        authors=authors,
        figures=structure.figures,
        main_file=main_file,
        warnings=warnings,
    )


def _one_line(renderer: TextRenderer, latex: str) -> str:
    return " ".join(renderer.render(latex).split())


def _front_args(pattern: re.Pattern[str], front: str, optional: bool = True) -> list[str]:
    """The first argument of each of the first ``MAX_FRONT_COMMANDS`` matches of ``pattern``
    (``\\title``, ``\\author``...), each cut at ``MAX_FRONT_ARG`` characters: bounded work even
    when a hostile document repeats an unclosed ``\\author{`` thousands of times."""
    found: list[str] = []
    for m in pattern.finditer(front):
        j = read_optional(front, m.end())[1] if optional else m.end()
        group = read_group(front, j)
        if group is not None:
            found.append(group[0][:MAX_FRONT_ARG])
        if len(found) >= MAX_FRONT_COMMANDS:
            break
    return found


def _title(front: str, renderer: TextRenderer) -> str:
    for arg in _front_args(_TITLE, front):
        title = _one_line(renderer, _strip_noise(arg))
        if title:
            return title
    return ""


def _strip_noise(latex: str) -> str:
    """Remove ``\\thanks{...}``, footnotes, e-mails and similar from an author or title block."""
    out: list[str] = []
    pos = 0
    for m in _AUTHOR_NOISE.finditer(latex):
        if m.start() < pos:
            continue
        out.append(latex[pos : m.start()])
        j = m.end()
        name = m.group()
        if name == "\\tt":
            end = latex.find("}", j)
            pos = end if end != -1 else len(latex)
            continue
        _, j = read_optional(latex, j)
        group = read_group(latex, j)
        if group is not None:
            j = group[1]
            if name == "\\href":
                second = read_group(latex, j)
                j = second[1] if second else j
        pos = j
    out.append(latex[pos:])
    text = "".join(out)
    return _strip_math(text)


def _strip_math(text: str) -> str:
    """``text`` without its ``$...$`` and ``\\(...\\)`` pieces (superscripted affiliation marks)."""
    out: list[str] = []
    pos = 0
    while True:
        dollar, paren = text.find("$", pos), text.find("\\(", pos)
        starts = [k for k in (dollar, paren) if k != -1]
        if not starts:
            break
        start = min(starts)
        close = text.find("$", start + 1) if start == dollar else text.find("\\)", start + 2)
        out.append(text[pos:start] + " ")
        if close == -1:
            return "".join(out)
        pos = close + (1 if start == dollar else 2)
    out.append(text[pos:])
    return "".join(out)


def _authors(front: str, renderer: TextRenderer) -> list[str]:
    names = [_one_line(renderer, arg) for arg in _front_args(_ICML_AUTHOR, front, optional=False)]
    if names:
        return _dedupe(names)
    for arg in _front_args(_AUTHOR, front):
        block = _SEPARATORS.sub(",", _strip_noise(arg))
        for chunk in re.split(r"\\(?:And|AND|and)(?![A-Za-z@])", block):
            for line in split_top(chunk, "\\\\"):
                text = _one_line(renderer, line)
                for candidate in re.split(r",|;|&|\band\b|\s{2,}|·", text):
                    name = _clean_name(candidate)
                    if name:
                        names.append(name)
    return _dedupe(names)


def _clean_name(candidate: str) -> str | None:
    name = re.sub(r"\([^)]*\)", " ", candidate)
    name = re.sub(r"[*†‡§¶#∗⋆\d^_{}\[\]]", " ", name)
    name = " ".join(name.split()).strip(" .,:")
    words = name.split()
    if not 2 <= len(words) <= 5 or len(name) > 60 or "@" in name or _INSTITUTION.search(name):
        return None
    for word in words:
        if word.lower() in _PARTICLES:
            continue
        if _INITIALS.fullmatch(word):
            continue
        if not word[0].isupper() or (len(word) > 2 and not any(c.islower() for c in word)):
            return None
    if not any(c.islower() for c in words[0]) and not _INITIALS.fullmatch(words[0]):
        return None  # "UT Austin", "UC Santa Barbara": an acronym first is an institution
    return name


def _dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    return [n for n in names if n and not (n in seen or seen.add(n))]


def _abstract(preamble: str, renderer: TextRenderer) -> str | None:
    env = first_env(preamble, "abstract")
    if env is not None:
        return renderer.render(env)
    m = _ABSTRACT_CMD.search(preamble)
    if m:
        group = read_group(preamble, m.end())
        if group:
            return renderer.render(group[0])
    return None
