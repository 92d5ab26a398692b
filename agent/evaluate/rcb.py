"""``paper2code eval --suite researchcodebench --root PATH --llm SPEC``: the ResearchCodeBench adapter.

Each snippet of each task is masked and shown to the provider with the paper and the surrounding
code (prompts/eval/rcb_snippet.md.j2); the answer is put back between the snippet's markers and the
task's own ``paper2code_test.py`` runs on a scratch copy, in the sandbox. A snippet passes when the
test exits 0 and its output shows none of the benchmark's error words ("Error:", "Exception:",
"Traceback", "failed"), as the benchmark judges it.

Scores, as the benchmark defines them: scaled pass@1 weights each snippet by its lines of code,
``100 * sum(lines of passed snippets) / sum(lines)``, over all snippets and per paper; pass@1 is the
plain fraction of snippets passed. One completion per snippet.

The tasks need the benchmark's own Python environment (their tests import torch, timm, ...);
install its requirements first.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from agent.evaluate.baseline import Comparison
from agent.evaluate.rcb_tasks import TEST_FILE, AnnotatedFile, Snippet, Task, load_tasks
from agent.types import PaperBlock, SnippetResult

TEST_TIMEOUT_S = 120.0
ERROR_WORDS = ("Error:", "Exception:", "Traceback", "failed")  # the benchmark's check of a test's output
MAX_TOKENS = 4096
_COPY_SKIP = {".git", "__pycache__", ".pytest_cache"}


def extract_code(text: str) -> str:
    """The code of a model's answer: its first ```python (or bare ```) block, else the whole text."""
    lines = text.splitlines()
    for opening in ("```python", "```py", "```"):
        start = next((i for i, line in enumerate(lines) if line.strip().lower() == opening), None)
        if start is not None:
            end = next((j for j in range(start + 1, len(lines)) if lines[j].strip().startswith("```")), len(lines))
            return "\n".join(lines[start + 1: end])
    return text


def judge(returncode: int | None, output: str) -> bool:
    return returncode == 0 and not any(word in output for word in ERROR_WORDS)


def run_test(task: Task, file: AnnotatedFile, snippet: Snippet, code: str, *,
             timeout_s: float = TEST_TIMEOUT_S) -> tuple[bool, str, float]:
    """Put ``code`` into ``snippet`` on a scratch copy of the task and run its test in the sandbox:
    (passed, why not, seconds)."""
    from agent.evaluate.sandboxed import python_command, run_sandboxed

    run_dir = Path(tempfile.mkdtemp(prefix=f"p2c-rcb-{task.id}-"))
    scratch = run_dir / "work"
    try:
        shutil.copytree(task.folder, scratch, symlinks=True,
                        ignore=lambda _d, names: {n for n in names if n in _COPY_SKIP})
        (scratch / file.path).write_text(file.filled(snippet, code), encoding="utf-8")
        result = run_sandboxed(python_command(TEST_FILE), scratch, timeout_s=timeout_s)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    if result.timed_out:
        return False, f"the test was killed after {timeout_s:.0f}s", result.seconds
    passed = judge(result.returncode, result.output)
    tail = " | ".join(line.strip() for line in result.output.strip().splitlines()[-4:])
    return passed, "" if passed else f"exit code {result.returncode}: {tail[-400:]}", result.seconds


def run_benchmark(root: str | Path, llm: str, *, papers: list[str] | None = None, jobs: int = 1,
                  timeout_s: float = TEST_TIMEOUT_S, echo: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Ask ``llm`` for every snippet of the benchmark at ``root`` and test each answer.

    Args:
        root: a ResearchCodeBench checkout (or its pset folder).
        llm: an ``--llm`` spec; ``oracle`` (this benchmark's own answers) and ``empty`` calibrate the adapter.
        papers: only these task ids.
        jobs: tests run at once (the provider is asked one snippet at a time, in order).
        timeout_s: per test.
        echo: progress lines.

    Returns:
        ``{"llm", "root", "snippets": [SnippetResult], "seconds"}`` for :func:`result_json`.
    """
    import agent.evaluate.providers  # noqa: F401 - registers the oracle and empty kinds
    from agent.errors import UserError
    from agent.evaluate.progress import ItemProgress
    from agent.llm import UsageLedger, get_provider, load_config, user_message
    from agent.llm.prompts import render

    tasks = load_tasks(root, papers)
    spec = f"oracle:{root}" if llm.strip() == "oracle" else llm
    ledger = UsageLedger()
    config = load_config(None)
    provider = get_provider(spec, config=config, ledger=ledger)
    if provider is None:
        raise UserError("--suite researchcodebench needs a model: --llm anthropic[:MODEL], openai:MODEL@URL, "
                        "scripted:FILE, oracle or empty")
    system = render("eval/rcb_system")
    started = time.perf_counter()
    work: list[tuple[Task, AnnotatedFile, Snippet, str, SnippetResult]] = []
    items = [(task, f, s) for task in tasks for f, s in task.snippets()]
    with ItemProgress("researchcodebench", len(items)) as bar:
        for task, file, snippet in items:
            bar.note(f"{task.id}/{snippet.name}: asking {provider.name}")
            prompt = render("eval/rcb_snippet", title=task.title, file=file.path, snippet=snippet.name,
                            lines=snippet.lines, context=task.context, masked=file.masked(snippet))
            paper = PaperBlock(text=task.paper.read_text(encoding="utf-8"), title=task.title)
            asked = time.perf_counter()
            response = provider.complete(system=system, messages=[user_message(prompt)], tools=[],
                                         max_tokens=min(MAX_TOKENS, config.max_tokens), paper=paper)
            usage = ledger.calls[-1].usage if ledger.calls else response.usage
            result = SnippetResult(task.id, file.path, snippet.name, snippet.lines, False,
                                   input_tokens=usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens,
                                   output_tokens=usage.output_tokens, cost_usd=usage.cost_usd,
                                   seconds=round(time.perf_counter() - asked, 3))
            work.append((task, file, snippet, extract_code(response.text), result))

        def test(item: tuple[Task, AnnotatedFile, Snippet, str, SnippetResult]) -> SnippetResult:
            task, file, snippet, code, result = item
            if echo is None:
                bar.note(f"testing {task.id}/{snippet.name}")
            passed, why, seconds = run_test(task, file, snippet, code, timeout_s=timeout_s)
            result.passed = passed
            result.detail = why if code.strip() else f"empty answer; {why}"
            result.seconds = round(result.seconds + seconds, 3)
            bar.done(f"{task.id}/{snippet.name}", "pass" if passed else "fail", result.seconds,
                     f"({snippet.lines} line{'' if snippet.lines == 1 else 's'})")
            return result

        with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="p2c-rcb") as pool:
            results = list(pool.map(test, work))
    return {"llm": llm, "root": str(root), "snippets": results, "seconds": round(time.perf_counter() - started, 2)}


def _rates(results: list[SnippetResult]) -> dict[str, Any]:
    lines = sum(r.lines for r in results)
    passed_lines = sum(r.lines for r in results if r.passed)
    passed = sum(1 for r in results if r.passed)
    return {
        "scaled_pass@1": passed_lines / lines if lines else None,
        "pass@1": passed / len(results) if results else None,
        "snippets": len(results), "snippets_passed": passed, "lines": lines, "lines_passed": passed_lines,
        "input_tokens": sum(r.input_tokens for r in results), "output_tokens": sum(r.output_tokens for r in results),
        "cost_usd": round(sum(r.cost_usd for r in results), 6),
    }


def result_json(run: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's scores (fractions in [0, 1]; shown as percentages), per paper and overall, with every
    snippet; ``scores`` is what a baseline comparison reads."""
    snippets: list[SnippetResult] = run["snippets"]
    papers: dict[str, list[SnippetResult]] = {}
    for r in snippets:
        papers.setdefault(r.paper, []).append(r)
    per_paper = {paper: _rates(rs) for paper, rs in papers.items()}
    overall = _rates(snippets)
    return {
        "kind": "researchcodebench", "suite": "researchcodebench", "llm": run["llm"], "root": run["root"],
        "seconds": run["seconds"], "overall": overall, "papers": per_paper,
        "scores": {"overall": {"scaled_pass@1": overall["scaled_pass@1"]},
                   **{p: {"scaled_pass@1": v["scaled_pass@1"]} for p, v in per_paper.items()}},
        "snippets": [r.to_dict() for r in snippets], "schema_version": 1,
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def render(data: dict[str, Any], console: Any, comparison: Comparison | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"ResearchCodeBench — --llm {data['llm']}")
    for column in ("paper", "scaled pass@1", "pass@1", "snippets", "lines", "tokens", "cost"):
        table.add_column(column, justify="left" if column == "paper" else "right")
    rows = [(p, v) for p, v in data["papers"].items()] + [("overall", data["overall"])]
    for paper, v in rows:
        table.add_row(escape(paper), _pct(v["scaled_pass@1"]), _pct(v["pass@1"]),
                      f"{v['snippets_passed']}/{v['snippets']}", f"{v['lines_passed']}/{v['lines']}",
                      f"{v['input_tokens'] + v['output_tokens']:,}", f"${v['cost_usd']:.2f}")
    console.print(table)
    console.print(f"scaled pass@1 {_pct(data['overall']['scaled_pass@1'])} over {data['overall']['snippets']} "
                  f"snippets in {data['seconds']:.1f}s", highlight=False)
    if comparison is not None:
        for delta in comparison.regressions:
            console.print(f"[bold red]REGRESSION[/bold red] {escape(delta.text())}")
        for note in comparison.notes:
            console.print(f"[dim]note: {escape(note)}[/dim]")


def to_markdown(data: dict[str, Any], comparison: Comparison | None = None) -> str:
    lines = [f"## ResearchCodeBench with `--llm {data['llm']}`: scaled pass@1 {_pct(data['overall']['scaled_pass@1'])}",
             "", "| paper | scaled pass@1 | pass@1 | snippets | lines |", "| --- | --- | --- | --- | --- |"]
    for paper, v in [*data["papers"].items(), ("**overall**", data["overall"])]:
        lines.append(f"| {paper} | {_pct(v['scaled_pass@1'])} | {_pct(v['pass@1'])} | "
                     f"{v['snippets_passed']}/{v['snippets']} | {v['lines_passed']}/{v['lines']} |")
    if comparison is not None:
        lines.append("")
        lines += [f"- ❌ regression: {d.text()}" for d in comparison.regressions] or ["- ✅ no regression"]
    return "\n".join(lines) + "\n"


def to_junit(data: dict[str, Any]) -> str:
    """A testcase per snippet (classname: the paper), failed when its test failed."""
    suite = ET.Element("testsuite", {"name": "paper2code.researchcodebench", "tests": str(len(data["snippets"])),
                                     "failures": str(sum(1 for s in data["snippets"] if not s["passed"])),
                                     "errors": "0", "skipped": "0", "time": f"{data['seconds']:.3f}"})
    for s in data["snippets"]:
        case = ET.SubElement(suite, "testcase", {"classname": s["paper"], "name": f"{s['file']}::{s['snippet']}",
                                                "time": f"{s['seconds']:.3f}"})
        if not s["passed"]:
            ET.SubElement(case, "failure", {"message": s["detail"][:500]}).text = s["detail"]
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
