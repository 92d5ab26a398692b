"""A rich progress display for experiment runs: one overall bar, one line per running run (its step
and last metric), one printed line per finished run. On a non-terminal only the finished lines show."""

from __future__ import annotations

from typing import Any

from agent.experiments.runner import RunRequest
from agent.types import RunResult


class RichDisplay:
    """Implements agent.experiments.runner.Display with rich."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True, highlight=False)
        self.progress: Any = None
        self.overall: Any = None
        self.tasks: dict[str, Any] = {}
        self.metric_names: dict[str, str] = {}

    def begin(self, total: int, reused: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=self.console, transient=True,
                                 disable=not self.console.is_terminal)
        self.progress.start()
        self.overall = self.progress.add_task("runs", total=total)
        if reused:
            self.console.print(f"[dim]{reused} of {total} runs already finished: reused[/dim]")

    def started(self, request: RunRequest) -> None:
        if self.progress is not None:
            self.tasks[request.label()] = self.progress.add_task(f"  {request.label()}", total=request.max_steps)

    def update(self, request: RunRequest, step: int, value: float | None) -> None:
        task = self.tasks.get(request.label())
        if task is None or self.progress is None:
            return
        text = f"  {request.label()}"
        if value is not None:
            self.metric_names[request.label()] = f"{request.metric} {value:.4g}"
        if request.label() in self.metric_names:
            text += f"  {self.metric_names[request.label()]}"
        self.progress.update(task, completed=step, description=text)

    def finished(self, request: RunRequest, result: RunResult, reused: bool = False) -> None:
        if self.progress is not None:
            self.progress.advance(self.overall)
            task = self.tasks.pop(request.label(), None)
            if task is not None:
                self.progress.remove_task(task)
        if reused:
            return
        mark = {"ok": "[green]✓[/green]", "pruned": "[yellow]✂[/yellow]"}.get(result.status, "[red]✗[/red]")
        value = f"{result.metric} {result.final:.6g}" if result.final is not None else result.status
        error = f"  [red]{' '.join(result.error.split())[:160]}[/red]" if result.status == "failed" else ""
        self.console.print(f"{mark} {request.label():<40} {value}  ({result.seconds:.1f}s){error}")

    def end(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
