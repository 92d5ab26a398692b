"""The ``paper2code`` command line.

Each subcommand lives in its own module under :mod:`agent.commands` and is imported only when
it runs, so ``paper2code --help`` does not pay for torch. Errors meant for the user
(:class:`agent.errors.UserError`) become one line on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from agent import __version__
from agent.errors import UserError

# name -> (module under agent.commands, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("ingest", "Read a paper (PDF, LaTeX file/folder, arXiv archive) into structured JSON."),
    "equation": ("equation", "Compile a LaTeX equation into verified torch code."),
    "generate": ("generate", "Turn a paper into a validated Lightning project."),
    "validate": ("validate", "Validate an implementation described by paper2code.toml."),
    "chat": ("chat", "Refine an implementation turn by turn, one git commit per turn."),
    "eval": ("eval", "Validate implementations in bulk, or score a generator on a suite (CI)."),
    "templates": ("templates", "List or show the verified component catalog."),
    "ablate": ("ablate", "Ablate an implementation over components and hyperparameters, with statistics."),
    "sweep": ("sweep", "Search hyperparameters with Optuna (TPE, median pruning), resumable."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[name]
        module = importlib.import_module(f"agent.commands.{module_name}")
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help lists commands from the table above without importing any of them.
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_text) for name, (_, help_text) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paper2code")
@click.option("-v", "--verbose", count=True, help="Log to stderr (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """paper2code: ML papers to validated PyTorch Lightning implementations, offline first."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    verbose = any(a in ("-v", "-vv", "--verbose") for a in args)
    try:
        rc = cli.main(args=args, prog_name="paper2code", standalone_mode=False)
    except click.exceptions.Exit as exc:
        rc = exc.exit_code
    except click.ClickException as exc:  # usage errors: click prints them, exit 2
        exc.show()
        rc = 2
    except click.Abort:
        click.echo("paper2code: aborted", err=True)
        rc = 130
    except UserError as exc:
        click.echo(f"paper2code: error: {exc}", err=True)
        rc = 2
    except KeyboardInterrupt:
        click.echo("paper2code: interrupted", err=True)
        rc = 130
    except Exception as exc:  # a bug in paper2code: one line unless -v asks for the traceback
        if verbose:
            raise
        click.echo(f"paper2code: internal error: {type(exc).__name__}: {exc} (run with -v for details)", err=True)
        rc = 1
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
