"""The draft-validate-repair agent: a short loop, control flow by exceptions, state saved after every step.

One step asks the model, runs the tools it called (:class:`agent.llm.agent_tools.AgentTools`) and, when
files changed, validates them in the sandbox and commits them (:class:`agent.repo.GitRepo`) with the
verdict in the message. ``finish`` (or a turn without tool calls) submits: the project is validated;
failures go back to the model as a repair prompt, at most ``max_repairs`` times. Everything needed to
go on — the conversation, the step count, the phase, the repairs — is written to
``.paper2code/agent_state.json`` after every step, so a run stopped by a limit or an API failure
resumes where it stopped and never repeats a finished step. The loop never imports or runs generated
code: validation happens only in the validator's sandbox.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import LLMError, UserError
from agent.llm.agent_tools import (
    FINISH,
    AgentTools,
    describe_report,
    failure_lines,
    tree_digest,
    tree_files,
    verdict,
    with_tails,
)
from agent.llm.base import LLMProvider, assistant_message, tool_result, tool_results_message, user_message
from agent.llm.prompts import render
from agent.repo import GitRepo
from agent.types import (
    AgentLimits,
    AgentResult,
    CheckResult,
    LLMResponse,
    PaperBlock,
    RepairAttempt,
    ValidationReport,
)

STATE_VERSION = 1
STEP_CHECKS = ["static", "import", "shapes"]  # the quick verdict committed with every file-changing step
CUT_OFF = ("Your reply was cut off at the max_tokens limit, so none of its tool calls ran. Write big files "
           "in parts: write_file with the first part, then edit_files to add the rest.")


def state_path(out_dir: str | Path) -> Path:
    """Where a run's state lives: ``<out_dir>/.paper2code/agent_state.json`` (never committed)."""
    return Path(out_dir) / ".paper2code" / "agent_state.json"


class AgentSignal(Exception):
    """Control flow inside :meth:`DraftAgent.run`; never escapes it."""


class Submitted(AgentSignal):
    """The model submitted the project (``finish``, or a turn without tool calls)."""

    def __init__(self, summary: str) -> None:
        super().__init__(summary)
        self.summary = summary


class FormatError(AgentSignal):
    """The model's turn could not be used as sent; the message goes back to it."""


class ValidationFailed(AgentSignal):
    """A submitted project failed validation."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(verdict(report))
        self.report = report


class LimitsExceeded(AgentSignal):
    """A limit (steps, tokens, cost, wall time) was reached; the message names it."""


@dataclass
class AgentState:
    """What is saved after every step."""

    fingerprint: str  # of the system prompt, task and paper: a state only resumes its own run
    messages: list[dict[str, Any]]
    steps: int = 0
    phase: str = "draft"  # "draft", then "repair N"
    repairs: list[RepairAttempt] = field(default_factory=list)
    submitted: bool = False  # the last turn submitted; its verdict decides what comes next
    finished: bool = False  # submitted and validation passed
    summary: str = ""
    judged: dict[str, Any] | None = None  # the last submit's validation: tree digest, checks, report
    tokens: int = 0  # input + output + cache-read + cache-write tokens of every call so far
    cost_usd: float = 0.0

    def save(self, path: Path) -> None:
        data = {"version": STATE_VERSION, **{k: v for k, v in self.__dict__.items() if k not in ("repairs", "judged")},
                "repairs": [r.to_dict() for r in self.repairs],
                "judged": self.judged and {**self.judged, "report": self.judged["report"].to_dict()}}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> AgentState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.pop("version", None) != STATE_VERSION:
                raise ValueError("unknown version")
            data["repairs"] = [RepairAttempt(**r) for r in data.get("repairs", [])]
            if data.get("judged"):
                report = data["judged"]["report"]
                report["checks"] = [CheckResult(**c) for c in report["checks"]]
                data["judged"]["report"] = ValidationReport(**report)
            return cls(**data)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise UserError(f"{path}: unreadable agent state ({exc}); delete it to start over") from None


class DraftAgent:
    """Drives one provider over one output folder until the project passes validation or a limit stops it."""

    def __init__(
        self,
        provider: LLMProvider,
        tools: AgentTools,
        repo: GitRepo,
        *,
        system: str,
        paper: PaperBlock | None,
        limits: AgentLimits | None = None,
        max_repairs: int = 3,
        checks: list[str] | None = None,
        step_checks: list[str] | None = STEP_CHECKS,
        max_tokens: int = 16000,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.provider, self.tools, self.repo = provider, tools, repo
        self.system, self.paper = system, paper
        self.limits = limits or AgentLimits()
        self.max_repairs, self.max_tokens = max_repairs, max_tokens
        self.checks, self.step_checks = checks, step_checks
        self.echo = echo or (lambda line: None)
        self.state_file = state_path(tools.root)
        self.state: AgentState | None = None
        self.report: ValidationReport | None = None
        self._started = time.monotonic()

    # ------------------------------------------------------------------ the loop

    def run(self, task: str) -> AgentResult:
        """Run (or resume) the agent on ``task``, the first user message.

        Raises:
            agent.errors.LLMError: the provider failed once its retries were spent (state kept).
            agent.errors.UserError: the folder holds the state of a different run.
        """
        self.state = self._load_or_start(task)
        if self.state.judged:  # a finished judgement of unchanged files is not repeated
            self.tools.remember(self.state.judged["digest"], self.state.judged["checks"], self.state.judged["report"])
        self._started = time.monotonic()
        result: AgentResult | None = None
        while result is None:
            # Anything else (LLMError, a bug) propagates unsaved: the state stays at the last whole step.
            try:
                self._step()
            except FormatError as exc:
                self._tell(str(exc))
            except Submitted as exc:
                self.state.submitted, self.state.summary = True, exc.summary or self.state.summary
                try:
                    result = self._accept()
                except ValidationFailed as failed:
                    if not self._repair(failed.report):
                        first = (failure_lines(failed.report) or ["?"])[0]
                        result = self._result("failed", f"validation failed after {len(self.state.repairs)} "
                                                        f"repair(s): {first}")
            except LimitsExceeded as exc:
                result = self._result("stopped", str(exc))
            self.state.save(self.state_file)
        return result

    def _step(self) -> None:
        state = self.state
        if state.submitted:  # resumed after a submit: judge it again (the files may have changed)
            raise Submitted(state.summary)
        self._check_limits()
        if hasattr(self.provider, "label"):
            self.provider.label = f"step {state.steps + 1} ({state.phase})"
        before = tree_files(self.tools.root)
        response = self.provider.complete(system=self.system, messages=state.messages, tools=self.tools.specs(),
                                          max_tokens=self.max_tokens, paper=self.paper)
        if response.stop_reason == "refusal":
            raise LLMError(f"the model refused to go on at step {state.steps + 1} (stop_reason refusal)")
        usage = response.usage
        state.steps += 1
        state.tokens += usage.input_tokens + usage.output_tokens + usage.cache_read_tokens + usage.cache_write_tokens
        state.cost_usd += usage.cost_usd
        state.messages.append(assistant_message(response))
        cut_off = response.stop_reason == "max_tokens"
        results, submitted, summary = [], False, response.text
        for call in response.tool_calls:
            if cut_off:
                results.append(tool_result(call.id, "not run: the reply was cut off at max_tokens", is_error=True))
            elif call.name == FINISH and call.error is None and call.arguments is not None:
                submitted, summary = True, str(call.arguments.get("summary") or response.text)
                results.append(tool_result(call.id, "submitted; validating the project"))
            else:
                results.append(self.tools.run(call))
        names = ", ".join(c.name for c in response.tool_calls) or "no tool call"
        self.echo(f"step {state.steps} ({state.phase}): {names}")
        note = self._commit_step(before, response)
        if results or note:
            state.messages.append(tool_results_message(results, text=note))
        if cut_off:
            raise FormatError(CUT_OFF)
        if submitted or not response.tool_calls:
            raise Submitted(summary)

    # ------------------------------------------------------------------ steps that change files

    def _commit_step(self, before: dict[str, str], response: LLMResponse) -> str | None:
        """Validate and commit the files this step changed; the verdict text for the model, or None."""
        after = tree_files(self.tools.root)
        changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        if not changed:
            return None
        report = self.tools.validate(self.step_checks)
        shown = ", ".join(changed[:3]) + (f" (+{len(changed) - 3} more)" if len(changed) > 3 else "")
        subject = f"{self.state.phase}: {shown} — validation: {verdict(report)}"
        body = "\n".join([" ".join(response.text.split())[:500], *failure_lines(report)]).strip()
        self.repo.commit_all(f"{subject}\n\n{body}" if body else subject)
        self.echo(f"  committed {len(changed)} file(s); validation: {verdict(report)}")
        return "Validation of the files as they are now: " + describe_report(report, self.step_checks)

    # ------------------------------------------------------------------ submit, judge, repair

    def _accept(self) -> AgentResult:
        report = self.tools.validate(self.checks)
        self.report = report
        self.state.judged = {"digest": tree_digest(self.tools.root), "checks": self.checks, "report": report}
        last = self.state.repairs[-1] if self.state.repairs else None
        if last is not None and last.verdict_after is None:
            last.verdict_after = verdict(report)
        self.echo(f"submitted: validation {verdict(report)}")
        if not report.passed:
            raise ValidationFailed(report)
        self.state.finished = True
        return self._result("passed", "")

    def _repair(self, report: ValidationReport) -> bool:
        """Send the failures back for another round; False once ``max_repairs`` rounds were tried."""
        if len(self.state.repairs) >= self.max_repairs:
            return False
        attempt = len(self.state.repairs) + 1
        self.state.repairs.append(RepairAttempt(attempt, failure_lines(report), verdict(report)))
        self.state.phase, self.state.submitted, self.state.finished = f"repair {attempt}", False, False
        self._tell(render("repair", failures=with_tails(report), attempt=attempt, max_attempts=self.max_repairs,
                          files=sorted(tree_files(self.tools.root))))
        self.echo(f"repair {attempt} of {self.max_repairs}: {len(report.failures())} failed check(s) sent back")
        return True

    # ------------------------------------------------------------------ helpers

    def _tell(self, text: str) -> None:
        """Add ``text`` to the conversation: to the last user turn (after its tool results) or as a new one."""
        messages = self.state.messages
        if messages and messages[-1]["role"] == "user" and isinstance(messages[-1]["content"], list):
            messages[-1]["content"].append({"type": "text", "text": text})
        else:
            messages.append(user_message(text))

    def _check_limits(self) -> None:
        limits, steps, tokens, usd = self.limits, self.state.steps, self.state.tokens, self.state.cost_usd
        elapsed = time.monotonic() - self._started
        if limits.max_steps is not None and steps >= limits.max_steps:
            raise LimitsExceeded(f"step limit reached: {steps} model turns (max_steps {limits.max_steps})")
        if limits.max_tokens is not None and tokens >= limits.max_tokens:
            raise LimitsExceeded(f"token limit reached: {tokens} tokens (max_tokens {limits.max_tokens})")
        if limits.max_cost_usd is not None and usd >= limits.max_cost_usd:
            raise LimitsExceeded(f"cost limit reached: ${usd:.2f} (max_cost_usd ${limits.max_cost_usd:.2f})")
        if limits.max_wall_s is not None and elapsed >= limits.max_wall_s:
            raise LimitsExceeded(f"wall-time limit reached: {elapsed:.0f} s (max_wall_s {limits.max_wall_s:g})")

    def _load_or_start(self, task: str) -> AgentState:
        paper = [self.paper.text, self.paper.title] if self.paper is not None else None  # not its path
        payload = json.dumps({"system": self.system, "task": task, "paper": paper}, sort_keys=True, default=str)
        fingerprint = hashlib.sha256(payload.encode()).hexdigest()
        if self.state_file.is_file():
            state = AgentState.load(self.state_file)
            if state.fingerprint != fingerprint:
                raise UserError(f"{self.state_file} belongs to a run on another paper or prompt; delete it to "
                                "start over, or choose another output folder")
            self.echo(f"resuming after step {state.steps} ({state.phase})")
            return state
        state = AgentState(fingerprint=fingerprint, messages=[user_message(task)])
        state.save(self.state_file)
        return state

    def _result(self, outcome: str, message: str) -> AgentResult:
        return AgentResult(outcome=outcome, steps=self.state.steps, repairs=list(self.state.repairs),
                           message=message, summary=self.state.summary,
                           report=self.report if outcome != "stopped" else None)

