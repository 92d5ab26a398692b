"""The acceptance corpus: equations from ../shared/papers, each against a hand-written torch reference.

Every entry must compile, pass the compiler's own element-wise check (``verified``) and match an
independent reference to 1e-6 in float64. The summary test reports the pass rate (>= 90%).
"""

from __future__ import annotations

import pytest
import torch

from agent.equations import compile_equation
from tests.conftest import require_shared
from tests.equations.corpus import CORPUS, Entry
from tests.equations.helpers import make_inputs

BY_ID = {e.id: e for e in CORPUS}
_RESULTS: dict[str, tuple[bool, str]] = {}
_COMPILED: dict[str, object] = {}


def _compile(entry: Entry):
    if entry.id not in _COMPILED:
        context = [_compile(BY_ID[c]) for c in entry.context]
        _COMPILED[entry.id] = compile_equation(entry.latex, entry.shapes or None, context=context or None)
    return _COMPILED[entry.id]


def check(entry: Entry) -> tuple[bool, str]:
    """(passed, reason) for one entry, cached."""
    if entry.id in _RESULTS:
        return _RESULTS[entry.id]
    try:
        eq = _compile(entry)
    except Exception as exc:  # reported with its reason below
        result = (False, f"does not compile: {type(exc).__name__}: {exc}")
    else:
        result = _compare(entry, eq)
    _RESULTS[entry.id] = result
    return result


def _compare(entry: Entry, eq) -> tuple[bool, str]:
    if not eq.verified:
        return False, f"not verified (max error {eq.max_error}): {eq.notes}"
    for seed in (0, 1):
        inputs = make_inputs(eq, positive=entry.positive, seed=seed)
        got = eq.fn(**inputs)
        want = entry.reference(**inputs)
        got_t = got if isinstance(got, tuple) else (got,)
        want_t = want if isinstance(want, tuple) else (want,)
        if len(got_t) != len(want_t):
            return False, f"{len(got_t)} outputs, the reference has {len(want_t)}"
        for g, w in zip(got_t, want_t, strict=True):
            w = torch.as_tensor(w, dtype=torch.float64)
            if g.shape != w.shape:
                return False, f"shape {tuple(g.shape)} vs reference {tuple(w.shape)}"
            if not torch.allclose(g, w, rtol=1e-6, atol=1e-6):
                return False, f"differs from the reference by {(g - w).abs().max().item():.3g}"
    return True, ""


@pytest.fixture(scope="module", autouse=True)
def _papers_present() -> None:
    require_shared("INDEX.md")


@pytest.mark.parametrize("entry", CORPUS, ids=[e.id for e in CORPUS])
def test_corpus_entry(entry: Entry) -> None:
    passed, reason = check(entry)
    assert passed, f"{entry.id} ({entry.paper}, {entry.where}): {reason}"


def test_corpus_pass_rate() -> None:
    assert len(CORPUS) >= 40
    assert len({e.paper for e in CORPUS}) >= 10
    outcomes = {e.id: check(e) for e in CORPUS}
    failures = {k: reason for k, (ok, reason) in outcomes.items() if not ok}
    rate = 1 - len(failures) / len(CORPUS)
    print(f"\ncorpus: {len(CORPUS) - len(failures)}/{len(CORPUS)} pass ({100 * rate:.1f}%)")
    for key, reason in failures.items():
        print(f"  FAIL {key}: {reason}")
    assert rate >= 0.9, failures


def test_corpus_latex_is_in_the_papers() -> None:
    """Entries from LaTeX-source papers are transcriptions: their symbols appear in the source."""
    root = require_shared()
    sources = {"transformer": "transformer", "Diff-Transformer": "rcb/Diff-Transformer", "DyT": "rcb/DyT",
               "minp": "rcb/minp", "schedule_free": "rcb/schedule_free", "deepseek_v3": "deepseek_v3"}
    for entry in CORPUS:
        if entry.paper not in sources:
            continue
        folder = root / sources[entry.paper]
        text = " ".join(p.read_text(errors="replace") for p in folder.rglob("*.tex"))
        text = "".join(text.split())
        probe = "".join(entry.latex.split("=")[0].split()).replace("&", "")
        assert probe[:12] in text.replace("&", ""), f"{entry.id}: left-hand side {probe[:12]!r} not found"
