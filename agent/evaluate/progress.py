"""A progress bar on stderr for work done item by item (rich), with one line per finished item.

On a terminal the bar animates; in CI (no terminal) only the per-item lines are printed, so a log
shows what finished, how, and when.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any


class ItemProgress:
    """``with ItemProgress("validating", total) as bar: ... bar.done("tiny_lm", "pass", 12.3)``."""

    def __init__(self, what: str, total: int, console: Any = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True, highlight=False)
        self.what = what
        self.total = total
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> ItemProgress:
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=self.console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def note(self, text: str) -> None:
        """Show what is running now (terminal only)."""
        from rich.markup import escape

        with self._lock:
            if self._bar is not None:
                self._bar.update(self._task, description=f"{self.what}: {escape(text)}")

    def done(self, name: str, status: str, seconds: float, detail: str = "") -> None:
        """One item finished: advance the bar and print its line."""
        from rich.markup import escape

        mark = {"pass": "[green]✓[/green]", "skip": "[dim]-[/dim]"}.get(status, "[bold red]✗[/bold red]")
        with self._lock:
            if self._bar is not None:
                self._bar.advance(self._task)
            self.console.print(f"{mark} {escape(name)} [dim]{status} {seconds:.1f}s[/dim] {escape(detail)}".rstrip())
