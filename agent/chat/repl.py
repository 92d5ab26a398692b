"""The chat's input layer and loop.

On a terminal, input comes from a prompt_toolkit session: history kept in ``.paper2code/chat_history``,
multi-line input (a line ending in ``\\`` continues, Esc-Enter inserts a newline) and completion of
commands, file names, hyperparameters, slots, components and checks. Otherwise a plain line reader
takes stdin, so a chat can be scripted (``printf '/set d_model=64\\n/quit\\n' | paper2code chat DIR``);
it echoes each line after the prompt so the output reads as a transcript.

:func:`run_repl` runs turns until ``/quit`` or end of input. Whatever goes wrong inside a turn is shown
as one line, and the chat goes on.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, TextIO

from agent.chat import render
from agent.chat.commands import COMMANDS, Quit, Result, dispatch
from agent.chat.session import ChatSession
from agent.errors import UserError

PROMPT = "p2c> "
HISTORY_FILE = "chat_history"
log = logging.getLogger(__name__)


class Reader(Protocol):
    def read(self) -> str | None:
        """The next input (several lines joined by newlines), or None at end of input."""
        ...


class PlainReader:
    """Lines from a stream; a line ending in a backslash continues on the next one."""

    def __init__(self, session: ChatSession, stream: TextIO | None = None) -> None:
        self.session = session
        self.stream = stream or sys.stdin

    def read(self) -> str | None:
        parts: list[str] = []
        while True:
            line = self.stream.readline()
            if not line:
                break
            line = line.rstrip("\r\n")
            if line.endswith("\\"):
                parts.append(line[:-1])
                continue
            parts.append(line)
            break
        if not parts:
            return None
        text = "\n".join(parts)
        self.session.console.print(render.Text(PROMPT + text.replace("\n", "\n... ")), soft_wrap=True)
        return text


def _matching(prefix: str, candidates: Iterable[str]) -> Iterator[str]:
    for candidate in candidates:
        if candidate.startswith(prefix) and candidate != prefix:
            yield candidate


def completions(session: ChatSession, text: str) -> list[str]:
    """What can complete the last word of ``text`` (the input up to the cursor)."""
    if not text.startswith("/"):
        return []
    if " " not in text:
        return [f"/{name}" for name in _matching(text[1:], COMMANDS)]
    name, _, rest = text[1:].partition(" ")
    word = rest.split(" ")[-1]
    command = COMMANDS.get(name)
    kind = command.complete if command else ""
    if kind == "files":
        return list(_matching(word, session.files()))
    if kind == "checks":
        from agent.validate.registry import BY_NAME

        return list(_matching(word, BY_NAME))
    if kind == "equations":
        return list(_matching(word, [e.number for e in session.plan.equations if e.number]))
    if kind == "hyper":
        from agent.chat.changes import known_names

        suffix = "=" if name == "set" else ""
        slots = [] if name == "set" else [c.slot for c in session.plan.components]
        return [n + suffix for n in _matching(word, list(dict.fromkeys([*slots, *known_names(session.plan)])))]
    if kind == "swap":
        from agent.catalog import registry

        slot, eq, partial = word.partition("=")
        if not eq:
            slots = dict.fromkeys(c.slot for c in session.plan.components if c.slot != "model")
            return [s + "=" for s in _matching(slot, slots)]
        return [f"{slot}={c.name}" for c in registry.by_slot(slot) if c.name.startswith(partial)]
    return []


class PromptReader:
    """A prompt_toolkit session on the terminal."""

    def __init__(self, session: ChatSession) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import Completer, Completion
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.key_binding import KeyBindings

        chat = session

        class ChatCompleter(Completer):
            def get_completions(self, document: Any, complete_event: Any) -> Iterator[Any]:
                before = document.text_before_cursor
                word = before.split(" ")[-1]
                try:
                    found = completions(chat, before)
                except UserError:
                    return
                for candidate in found:
                    yield Completion(candidate, start_position=-len(word))

        keys = KeyBindings()

        @keys.add("enter")
        def _enter(event: Any) -> None:
            buffer = event.current_buffer
            if buffer.text.endswith("\\"):
                buffer.delete_before_cursor(1)
                buffer.insert_text("\n")
            else:
                buffer.validate_and_handle()

        @keys.add("escape", "enter")
        def _newline(event: Any) -> None:
            event.current_buffer.insert_text("\n")

        private = session.folder / ".paper2code"
        private.mkdir(exist_ok=True)
        self.prompt = PromptSession(history=FileHistory(str(private / HISTORY_FILE)), completer=ChatCompleter(),
                                    complete_while_typing=False, multiline=True, key_bindings=keys,
                                    prompt_continuation="...  ")

    def read(self) -> str | None:
        while True:
            try:
                return self.prompt.prompt(PROMPT)
            except KeyboardInterrupt:  # Ctrl-C clears the line, as in a shell
                continue
            except EOFError:
                return None


def make_reader(session: ChatSession, stream: TextIO | None = None) -> Reader:
    """prompt_toolkit on a terminal, a plain line reader otherwise."""
    stream = stream or sys.stdin
    if stream is sys.stdin and sys.stdin.isatty() and sys.stdout.isatty():
        return PromptReader(session)
    return PlainReader(session, stream)


def greet(session: ChatSession) -> None:
    plan = session.plan
    model = "offline" if session.llm_kind == "offline" else session.llm_spec
    session.say(f"paper2code chat: {plan.title} in {session.folder} (model: {model}; checks after each change: "
                f"{', '.join(session.checks)})", "bold")
    earlier = session.transcript.user_turns(earlier_only=True)
    if earlier:
        last = next((e.text for e in reversed(session.transcript.earlier) if e.role == "user"), "")
        session.say(f"resuming: {earlier} earlier turn(s) in this folder, the last: {render.short(last, 80)!r}")
    if session.repo.is_dirty():
        session.say("you have uncommitted edits; they are committed separately before paper2code's next change",
                    "yellow")
    session.say("/help lists the commands; /quit or Ctrl-D leaves.")


def handle(session: ChatSession, line: str) -> tuple[Result, str]:
    """Run one input: a slash command, or free text (the model, or an offline intent)."""
    if line.startswith("/"):
        return dispatch(session, line), "command"
    if session.llm_kind != "offline":
        from agent.chat.llm_turn import llm_turn

        return llm_turn(session, line), "llm"
    from agent.chat.offline_intents import AFTERWORDS, interpret, offline_help

    command = interpret(line, session.plan)
    if command is None:
        session.say(offline_help(), "yellow")
        return Result("no offline command matches; " + offline_help()), "intent"
    session.say(f"→ {command}", "cyan")
    result = dispatch(session, command)
    if command in AFTERWORDS:
        session.say(AFTERWORDS[command], "cyan")
    return Result(f"{command}: {result.text}", result.commit), "intent"


def run_repl(session: ChatSession, reader: Reader) -> int:
    """Run the chat until /quit or end of input; returns the exit code (0)."""
    greet(session)
    try:
        while True:
            line = reader.read()
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            session.transcript.add("user", line)
            try:
                result, kind = handle(session, line)
            except Quit:
                session.transcript.add("assistant", "bye", kind="command")
                break
            except UserError as exc:
                render.error(session.console, str(exc))
                session.transcript.add("assistant", f"error: {exc}", kind="error")
            except KeyboardInterrupt:
                render.error(session.console, "interrupted; the turn was abandoned")
                session.transcript.add("assistant", "interrupted", kind="error")
            except Exception as exc:  # a bug in paper2code: one line, and the chat goes on
                log.debug("chat turn failed", exc_info=True)
                text = f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
                render.error(session.console, text + " (run with -vv for the traceback)")
                session.transcript.add("assistant", text, kind="error")
            else:
                session.transcript.add("assistant", result.text, kind=kind, commit=result.commit)
    finally:
        session.save_ledger()
    session.say("bye")
    return 0
