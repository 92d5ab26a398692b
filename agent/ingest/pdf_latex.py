"""Best-effort LaTeX from the geometry of a display equation's PDF spans.

A smaller span raised or lowered against the span to its left is a superscript or subscript, a
numerator row above a denominator row (overlapping in x) is a fraction, a radical wraps the atom
after it, Greek letters and math symbols become commands, and upright words become function
names (``\\max``, ``\\mathrm{softmax}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.ingest.pdf_layout import Span, join_spans
from agent.ingest.pdf_symbols import (
    _ACCENTS,
    _BB_FONT,
    _BOLD_MATH,
    _CAL_FONT,
    _FUNCTIONS,
    _GREEK,
    _ITALIC_MATH,
    _LIMIT_WORDS,
    _RELATIONS,
    _SYMBOLS,
    _WORDS,
)

# ---------------------------------------------------------------------------------------------
# LaTeX reconstruction
# ---------------------------------------------------------------------------------------------


@dataclass
class _Atom:
    span: Span | None
    scripts: dict[str, list[_Atom]] = field(default_factory=lambda: {"sub": [], "sup": []})
    num: list[_Atom] | None = None  # fractions
    den: list[_Atom] | None = None

    @property
    def x0(self) -> float:
        if self.span is not None:
            return self.span.x0
        return min(a.x0 for a in (self.num or []) + (self.den or []))


def _tokens(span: Span, script: bool) -> list[str]:
    """LaTeX tokens of one span's text."""
    out: list[str] = []
    text = span.text
    italic = bool(_ITALIC_MATH.search(span.font))
    for m in re.finditer(r"[A-Za-z]+|\d+(?:\.\d+)?|\S", text):
        tok = m.group(0)
        if re.fullmatch(r"[A-Za-z]+", tok):
            if _BB_FONT.search(span.font):
                out.extend(rf"\mathbb{{{c}}}" for c in tok)
            elif _CAL_FONT.search(span.font) and tok.isupper():
                out.extend(rf"\mathcal{{{c}}}" for c in tok)
            elif _BOLD_MATH.search(span.font) and len(tok) == 1:
                out.append(rf"\mathbf{{{tok}}}")
            elif (italic and tok not in _FUNCTIONS and tok != "softmax") or len(tok) == 1:
                out.extend(tok)
            elif tok in _FUNCTIONS:
                out.append(rf"\{tok}" if tok not in ("argmax", "argmin") else rf"\mathop{{\arg\{tok[3:]}}}")
            elif tok.lower() in _WORDS and not script:
                out.append(rf"\text{{ {tok} }}")
            elif script:
                out.append(tok)
            else:
                out.append(rf"\mathrm{{{tok}}}")
        elif tok in _GREEK:
            out.append("\\" + _GREEK[tok])
        elif tok == "√" and span.y1 - span.y0 > 1.6 * span.size:
            out.append("TALLSQRT")
        elif tok in _SYMBOLS:
            out.append(_SYMBOLS[tok])
        elif tok in _ACCENTS:
            out.append("ACCENT:" + _ACCENTS[tok])
        else:
            out.append(tok)
    return out


def spans_to_latex(spans: list[Span]) -> str:
    """Best-effort LaTeX for the spans of one display equation (equation number removed)."""
    spans = _collapse_pieces(sorted((s for s in spans if s.text.strip()), key=lambda s: (s.x0, s.base)))
    if not spans:
        return ""
    weights: dict[float, int] = {}
    for s in spans:
        weights[round(s.size, 1)] = weights.get(round(s.size, 1), 0) + len(s.text.strip())
    top = max(weights)
    size = max((w, sz) for sz, w in weights.items() if sz >= 0.85 * top)[1]
    full = [s for s in spans if s.size >= 0.8 * size]
    small = [s for s in spans if s.size < 0.8 * size]
    atoms = {id(s): _Atom(s) for s in spans}

    # Radicals, big operators and big delimiters are drawn from odd origins: give them the
    # baseline of what they apply to (the radicand, the summand, the enclosed content).
    base_of = {id(s): s.base for s in spans}
    for k, s in enumerate(full):
        t = s.text.strip()
        if not t or not all(c in "√([{)]}|‖∑∏∫⌊⌋⌈⌉⟨⟩" for c in t):
            continue
        plain = [r for r in full if not all(c in "√([{)]}|‖∑∏∫⌊⌋⌈⌉⟨⟩" for c in r.text.strip())
                 and r.y1 > s.y0 - 1 and r.y0 < s.y1 + 1]
        right = [r for r in plain if r.x0 >= s.x1 - 1][:3]
        left = [r for r in plain if r.x1 <= s.x0 + 1][-3:]
        closing = t[-1] in ")]}⌋⌉⟩"
        near = (left if closing else right) or right or left
        if not near:
            continue
        if s.y1 - s.y0 > 1.4 * size:  # a tall glyph stands on the main row: the busiest one

            def weight(b: float) -> int:
                return sum(len(r.text.strip()) for r in full if abs(r.base - b) <= 0.3 * size)

            base_of[id(s)] = max((r.base for r in near), key=weight)
        else:
            base_of[id(s)] = base_of[id(near[-1] if closing and left else near[0])]

    # Scripts: attach each small span to the nearest larger span on its left (or to the big
    # operator it sits above or below).
    for run in _script_runs(small, size):
        probe = Span(join_spans(run), min(r.x0 for r in run), min(r.y0 for r in run), max(r.x1 for r in run),
                     max(r.y1 for r in run), run[0].size, run[0].font, 0, run[0].base)
        others = [t for t in spans if all(t is not r for r in run)]
        host = _host(probe, others, size, base_of)
        kind = _script_kind(probe, host, base_of[id(host)]) if host is not None else None
        if host is None or kind is None:
            full.extend(run)
            continue
        atoms[id(host)].scripts[kind].extend(atoms[id(r)] for r in run)
    attached = {id(a.span) for at in atoms.values() for k in ("sub", "sup") for a in at.scripts[k]}
    full = sorted((s for s in full if id(s) not in attached), key=lambda s: s.x0)

    rows: list[list[Span]] = []
    for s in sorted(full, key=lambda s: base_of[id(s)]):
        if rows and abs(base_of[id(s)] - base_of[id(rows[-1][0])]) <= 0.3 * size:
            rows[-1].append(s)
        else:
            rows.append([s])
    lines_out = []
    while rows:
        main = max(rows, key=lambda r: (sum(len(s.text.strip()) for s in r) + 100 * any("=" in s.text for s in r)))
        mb = base_of[id(main[0])]
        near = [r for r in rows if r is not main and 0.35 * size <= abs(base_of[id(r[0])] - mb) <= 1.4 * size]
        rows = [r for r in rows if r is not main and not any(r is n for n in near)]
        items = [atoms[id(s)] for s in main]
        nums = [r for r in near if base_of[id(r[0])] < mb]
        dens = [r for r in near if base_of[id(r[0])] > mb]
        items.extend(_fractions(nums, dens, atoms, size))
        lines_out.append((mb, _render(sorted(items, key=lambda a: a.x0), False)))
    lines_out.sort()
    return r" \\ ".join(t for _, t in lines_out if t)


def _collapse_pieces(spans: list[Span]) -> list[Span]:
    """Big radicals and delimiters are printed as stacked pieces: keep one span per stack."""
    out: list[Span] = []
    for s in spans:
        t = s.text.strip()
        if len(t) == 1 and t in "√()[]{}|‖":
            prev = next((o for o in reversed(out[-4:]) if o.text.strip() == t and abs(o.x0 - s.x0) < 1.5
                         and s.y0 - o.y1 < 2 and o.y0 - s.y1 < 2), None)
            if prev is not None:
                prev.y0, prev.y1 = min(prev.y0, s.y0), max(prev.y1, s.y1)
                continue
        out.append(Span(s.text, s.x0, s.y0, s.x1, s.y1, s.size, s.font, s.flags, s.base))
    return out


def _script_runs(small: list[Span], size: float) -> list[list[Span]]:
    """Small spans that continue each other (same size and baseline, no gap) form one script."""
    runs: list[list[Span]] = []
    for s in sorted(small, key=lambda s: s.x0):
        run = next((r for r in reversed(runs) if abs(r[-1].base - s.base) <= 0.15 * s.size
                    and abs(r[-1].size - s.size) < 0.6 and s.x0 - max(t.x1 for t in r) < 0.35 * size), None)
        if run is None:
            runs.append([s])
        else:
            run.append(s)
    return runs


def _limits_of(s: Span, h: Span) -> bool:
    """``s`` sits centred under or over ``h`` (limits of a sum, of max, of an expectation)."""
    t = h.text.strip()
    takes = t in ("∑", "∏", "∫", "⋃", "⋂") or t in _LIMIT_WORDS or (len(t) == 1 and bool(_BB_FONT.search(h.font)))
    return takes and h.x0 - 2 <= s.cx <= h.x1 + 2 and (s.y0 >= h.y1 - 2 or s.y1 <= h.y0 + 2)


def _host(s: Span, spans: list[Span], size: float, base_of: dict[int, float]) -> Span | None:
    best, best_d = None, None
    for h in spans:
        if h is s or h.size <= s.size + 0.3:
            continue
        if _limits_of(s, h):
            return h
        if h.x0 >= s.x0 or h.x1 > s.x0 + 0.3 * size:
            continue
        dy = abs(s.base - base_of[id(h)])
        if dy > 1.0 * h.size:
            continue
        d = (s.x0 - h.x1) + 0.5 * dy
        if best_d is None or d < best_d:
            best, best_d = h, d
    if best is not None and s.x0 - best.x1 > 0.6 * size:
        return None
    return best


def _script_kind(s: Span, host: Span, host_base: float) -> str | None:
    if _limits_of(s, host):
        return "sub" if s.y0 >= (host.y0 + host.y1) / 2 else "sup"
    rel = s.base - host_base
    if rel < -0.15 * host.size:
        return "sup"
    if rel > 0.08 * host.size:
        return "sub"
    return None


def _fractions(nums: list[list[Span]], dens: list[list[Span]], atoms: dict[int, _Atom],
               size: float) -> list[_Atom]:
    """Numerator and denominator clusters that overlap in x become fractions; the rest inline."""

    def clusters(rows: list[list[Span]]) -> list[list[Span]]:
        out: list[list[Span]] = []
        for s in sorted((s for r in rows for s in r), key=lambda s: s.x0):
            if out and s.x0 - max(t.x1 for t in out[-1]) < 0.8 * size:
                out[-1].append(s)
            else:
                out.append([s])
        return out

    top, bottom = clusters(nums), clusters(dens)
    used: set[int] = set()
    out: list[_Atom] = []
    for n in top:
        nx0, nx1 = min(s.x0 for s in n), max(s.x1 for s in n)
        best, best_ov = None, 0.0
        for k, d in enumerate(bottom):
            if k in used:
                continue
            dx0, dx1 = min(s.x0 for s in d), max(s.x1 for s in d)
            ov = min(nx1, dx1) - max(nx0, dx0)
            if ov > best_ov:
                best, best_ov = k, ov
        if best is None:
            out.extend(atoms[id(s)] for s in n)
            continue
        used.add(best)
        num = [atoms[id(s)] for s in n]
        den = [atoms[id(s)] for s in bottom[best]]
        out.append(_Atom(None, num=num, den=den))
    for k, d in enumerate(bottom):
        if k not in used:
            out.extend(atoms[id(s)] for s in d)
    return out


def _render(atoms: list[_Atom], script: bool) -> str:
    pieces: list[str] = []
    accents: dict[int, str] = {}
    for atom in atoms:
        t = atom.span.text.strip() if atom.span is not None else ""
        if t in _ACCENTS:
            cx = atom.span.cx if atom.span is not None else 0.0
            target = next((a for a in atoms if a is not atom and a.span is not None and a.span.text.strip()
                           and a.span.text.strip() not in _ACCENTS and a.span.x0 - 1 <= cx <= a.span.x1 + 1), None)
            if target is not None:
                accents[id(target)] = _ACCENTS[t]
    for atom in atoms:
        if atom.num is not None:
            num = _render(sorted(atom.num, key=lambda a: a.x0), script)
            den = _render(sorted(atom.den or [], key=lambda a: a.x0), script)
            pieces.append(rf"\frac{{{num}}}{{{den}}}")
            continue
        assert atom.span is not None
        if atom.span.text.strip() in _ACCENTS:
            continue
        toks = _tokens(atom.span, script)
        if not toks:
            continue
        if id(atom) in accents:
            first = next((i for i, t in enumerate(toks) if re.match(r"[A-Za-z]|\\[a-z]+$", t)), None)
            if first is not None:
                toks[first] = rf"\{accents[id(atom)]}{{{toks[first]}}}"
        sub = _render(sorted(atom.scripts["sub"], key=lambda a: a.x0), True)
        sup = _render(sorted(atom.scripts["sup"], key=lambda a: a.x0), True)
        if sub:
            toks[-1] += f"_{{{sub}}}"
        if sup:
            toks[-1] += f"^{{{sup}}}"
        pieces.extend(toks)
    return _assemble(pieces)


def _assemble(pieces: list[str]) -> str:
    """Join tokens: radicals and accents take the next atom, spaces only where LaTeX needs them."""
    out: list[str] = []
    k = 0
    while k < len(pieces):
        p = pieces[k]
        if p.startswith(r"\sqrt") and not p.startswith(r"\sqrt{") and k + 1 < len(pieces):
            arg = pieces[k + 1]
            scripts = p[len(r"\sqrt"):]
            out.append(rf"\sqrt{{{arg}}}" + scripts)
            k += 2
            continue
        if p.startswith("TALLSQRT"):  # a tall radical covers the rest of the expression
            end = k + 1
            while end < len(pieces) and pieces[end] not in _RELATIONS and pieces[end] not in (",", "."):
                end += 1
            out.append(rf"\sqrt{{{_assemble(pieces[k + 1:end])}}}" + p[len("TALLSQRT"):])
            k = end
            continue
        if p.startswith("ACCENT:"):
            name = p.split(":", 1)[1]
            if k + 1 < len(pieces) and re.match(r"[A-Za-z\\]", pieces[k + 1]):
                out.append(rf"\{name}{{{pieces[k + 1]}}}")
                k += 2
                continue
            k += 1
            continue
        out.append(p)
        k += 1
    text = ""
    for p in out:
        if p in _RELATIONS or p in ("+", "-") and text and not text.endswith(("(", "{", "[")):
            text = text.rstrip() + f" {p} "
        elif p == ",":
            text = text.rstrip() + ", "
        elif text and re.search(r"\\[A-Za-z]+$", text) and re.match(r"[A-Za-z]", p):
            text += " " + p
        else:
            text += p
    return re.sub(r"\s+", " ", text).strip()
