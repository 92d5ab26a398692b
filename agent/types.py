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
# Catalog: verified components (agent.catalog binding codegen_templates/components)
# ---------------------------------------------------------------------------------------------


@dataclass
class ComponentParam(JsonMixin):
    """A template parameter. Its value is rendered into the code (usually as a constructor
    default). ``canonical`` names the canonical hyperparameter (as ingest names them) that fills it;
    a parameter with a ``slot`` names another catalog component, whose class name is rendered."""

    name: str
    default: Any
    canonical: str | None = None
    slot: str | None = None  # the parameter names a component filling this slot
    optional: bool = False  # a slot parameter that may be "" (no component); implied by a "" default
    choices: list[Any] | None = None
    doc: str = ""


@dataclass
class ComponentCues(JsonMixin):
    """How a planner recognises the component in a paper."""

    phrases: list[str] = field(default_factory=list)  # lower-case phrases of the paper's prose
    citations: list[str] = field(default_factory=list)  # titles, first authors, arXiv ids
    equations: list[str] = field(default_factory=list)  # plain-text equation shapes


@dataclass
class ShapeContract(JsonMixin):
    """A tiny configuration for executed checks: one ``[[module]]`` of a paper2code.toml manifest.
    For a function component ``init`` holds keyword arguments passed with the inputs."""

    name: str
    init: dict[str, Any]
    inputs: dict[str, str]  # einops-style patterns; "" = a scalar
    dims: dict[str, int] = field(default_factory=dict)
    output: str | None = None  # einops-style pattern; "" = a scalar; None = not a tensor
    properties: list[str] = field(default_factory=list)  # "batch_independent", "causal"
    integer_inputs: dict[str, int] = field(default_factory=dict)  # name -> exclusive upper bound
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)  # arg -> {component, init}
    reference: str | None = None  # function of the component's reference file: fn(module, **inputs)
    host: str | None = None  # run on this component with ours filling its slot (positions, experts)


@dataclass
class ComponentReference(JsonMixin):
    """What the component is proven equal to (float64, 1e-6), and the test that proves it."""

    kind: Literal["builtin", "paper"]  # a trusted implementation, or the paper's equation
    target: str  # "torch.nn.MultiheadAttention", "Vaswani et al. 2017, eq. (1)"
    test: str  # pytest node id


@dataclass
class Component(JsonMixin):
    """One entry of the verified component catalog (agent.catalog)."""

    name: str
    family: str  # attention, position, norm, ffn, block, model, diffusion, loss, schedule, adapter, misc
    slot: str  # the plan slot it fills: attention, position, norm, ffn, block, model, loss, lr_schedule, ...
    summary: str
    kind: Literal["class", "function"]
    symbol: str  # the main class/function rendered (the ``class_name`` parameter overrides it)
    template: str  # file under codegen_templates/components
    paper: str  # the source it implements
    imports: list[str]  # import lines the rendered definitions need
    requires: list[str]  # components always rendered before it (besides its slot parameters)
    params: dict[str, ComponentParam]
    cite: dict[str, str]  # paper locations quoted in comments; a drafter may override them
    cues: ComponentCues
    contracts: list[ShapeContract]
    reference: ComponentReference
    traits: list[str] = field(default_factory=list)  # "rotary", "additive", "bias", "causal", ...
    interface: str = ""  # the call a slot filler honours, e.g. "forward(x, context=None) -> x"
    symbols: list[str] = field(default_factory=list)  # every top-level name it defines
    fixed: dict[str, Any] = field(default_factory=dict)  # parameters a variant pins
    reference_file: str | None = None  # plain Python file beside the template: fn(module, **inputs)


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


@dataclass
class InputSpec(JsonMixin):
    """One forward argument of a manifest module: an einops-style pattern ("" = a scalar) and what
    fills it. Integer inputs (token ids, class labels, timesteps) draw from ``[low, high)``."""

    name: str
    shape: str
    dtype: Literal["float", "long", "bool"] = "float"
    low: int = 0
    high: int = 2


@dataclass
class SubmoduleSpec(JsonMixin):
    """A module built first and passed to the target's constructor under ``arg``."""

    arg: str
    target: str  # "pkg.mod:Class"
    init: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModuleSpec(JsonMixin):
    """One ``[[module]]`` of ``paper2code.toml``: what to build, how to feed it, what must hold."""

    name: str
    target: str  # "pkg.mod:Class" (or a function: then ``init`` holds keyword arguments)
    init: dict[str, Any]
    inputs: list[InputSpec]
    dims: dict[str, int] = field(default_factory=dict)  # fixed sizes; other letters are drawn
    output: list[str] | None = None  # one pattern per returned tensor; None = not checked
    properties: list[str] = field(default_factory=list)  # "batch_independent", "causal"
    reference: str | None = None  # "pkg.mod:fn", fn(module, **inputs) -> expected output
    method: str | None = None  # call this method instead of forward
    submodules: list[SubmoduleSpec] = field(default_factory=list)
    max_dims: dict[str, int] = field(default_factory=dict)  # upper bounds on drawn sizes
    multiple_of: dict[str, int] = field(default_factory=dict)  # drawn sizes rounded up to these
    batch_dim: str = "b"
    seq_dim: str | None = None  # the causal axis; default n, t or s (whichever the output has)
    rtol: float = 1e-7  # reference comparison in float64
    atol: float = 1e-9


@dataclass
class TrainingSpec(JsonMixin):
    """The ``[training]`` table: a LightningModule and a datamodule for the smoke run."""

    module: str  # "pkg.module:LitModel"
    datamodule: str  # "pkg.data:SyntheticData"
    init: dict[str, Any] = field(default_factory=dict)
    datamodule_init: dict[str, Any] = field(default_factory=dict)
    max_steps: int = 60
    loss_drop: float = 0.5  # mean of the last losses <= (1 - loss_drop) * mean of the first


@dataclass
class Manifest(JsonMixin):
    """A parsed ``paper2code.toml``."""

    name: str
    path: str  # the manifest file
    modules: list[ModuleSpec]
    training: TrainingSpec | None = None
    extra_checks: list[str] = field(default_factory=list)  # [validate] checks = ["ddp", "compile"]
    timeout_s: float | None = None  # [validate] timeout: per-check wall limit
    memory_mb: int | None = None  # [validate] memory_mb
    compile_backend: str = "inductor"  # [validate] compile_backend: the torch.compile backend checked


@dataclass
class ValidateOptions:
    """How ``agent.validate.validate_project`` runs. Limits apply per check, in the sandbox."""

    allow_unsafe: bool = False  # the static scan reports dangerous calls without failing
    timeout_s: float | None = None  # wall-clock limit per check; None = each check's default
    cpu_factor: float = 2.0  # CPU-seconds limit = cpu_factor * wall limit + 2 (all threads)
    memory_mb: int | None = None  # per sandbox; None = the manifest's or 4096
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int = 1  # torch threads per check (tiny configs gain nothing from more; fair on shared CPUs)
    max_pids: int = 256  # processes + threads in the sandbox (pids cgroup)
    output_cap_bytes: int = 4 * 1024 * 1024  # per check; more output ends the check
    seed: int = 0
    keep_scratch: bool = False
    progress: Callable[[CheckResult], None] | None = field(default=None, repr=False, compare=False)


# ---------------------------------------------------------------------------------------------
# LLM (agent.llm): provider-neutral requests and responses, and git history (agent.repo)
# ---------------------------------------------------------------------------------------------


@dataclass
class ToolSpec(JsonMixin):
    """A tool the model may call; ``input_schema`` is a JSON Schema object."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass
class ToolCall(JsonMixin):
    """A tool call made by the model. When the model sends arguments that are not a JSON object,
    ``arguments`` is None and ``error`` says why; ``raw_arguments`` is always what it sent."""

    id: str
    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str
    error: str | None = None


@dataclass
class Usage(JsonMixin):
    """Tokens spent by one call (or a sum of calls) and what they cost."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
        )


@dataclass
class LLMResponse(JsonMixin):
    """One model turn. ``stop_reason`` uses Anthropic's words for every provider: "end_turn",
    "tool_use", "max_tokens", "stop_sequence". ``cached``: replayed from the response cache (then
    ``usage`` is zero: the call cost nothing)."""

    text: str
    tool_calls: list[ToolCall]
    stop_reason: str
    usage: Usage
    model: str
    cached: bool = False


@dataclass
class PaperBlock(JsonMixin):
    """The paper as sent to a model: always as text inside an untrusted-data block; with
    Anthropic, ``pdf_path`` (when set and enabled) is sent instead as a document block."""

    text: str
    title: str = ""
    pdf_path: str | None = None


@dataclass
class CommitInfo(JsonMixin):
    """One commit of an implementation's history (agent.repo.GitRepo.log)."""

    sha: str
    summary: str  # first line of the message
    ours: bool  # made by paper2code (carries the Generated-by trailer)
    date: str  # ISO 8601


# ---------------------------------------------------------------------------------------------
# Drafting agent (agent.loop): limits of one run, and what it came to
# ---------------------------------------------------------------------------------------------


@dataclass
class AgentLimits(JsonMixin):
    """Limits of one drafting run (a resumed run continues the same counts). None = no limit."""

    max_steps: int | None = 40  # model turns
    max_tokens: int | None = None  # input + output + cache-read + cache-write tokens, all calls
    max_cost_usd: float | None = 5.0  # by the price table of agent.llm.cost
    max_wall_s: float | None = None  # seconds of this invocation


@dataclass
class RepairAttempt(JsonMixin):
    """One repair round: the failures sent back to the model and the verdict that followed."""

    attempt: int
    failures: list[str]  # "[fail] reference on attention: ..." (one line each)
    verdict_before: str  # "2/3 checks pass"
    verdict_after: str | None = None  # set when the model submits again


@dataclass
class AgentResult(JsonMixin):
    """How a drafting run ended. ``outcome``: "passed" (submitted and validated), "failed"
    (validation still failed once repairs were spent) or "stopped" (a limit was reached)."""

    outcome: Literal["passed", "failed", "stopped"]
    steps: int
    repairs: list[RepairAttempt]
    message: str  # one line naming the cause when not passed
    summary: str = ""  # the model's closing summary
    report: ValidationReport | None = None  # the final validation, when one ran


# ---------------------------------------------------------------------------------------------
# Plan: what to build (agent.plan) — written to plan.json, read by the drafter
# ---------------------------------------------------------------------------------------------

HyperparameterSource = Literal["paper", "assumed"]


@dataclass
class PlannedComponent(JsonMixin):
    """A catalog component chosen for a slot of the skeleton, with why."""

    slot: str  # "model", "block", "attention", "position", "norm", "ffn", "loss", "lr_schedule", ...
    component: str  # catalog name, e.g. "multi_head_attention"
    evidence: str  # quoted sentence/equation/table (or the reason for a default)
    section: str | None = None  # where the evidence was read
    params: dict[str, Any] = field(default_factory=dict)  # template parameters beyond hyperparameters
    assumed: bool = False  # True when no evidence was found and a default filled the slot


@dataclass
class PlannedHyperparameter(JsonMixin):
    value: Any
    source: HyperparameterSource
    evidence: str  # the quote (source "paper") or the reason (source "assumed")
    section: str | None = None
    symbol: str | None = None
    alternatives: list[dict[str, Any]] = field(default_factory=list)  # other values the paper gives


@dataclass
class PlannedEquation(JsonMixin):
    """A numbered equation of the paper and what implements it."""

    number: str | None
    latex: str
    role: str  # "attention", "ffn", "lr_schedule", "norm", ... or "uncovered"
    implemented_by: str | None  # component name, or the compiled function's name
    compiled: bool = False  # compiled with agent.equations (and verified numerically)
    verified: bool = False
    function: str | None = None  # name of the compiled function in <package>/equations.py
    source: str | None = None  # the compiled function's source
    section: str | None = None
    note: str = ""


@dataclass
class Plan(JsonMixin):
    title: str
    slug: str  # folder and Python package name: lower_snake_case identifier
    family: str  # "seq2seq", "decoder_lm", "encoder_classifier", "vit_classifier", "diffusion"
    task: str  # synthetic smoke task: "copy", "grammar_lm", "synthetic_images", "synthetic_classes", ...
    components: list[PlannedComponent]
    hyperparameters: dict[str, PlannedHyperparameter]
    equations: list[PlannedEquation] = field(default_factory=list)
    ambiguities: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    paper_source: str | None = None  # the path given to generate

    def component_for(self, slot: str) -> PlannedComponent | None:
        return next((c for c in self.components if c.slot == slot), None)


# ---------------------------------------------------------------------------------------------
# Evaluation (agent.evaluate): implementations validated in bulk, suites scored, benchmarks run
# ---------------------------------------------------------------------------------------------

EvalStatus = Literal["pass", "fail", "error", "skip"]


@dataclass
class ImplementationResult(JsonMixin):
    """One implementation (a folder with paper2code.toml) validated by ``paper2code eval DIR``.
    ``status`` "error": the manifest was unreadable or validation could not run (``error`` says why)."""

    name: str  # the manifest's project name (the folder name when the manifest is unreadable)
    path: str  # relative to the evaluated folder
    status: EvalStatus
    report: ValidationReport | None = None
    error: str = ""
    seconds: float = 0.0

    def failed_checks(self) -> list[CheckResult]:
        return self.report.failures() if self.report is not None else []


@dataclass
class EvalCase(JsonMixin):
    """One case of an evaluation suite (``evals/<suite>/cases/<id>/case.toml``)."""

    id: str
    paper: str  # resolved path of the paper input
    components: list[str]  # catalog component names the implementation should use
    hyperparameters: dict[str, Any]  # canonical name -> the paper's value
    hidden_tests: list[str]  # pytest files (absolute paths) run against the generated package
    description: str = ""
    requires_shared: bool = False  # the paper lives in ../shared/papers: skipped when absent
    available: bool = True  # False: the paper is absent (``skip_reason`` says why)
    skip_reason: str = ""


@dataclass
class EvalSuite(JsonMixin):
    """An evaluation suite: its cases and how a regression is judged."""

    name: str
    path: str  # the suite folder
    cases: list[EvalCase]
    description: str = ""
    tolerance: float = 0.0  # a score may drop this much below the baseline before it is a regression
    baseline: str | None = None  # default baseline file (absolute), when the suite names one


@dataclass
class CaseScore(JsonMixin):
    """What one case scored. Fractions are None when the stage did not run (or has nothing to score)."""

    case: str
    status: EvalStatus  # pass: every stage that ran passed; fail: a stage scored short; error: could not run
    components_found: list[str] = field(default_factory=list)
    components_missing: list[str] = field(default_factory=list)
    hyperparameters_right: list[str] = field(default_factory=list)
    hyperparameters_wrong: dict[str, Any] = field(default_factory=dict)  # name -> {"expected", "got"}
    validation_passed: bool | None = None
    validation_failures: list[str] = field(default_factory=list)  # "target/check (status)"
    hidden_passed: int | None = None
    hidden_total: int | None = None
    hidden_failures: list[str] = field(default_factory=list)  # pytest node ids
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    stages: list[str] = field(default_factory=list)  # the stages that ran
    error: str = ""
    output: str | None = None  # the generated folder, when kept

    def metrics(self) -> dict[str, float | None]:
        """The scores compared with a baseline, each in [0, 1] (None: not measured)."""
        expected = len(self.components_found) + len(self.components_missing)
        hp = len(self.hyperparameters_right) + len(self.hyperparameters_wrong)
        return {
            "components": len(self.components_found) / expected if expected and "plan" in self.stages else None,
            "hyperparameters": len(self.hyperparameters_right) / hp if hp and "plan" in self.stages else None,
            "validation": None if self.validation_passed is None else float(self.validation_passed),
            "hidden_tests": self.hidden_passed / self.hidden_total
            if self.hidden_passed is not None and self.hidden_total else None,
        }


@dataclass
class SuiteResult(JsonMixin):
    """A suite run: one score per case, with the generator that produced them."""

    suite: str
    llm: str
    cases: list[CaseScore]
    stages: list[str]
    seconds: float = 0.0
    environment: dict[str, Any] = field(default_factory=dict)
    schema_version: int = 1


@dataclass
class SnippetResult(JsonMixin):
    """One masked snippet of a ResearchCodeBench task, filled by a provider and tested."""

    paper: str  # the task id (pset/<paper>)
    file: str  # the annotated file, relative to the task folder
    snippet: str  # the name in ``# <paper2code name="...">``
    lines: int  # code lines in the snippet (the weight of scaled pass@1)
    passed: bool
    detail: str = ""  # why it failed: the test's last lines, a timeout, an empty answer
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# Experiments (agent.experiments): ablations and sweeps run on an implementation
# ---------------------------------------------------------------------------------------------

FactorKind = Literal["component", "hyperparameter"]
RunStatus = Literal["ok", "failed", "timeout", "pruned"]


@dataclass
class ExperimentFactor(JsonMixin):
    """One factor of an ablation: a catalog swap in a plan slot, or a hyperparameter's values.
    The first level is the baseline's."""

    name: str  # as the user wrote it: "norm", "pos", "learning_rate"
    kind: FactorKind
    target: str  # the plan slot ("norm", "position") or the hyperparameter's name
    levels: list[Any]  # catalog component names (component) or values (hyperparameter)
    labels: list[str]  # the levels as the user wrote them ("rmsnorm", "rope", "3e-4")


@dataclass
class ExperimentCell(JsonMixin):
    """One configuration of the design: a level of every factor."""

    id: str  # "norm=layernorm pos=rope"
    levels: dict[str, str]  # factor name -> level label
    swaps: dict[str, str] = field(default_factory=dict)  # plan slot -> catalog component
    overrides: dict[str, Any] = field(default_factory=dict)  # LightningModule/datamodule arguments
    plan_hyperparameters: dict[str, Any] = field(default_factory=dict)  # set in plan.json, then redrafted
    baseline: bool = False


@dataclass
class RunResult(JsonMixin):
    """One training run of a cell with one seed, as the worker wrote it (runs/<cell>/seed-<s>-<key>.json)."""

    cell: str
    seed: int
    status: RunStatus
    metric: str
    final: float | None  # the metric's last recorded value
    curve: list[list[float]]  # [[step, value], ...] of the metric
    config: dict[str, Any]  # module/datamodule arguments, swaps, steps, source folder fingerprint
    seconds: float
    environment: dict[str, Any] = field(default_factory=dict)  # versions, device, threads, git commit
    cost: dict[str, Any] = field(default_factory=dict)  # measured while training: params, ms/step, peak memory
    train_curve: list[list[float]] = field(default_factory=list)  # [[step, training loss], ...]
    error: str = ""
    key: str = ""  # hash of everything that determines the run (reused when it matches)


@dataclass
class CellStats(JsonMixin):
    """The metric of one cell over its seeds: mean, standard deviation and 95% intervals."""

    cell: str
    n: int
    mean: float | None
    std: float | None  # sample standard deviation (ddof 1); None below two runs
    ci_t: list[float] | None  # 95% Student-t interval of the mean
    ci_bootstrap: list[float] | None  # 95% percentile bootstrap interval of the mean
    values: list[float]
    failed: int = 0  # runs of the cell that did not finish
    profile: dict[str, Any] = field(default_factory=dict)  # validator profile of the cell's model


@dataclass
class Comparison(JsonMixin):
    """A cell against the baseline cell: Welch's t-test, Cohen's d, Holm-corrected p-value."""

    cell: str
    baseline: str
    difference: float | None  # mean(cell) - mean(baseline)
    t: float | None
    p: float | None  # Welch's two-sided p-value
    p_holm: float | None  # after Holm's correction over all comparisons with the baseline
    cohens_d: float | None
    significant: bool
    verdict: str  # one plain sentence


@dataclass
class AblationResult(JsonMixin):
    """What ``paper2code ablate`` found: per-cell statistics, comparisons and every run."""

    implementation: str
    metric: str
    mode: Literal["min", "max"]  # whether lower or higher metric values are better
    design: Literal["grid", "ofat"]
    factors: list[ExperimentFactor]
    cells: list[ExperimentCell]
    stats: list[CellStats]
    comparisons: list[Comparison]
    runs: list[RunResult]
    alpha: float = 0.05
    max_steps: int = 0
    seeds: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class SweepTrial(JsonMixin):
    """One trial of ``paper2code sweep`` as the Optuna study holds it."""

    number: int
    state: str  # COMPLETE, PRUNED, FAIL, RUNNING (Optuna's TrialState names)
    value: float | None  # the metric's last value (COMPLETE only)
    params: dict[str, Any]  # as sampled (component choices by the name the user gave)
    last: float | None = None  # the last reported value (a pruned trial's too)
    steps: int = 0  # the last step reported
    seconds: float | None = None
    error: str = ""


@dataclass
class SweepResult(JsonMixin):
    """What ``paper2code sweep`` found: the trials of its study and the best of them."""

    implementation: str
    study: str
    storage: str  # sqlite:///... (resume by running the same command again)
    metric: str
    mode: Literal["min", "max"]
    space: dict[str, str]  # name -> distribution as written ("loguniform(1e-4,1e-2)")
    trials: list[SweepTrial]
    best: SweepTrial | None
    max_steps: int = 0
    seed: int = 0
    notes: list[str] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
