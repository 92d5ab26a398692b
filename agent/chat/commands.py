"""The slash commands of ``paper2code chat``: one function each, and the registry that finds them.

Each command takes the session and the text after its name, prints what it has to say, and returns a
:class:`Result` (a one-line summary for the transcript and the commit it made, if any). Bad input
raises :class:`agent.errors.UserError`; the REPL shows it as one line and goes on. ``/quit`` raises
:class:`Quit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from agent.chat import render
from agent.chat.session import ChatSession
from agent.errors import UserError


class Quit(Exception):
    """The user asked to leave."""


@dataclass
class Result:
    text: str = ""  # summary for the transcript
    commit: str | None = None


Handler = Callable[[ChatSession, str], "Result | None"]


@dataclass
class Command:
    name: str
    usage: str
    help: str
    run: Handler
    complete: str = ""  # what completes its argument: "files", "hyper", "swap", "checks", "equations"
    offline: bool = True


COMMANDS: dict[str, Command] = {}
ALIASES = {"exit": "quit", "q": "quit", "h": "help", "?": "help", "log": "history", "eq": "equations"}


def command(name: str, usage: str, help_text: str, complete: str = "") -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = Command(name, usage, help_text, fn, complete)
        return fn

    return register


def split_line(line: str) -> tuple[str, str]:
    """``/set d_model=64`` -> ("set", "d_model=64")."""
    text = line.strip().lstrip("/")
    name, _, args = text.partition(" ")
    return name.lower(), args.strip()


def lookup(name: str) -> Command:
    name = ALIASES.get(name, name)
    if name in COMMANDS:
        return COMMANDS[name]
    starts = [c for c in COMMANDS if c.startswith(name)] if name else []
    if len(starts) == 1:
        return COMMANDS[starts[0]]
    raise UserError(f"unknown command /{name}; /help lists the commands")


def dispatch(session: ChatSession, line: str) -> Result:
    """Run one slash command line."""
    name, args = split_line(line)
    result = lookup(name).run(session, args)
    return result or Result()


# --------------------------------------------------------------------------------------------- viewing


@command("help", "/help", "this list")
def help_command(session: ChatSession, args: str) -> Result:
    table = Table(show_header=False, box=None, expand=False)
    table.add_column(style="bold")
    table.add_column()
    for cmd in COMMANDS.values():
        table.add_row(cmd.usage, cmd.help)
    session.console.print(table)
    if session.llm_kind == "offline":
        from agent.chat.offline_intents import EXAMPLES

        session.say("Free text works offline when it clearly maps to a command, e.g.: "
                    + "; ".join(f"'{e}'" for e in EXAMPLES) + ". Start with --llm anthropic (or another "
                    "--llm SPEC) to ask questions and request any edit in your own words.")
    else:
        session.say(f"Free text goes to the model ({session.llm_spec}): ask about the paper or the code, or ask "
                    "for a change; edits are validated and committed like any other.")
    return Result("help shown")


@command("show", "/show [FILE]", "list the project's files, or print one", complete="files")
def show_command(session: ChatSession, args: str) -> Result:
    from agent.chat.merge import read_text
    from agent.llm.paths import confine

    files = session.files()
    if not args:
        table = Table(expand=False)
        table.add_column("file")
        table.add_column("lines", justify="right")
        for relative in files:
            text = read_text(session.folder / relative) if relative.endswith((".py", ".md", ".yaml", ".toml",
                                                                                ".json", ".txt")) else None
            table.add_row(relative, str(text.count("\n")) if text is not None else "")
        session.console.print(table)
        return Result(f"{len(files)} files listed")
    wanted = args.strip()
    if wanted not in files:
        matches = [f for f in files if f.endswith("/" + wanted) or f.rsplit("/", 1)[-1] == wanted]
        if len(matches) == 1:
            wanted = matches[0]
        elif len(matches) > 1:
            raise UserError(f"{args} matches {', '.join(matches)}; name one")
    path = confine(session.folder, wanted)
    if not path.is_file():
        raise UserError(f"{args}: no such file (/show lists them)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{args}: cannot show it as text: {exc}") from None
    render.file_view(session.console, wanted, text)
    return Result(f"showed {wanted}")


@command("plan", "/plan [NAME]", "the plan: components and hyperparameters with evidence (or one of them)",
         complete="hyper")
def plan_command(session: ChatSession, args: str) -> Result:
    plan = session.plan
    if not args:
        render.plan_tables(session.console, plan)
        return Result("plan shown")
    from agent.chat.changes import resolve_name

    slot = next((c for c in plan.components if c.slot == args.strip()), None)
    if slot is not None:
        session.say(f"{slot.slot} = {slot.component}" + (" (assumed)" if slot.assumed else ""), "bold")
        session.say(f"  evidence: \"{slot.evidence}\"" + (f" (§{slot.section})" if slot.section else ""))
        return Result(f"{slot.slot} = {slot.component}")
    name = resolve_name(args, plan)
    hp = plan.hyperparameters.get(name)
    if hp is None:
        session.say(f"{name} is not set in the plan; the component default applies (/set {name}=VALUE sets it)")
        return Result(f"{name} not set")
    session.say(f"{name} = {hp.value!r}  (source: {hp.source})", "bold")
    session.say(f"  evidence: \"{hp.evidence}\"" + (f" (§{hp.section})" if hp.section else ""))
    for alt in hp.alternatives[:6]:
        session.say(f"  the paper also gives {alt.get('value')!r}: \"{render.short(alt.get('evidence', ''), 160)}\"")
    return Result(f"{name} = {hp.value!r} ({hp.source}): {render.short(hp.evidence, 200)}")


@command("equations", "/equations", "the paper's numbered equations and what implements each")
def equations_command(session: ChatSession, args: str) -> Result:
    render.equations_table(session.console, session.plan)
    return Result(f"{len(session.plan.equations)} equations listed")


@command("explain", "/explain N", "which code implements equation N, with the paper's evidence",
         complete="equations")
def explain_command(session: ChatSession, args: str) -> Result:
    from agent.chat.explain import explain

    return Result(explain(session, args))


# --------------------------------------------------------------------------------------------- changing


@command("set", "/set NAME=VALUE ...", "change hyperparameters: config and code re-rendered, validated, committed",
         complete="hyper")
def set_command(session: ChatSession, args: str) -> Result:
    from agent.chat.changes import parse_pairs, set_hyperparameters
    from agent.chat.replan import land_plan

    pairs = parse_pairs(args, "/set NAME=VALUE")
    new_plan, lines = set_hyperparameters(session.plan, pairs)
    request = "/set " + " ".join(f"{n}={v}" for n, v in pairs)
    names = [line.split(":", 1)[0] for line in lines]
    outcome = land_plan(session, new_plan, request, lines, names)
    return Result(("committed: " if outcome.committed else "not committed: ") + "; ".join(lines), outcome.sha)


@command("swap", "/swap SLOT=COMPONENT ...", "put another catalog component in a slot (e.g. norm=rmsnorm)",
         complete="swap")
def swap_command(session: ChatSession, args: str) -> Result:
    from agent.chat.changes import parse_pairs, swap_components
    from agent.chat.replan import land_plan

    pairs = parse_pairs(args, "/swap SLOT=COMPONENT")
    new_plan, lines = swap_components(session.plan, session.paper, pairs)
    request = "/swap " + ", ".join(line.replace(" -> ", " to ") for line in lines)
    outcome = land_plan(session, new_plan, request, lines)
    return Result(("committed: " if outcome.committed else "not committed: ") + "; ".join(lines), outcome.sha)


@command("validate", "/validate [CHECK ...]", "run the executed checks (all of them by default)", complete="checks")
def validate_command(session: ChatSession, args: str) -> Result:
    checks = [c for c in args.replace(",", " ").split() if c] or None
    report = session.validate(checks)
    render.report_table(session.console, report)
    render.report_summary(session.console, report, checks)
    return Result(f"validation {'passed' if report.passed else 'failed'}: {render.verdict(report)}")


@command("diff", "/diff [N]", "the changes of the last N commits (default 1; 0 = not committed yet)")
def diff_command(session: ChatSession, args: str) -> Result:
    text = args.strip() or "1"
    if not text.isdigit():
        raise UserError("usage: /diff [N] (N = number of commits, 0 for uncommitted changes)")
    diff = session.repo.diff(int(text))
    render.show_diff(session.console, diff)
    return Result(f"diff of {text} commit(s): {len(render.diffstat(diff))} file(s)")


@command("undo", "/undo", "undo paper2code's last commit (refused if it is not ours or files changed since)")
def undo_command(session: ChatSession, args: str) -> Result:
    if session.repo.is_dirty():
        raise UserError("files were changed by hand since the last commit; /undo refuses to touch them "
                        "(commit or discard them first, or make another change: edits are committed first)")
    info = session.repo.undo_last()
    session.reload()
    session.say(f"undid {info.sha[:10]}: {info.summary}", "green")
    return Result(f"undid {info.sha[:10]} ({info.summary})")


@command("history", "/history", "the folder's commits, paper2code's and yours")
def history_command(session: ChatSession, args: str) -> Result:
    commits = session.repo.log(30)
    render.history_table(session.console, commits)
    return Result(f"{len(commits)} commits listed")


@command("cost", "/cost", "tokens and dollars the model spent in this folder's chats")
def cost_command(session: ChatSession, args: str) -> Result:
    ledger, earlier = session.ledger, session.earlier_ledger
    if ledger.calls:
        session.say("this chat:", "bold")
        session.console.print(Text(ledger.summary()), soft_wrap=True)
    else:
        session.say("no LLM calls in this chat" + (" (--llm offline)" if session.llm_kind == "offline" else ""))
    if earlier.calls:
        total = earlier.total
        session.say(f"earlier chats in this folder: {len(earlier.calls)} calls, {total.input_tokens} input and "
                    f"{total.output_tokens} output tokens, ${total.cost_usd:.4f}")
    both = ledger.total.cost_usd + earlier.total.cost_usd
    return Result(f"{len(ledger.calls)} calls in this chat (${ledger.total.cost_usd:.4f}); all chats ${both:.4f}")


@command("quit", "/quit", "leave (Ctrl-D too)")
def quit_command(session: ChatSession, args: str) -> Result:
    raise Quit()
