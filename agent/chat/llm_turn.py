"""A free-text turn answered by the configured LLM, with edits validated and repaired within a bound.

The model sees the paper (as an untrusted block), the chat's recent turns and read-only file tools;
it answers, and when asked for a change it replies with SEARCH/REPLACE blocks. Blocks are applied all
or nothing: a block that does not apply (its SEARCH text is not in the file) is reported and sent
back; a change that fails the quick checks is sent back with the failures. After ``max_repairs``
such rounds the turn's edits are rolled back (their diff kept under ``.paper2code/rejected/``). A
change that passes is committed with a message naming the request.
"""

from __future__ import annotations

from typing import Any

from rich.markdown import Markdown
from rich.text import Text

from agent.chat import render
from agent.chat.commands import Result
from agent.chat.merge import Snapshot
from agent.chat.session import ChatSession
from agent.errors import UserError
from agent.types import LLMResponse, PaperBlock

READ_TOOLS = ("list_files", "read_file")
MAX_TOOL_STEPS = 8  # model calls spent reading files, per attempt
HISTORY = 12  # earlier transcript entries shown to the model
HISTORY_CHARS = 400
PROTECTED = ("plan.json", "paper.json", "validation.json")


class TurnStopped(UserError):
    """The model could not finish the turn (too many tool calls, or it stopped mid-reply)."""


def _history(session: ChatSession) -> list[str]:
    entries = session.transcript.all[:-1][-HISTORY:]  # the newest entry is this turn's request
    return [f"{e.role}: {render.short(e.text, HISTORY_CHARS)}" for e in entries]


def _show_reply(session: ChatSession, text: str) -> None:
    if not text.strip():
        return
    if session.console.is_terminal:
        session.console.print(Markdown(text))
    else:
        session.console.print(Text(text), soft_wrap=True, highlight=False)


class LLMTurn:
    """One request to the model and what comes of it."""

    def __init__(self, session: ChatSession, request: str) -> None:
        from agent.draft.llm import paper_text
        from agent.llm.prompts import render as render_prompt
        from agent.llm.tools import FileTools

        self.session = session
        self.request = request
        self.provider, self.config = session.provider_and_config()
        self.tools = FileTools(session.folder)
        self.specs = [s for s in self.tools.specs() if s.name in READ_TOOLS]
        self.system = render_prompt("chat", project_name=session.folder.name,
                                    package=session.package, tools=list(READ_TOOLS), checks=session.checks,
                                    files=session.files(), history=_history(session))
        paper = session.paper
        self.paper = PaperBlock(text=paper_text(paper), title=paper.title)
        self.messages: list[dict[str, Any]] = []
        self.max_repairs = int(self.config.max_repairs)

    def _complete(self) -> LLMResponse:
        """Ask the model, serving its read-only tool calls, until it replies without one."""
        from agent.llm import assistant_message, tool_results_message
        from agent.llm.base import tool_result

        for _ in range(MAX_TOOL_STEPS):
            with self.session.busy(f"asking {self.provider.model} ..."):
                response = self.provider.complete(system=self.system, messages=self.messages, tools=self.specs,
                                                  max_tokens=self.config.max_tokens, paper=self.paper)
            self.session.save_ledger()
            self.messages.append(assistant_message(response))
            if not response.tool_calls:
                if response.stop_reason == "max_tokens":
                    raise TurnStopped("the model's reply was cut off at max_tokens; ask for a smaller change")
                return response
            results = []
            for call in response.tool_calls:
                if call.name in READ_TOOLS:
                    self.session.say(f"  (model reads: {call.name} {(call.arguments or {}).get('path', '')})", "dim")
                    results.append(self.tools.run(call))
                else:
                    results.append(tool_result(call.id, f"{call.name} is not available in chat; write changes as "
                                                        "SEARCH/REPLACE blocks in your reply", is_error=True))
            self.messages.append(tool_results_message(results))
        raise TurnStopped(f"the model made more than {MAX_TOOL_STEPS} tool calls without answering")

    def _apply(self, text: str, snapshot: Snapshot) -> list[str]:
        """Apply the reply's edit blocks (all or none); returns the paths they touch."""
        from agent.draft.edits import EditError, apply_edits, parse_edit_blocks

        blocks = parse_edit_blocks(text)
        if not blocks:
            return []
        protected = [b.path for b in blocks if b.path.strip().removeprefix("./") in PROTECTED]
        if protected:
            raise EditError(f"edit of {protected[0]} refused: it is paper2code's record of the plan, the paper "
                            "and the validation, not code; change the code, config.yaml or NOTES.md instead")
        touched = apply_edits(self.session.folder, blocks, dry_run=True)
        for path in touched:
            snapshot.keep(path.relative_to(self.session.folder).as_posix())
        apply_edits(self.session.folder, blocks)
        return [p.relative_to(self.session.folder).as_posix() for p in touched]

    def _send_back(self, prompt: str, **variables: Any) -> None:
        from agent.llm import user_message
        from agent.llm.prompts import render as render_prompt

        self.messages.append(user_message(render_prompt(prompt, **variables)))

    def run(self) -> Result:
        from agent.draft.edits import EditError
        from agent.llm import user_message

        session = self.session
        session.commit_hand_edits()
        self.messages.append(user_message(self.request))
        snapshot = Snapshot(session.folder)
        repairs = 0
        answer = ""
        try:
            while True:
                response = self._complete()
                answer = response.text
                _show_reply(session, answer)
                try:
                    touched = self._apply(answer, snapshot)
                except EditError as exc:
                    render.error(session.console, f"the model's edit was not applied: {exc}")
                    if repairs >= self.max_repairs:
                        return self._give_up(snapshot, answer, f"edits still failed after {repairs} retries")
                    repairs += 1
                    session.say(f"asking the model to fix its edit (retry {repairs} of {self.max_repairs})", "yellow")
                    self._send_back("chat_retry", error=str(exc), attempt=repairs, max_attempts=self.max_repairs)
                    continue
                if not touched and not snapshot.changed():
                    return Result(answer)
                changed, report = session.check(snapshot)
                if not changed:
                    session.say("the model's edits changed nothing")
                    return Result(answer)
                assert report is not None
                if report.passed:
                    title = " ".join(self.request.split())
                    title = title if len(title) <= 60 else title[:57] + "..."
                    sha = session.commit(f"chat: {title}\n\nRequest: {self.request.strip()}\n\n"
                                         f"{render.short(answer, 600)}\n\nvalidation: {render.verdict(report)}")
                    session.reload()
                    return Result(answer, sha)
                if repairs >= self.max_repairs:
                    return self._give_up(snapshot, answer, f"validation still failed after {repairs} repairs")
                repairs += 1
                session.say(f"asking the model to repair (repair {repairs} of {self.max_repairs})", "yellow")
                self._send_back("repair", failures=report.failures(), attempt=repairs, max_attempts=self.max_repairs,
                                files=session.files())
        except BaseException:
            if snapshot.changed():  # an error or Ctrl-C mid-turn: nothing half-done stays in the folder
                session.reject(snapshot, "the turn did not finish")
            raise

    def _give_up(self, snapshot: Snapshot, answer: str, why: str) -> Result:
        if snapshot.changed():
            self.session.reject(snapshot, why)
        else:
            self.session.say(f"no change made: {why}", "yellow")
        return Result(f"{answer}\n[not committed: {why}]")


def llm_turn(session: ChatSession, request: str) -> Result:
    """Answer ``request`` with the session's model; edits are validated, repaired and committed."""
    session.llm_turns += 1
    return LLMTurn(session, request).run()
