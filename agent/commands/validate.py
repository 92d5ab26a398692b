"""``paper2code validate DIR``: run the executed checks of ``DIR/paper2code.toml`` in a sandbox.

Exit 0 when every judged check passes, 1 when one fails (or errors, or times out), 2 for a bad
manifest or bad usage.
"""

from __future__ import annotations

import sys

import click

from agent.commands.options import split_names
from agent.errors import UserError


@click.command("validate")
@click.argument("directory", type=click.Path(path_type=str))
@click.option("--checks", "checks", default=None, metavar="A,B,...",
              help="Only these checks (import runs first regardless). Opt-in: ddp, compile.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (DESIGN.md shape).")
@click.option("--junit", "junit", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Also write a JUnit XML file (one testcase per check per module).")
@click.option("--allow-unsafe", is_flag=True, help="Report dangerous calls found by the static scan without failing.")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Wall-clock seconds per check (default: each check's own).")
@click.option("--memory", "memory_mb", type=click.IntRange(min=64), default=None,
              help="Memory limit of the sandbox in MB (default 4096 or the manifest's).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where smoke training and profiling run; auto = the GPU when one is visible.")
@click.option("--keep-scratch", is_flag=True, help="Keep the sandbox's scratch copy and print its path.")
def command(directory: str, checks: str | None, as_json: bool, junit: str | None, allow_unsafe: bool,
            timeout: float | None, memory_mb: int | None, device: str, keep_scratch: bool) -> int:
    """Validate the implementation in DIRECTORY (it holds paper2code.toml)."""
    from agent.types import ValidateOptions
    from agent.validate import validate_project
    from agent.validate.report import render_table, to_json, write_junit

    options = ValidateOptions(allow_unsafe=allow_unsafe, timeout_s=timeout, memory_mb=memory_mb, device=device,
                              keep_scratch=keep_scratch)
    if not as_json and sys.stderr.isatty():
        from rich.console import Console

        console = Console(stderr=True)
        status = console.status("validating ...")
        status.start()

        def progress(result: object) -> None:
            status.update(f"validating ... {getattr(result, 'target', '')} {getattr(result, 'name', '')} "
                          f"{getattr(result, 'status', '')}")

        options.progress = progress
        try:
            report = validate_project(directory, checks=split_names(checks, "--checks"), options=options)
        finally:
            status.stop()
    else:
        report = validate_project(directory, checks=split_names(checks, "--checks"), options=options)
    if junit:
        try:
            write_junit(report, junit)
        except OSError as exc:
            raise UserError(f"--junit {junit}: cannot write: {exc.strerror}") from exc
    if as_json:
        sys.stdout.write(to_json(report) + "\n")
    else:
        render_table(report)
        if keep_scratch and "scratch" in report.environment:
            click.echo(f"scratch copy kept at {report.environment['scratch']}")
    return 0 if report.passed else 1
