"""``paper2code chat DIR``: refine a generated implementation turn by turn, one git commit per change.

Slash commands work offline (/set, /swap, /validate, /diff, /undo, ...); free text goes to the model of
``--llm``, or offline to the command it clearly asks for. Exit 0 on /quit or end of input, 2 when DIR
is not a generated folder.
"""

from __future__ import annotations

import click

from agent.commands.options import split_names


@click.command("chat")
@click.argument("directory", type=click.Path(path_type=str))
@click.option("--llm", "llm", default="offline", show_default=True, metavar="SPEC",
              help="offline, anthropic[:MODEL], openai:MODEL@BASE_URL or scripted:FILE; free text goes to it.")
@click.option("--checks", "checks", default=None, metavar="A,B,...",
              help="Checks run after every change (default static,import,shapes; /validate runs them all).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where validation runs; auto = the GPU when one is visible.")
def command(directory: str, llm: str, checks: str | None, device: str) -> int:
    """Refine the implementation in DIRECTORY in conversation; every change is validated and committed."""
    import sys

    from rich.console import Console

    from agent.chat.repl import make_reader, run_repl
    from agent.chat.session import ChatSession

    terminal = sys.stdout.isatty()
    console = Console(highlight=False) if terminal else Console(highlight=False, width=120)
    session = ChatSession(directory, llm=llm, checks=split_names(checks, "--checks"), device=device, console=console)
    return run_repl(session, make_reader(session))
