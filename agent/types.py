"""The data that flows between paper2code's stages, in one place.

Read top to bottom, this file is the architecture::

    ingest   -> Paper (Section, Equation, Hyperparameter, Table, Algorithm, Figure)
    equation -> CompiledEquation
    validate -> ValidationReport (CheckResult)
    plan     -> Plan (PlannedComponent, PlannedHyperparameter)

Every type converts to the JSON of the public contracts in DESIGN.md with ``to_dict()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal


def _plain(obj: Any) -> Any:
    """Convert dataclasses (recursively) into JSON-ready dicts and lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.repr}
    if isinstance(obj, (list, tuple)):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    return obj


class JsonMixin:
    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


# ---------------------------------------------------------------------------------------------
# Ingest: a paper read from LaTeX source or PDF
# ---------------------------------------------------------------------------------------------

SourceKind = Literal["latex", "pdf"]


@dataclass
class Section(JsonMixin):
    """A (sub)section of the paper. ``level`` 1 = section, 2 = subsection, 3 = subsubsection,
    4 = paragraph. ``text`` is the body in reading order; inline math is kept as ``$...$``."""

    title: str
    level: int
    text: str
    number: str | None = None  # "3.2.1" as printed, when known


@dataclass
class Equation(JsonMixin):
    """A display equation. ``number`` is what LaTeX (or the PDF) prints, e.g. "3" or "A.1"."""

    id: str  # stable within the paper: "eq1", "eq2", ... in document order
    number: str | None
    label: str | None
    latex: str  # macros expanded; for PDFs a best-effort reconstruction
    section: str | None  # title of the enclosing section
    context: str = ""  # the sentence(s) around the equation
    environment: str | None = None  # "equation", "align*", "pdf", ...
    raw_text: str | None = None  # PDFs: the text as extracted, beside the reconstruction
    page: int | None = None  # PDFs: 1-based page


@dataclass
class Evidence(JsonMixin):
    """Where a fact was read: the quoted sentence or table cell and its location."""

    text: str
    section: str | None = None
    table: str | None = None  # table caption or id when the value came from a table
    page: int | None = None


@dataclass
class Hyperparameter(JsonMixin):
    name: str  # canonical: "d_model", "learning_rate", ... (agent.ingest.hyperparameters.CANONICAL)
    symbol: str  # as written in the paper: "d_{model}", "N", "\\beta_1", "batch size"
    value: float | int | str
    evidence: Evidence
    unit: str | None = None  # "steps", "tokens", "epochs", ...
    setting: str | None = None  # the model/row it belongs to when several exist: "base", "ViT-Base"


@dataclass
class Table(JsonMixin):
    id: str  # "tab1", ... in document order
    caption: str | None
    label: str | None
    rows: list[list[str]]  # the first row is the header when the table has one
    section: str | None = None
    number: str | None = None  # "1" as printed
    page: int | None = None


@dataclass
class Algorithm(JsonMixin):
    id: str
    caption: str | None
    label: str | None
    lines: list[str]
    section: str | None = None


@dataclass
class Figure(JsonMixin):
    id: str
    caption: str
    label: str | None = None
    section: str | None = None
    page: int | None = None


@dataclass
class Paper(JsonMixin):
    title: str
    abstract: str
    sections: list[Section]
    equations: list[Equation]
    hyperparameters: list[Hyperparameter]
    tables: list[Table]
    algorithms: list[Algorithm]
    source: SourceKind
    authors: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    path: str | None = None  # what the user passed
    main_file: str | None = None  # LaTeX: the main .tex file, relative to the source root
    pages: int | None = None  # PDF page count
    warnings: list[str] = field(default_factory=list)  # refused \input, unknown macros, ...

    def equation(self, number: str) -> Equation | None:
        """The equation printed with ``number``, or None."""
        return next((e for e in self.equations if e.number == str(number)), None)

    def hyperparameter_values(self, name: str) -> list[Hyperparameter]:
        return [h for h in self.hyperparameters if h.name == name]


@dataclass
class IngestLimits:
    """Caps on what ingest accepts; each can be raised on the command line or in configuration."""

    max_pdf_pages: int = 500
    max_file_bytes: int = 100 * 1024 * 1024
    max_archive_members: int = 5000
    max_archive_bytes: int = 500 * 1024 * 1024  # total uncompressed
    max_macro_depth: int = 64
    pdf_timeout_s: float = 120.0


# ---------------------------------------------------------------------------------------------
# Equations: LaTeX compiled to torch (agent.equations)
# ---------------------------------------------------------------------------------------------


@dataclass
class CompiledEquation(JsonMixin):
    """One equation (or system of equations) compiled into a torch function and checked
    numerically against an element-wise float64 evaluation of the original LaTeX."""

    name: str
    latex: str
    source: str  # Python code of one function
    inputs: list[str]  # argument names, in order
    shapes: dict[str, str]  # einops-style shape of each input ("" for a scalar)
    verified: bool
    max_error: float | None
    output_shape: str | None = None
    notes: list[str] = field(default_factory=list)
    fn: Callable[..., Any] | None = field(default=None, repr=False, compare=False)


# ---------------------------------------------------------------------------------------------
# Validation (agent.validate)
# ---------------------------------------------------------------------------------------------

CheckStatus = Literal["pass", "fail", "error", "skip", "timeout"]


@dataclass
class CheckResult(JsonMixin):
    name: str  # "shapes", "gradcheck", ...
    target: str  # module name from the manifest, "training", or the project
    status: CheckStatus
    detail: str = ""
    seconds: float = 0.0


@dataclass
class ValidationReport(JsonMixin):
    passed: bool
    checks: list[CheckResult]
    environment: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    schema_version: int = 1

    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status in ("fail", "error", "timeout")]
