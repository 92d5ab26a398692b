"""Tables (``tabular`` and relatives) as rows of cells, and algorithms as lines of text.

Rules (``\\hline``, ``\\toprule``, ``\\cmidrule``...) are dropped; ``\\multicolumn`` and
``\\multirow`` keep their text (a ``\\multicolumn`` spanning n columns is followed by n-1 empty
cells so the columns stay aligned). Algorithms are read from ``algorithmic`` (algorithmicx and
the older uppercase algorithmic) and from ``algorithm2e`` bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.ingest.latex_scan import matching_brace, read_group, read_optional, skip_ws, split_top

Render = Callable[[str], str]

TABULAR_ENVS = frozenset(
    {"tabular", "tabular*", "tabularx", "tabulary", "longtable", "longtable*", "tabu", "supertabular"}
)
_RULES = re.compile(
    r"\\(?:hline|toprule|midrule|bottomrule|addlinespace|morecmidrules|endhead|endfirsthead|endfoot"
    r"|endlastfoot|hdashline|firsthline|lasthline|Xhline|specialrule|cline|cmidrule|hhline|noalign"
    r"|rowcolor|arrayrulecolor|rowcolors|cdashline|midrule)(?![A-Za-z@])"
)
_MULTICOLUMN = re.compile(r"\\multicolumn\s*\{\s*(\d+)\s*\}")


def _strip_rules(row: str) -> str:
    """Remove rule commands and their arguments (``\\cmidrule(lr){2-3}``, ``\\toprule[1pt]``)."""
    out: list[str] = []
    pos = 0
    for m in _RULES.finditer(row):
        if m.start() < pos:
            continue
        out.append(row[pos : m.start()])
        j = m.end()
        j = skip_ws(row, j)
        if j < len(row) and row[j] == "(":
            close = row.find(")", j)
            j = close + 1 if close != -1 else j
        _, j = read_optional(row, j)
        j2 = skip_ws(row, j)
        if j2 < len(row) and row[j2] == "{" and m.group() not in ("\\hline", "\\toprule", "\\midrule", "\\bottomrule"):
            j = matching_brace(row, j2) + 1
            if m.group() in ("\\specialrule", "\\rowcolors"):
                for _ in range(2):
                    group = read_group(row, j)
                    if group:
                        j = group[1]
        pos = j
    out.append(row[pos:])
    return "".join(out)


def tabular_body(env: str, content: str) -> str:
    """The rows part of a tabular-like environment (its position/width/column arguments dropped)."""
    j = 0
    if env in ("tabular*", "tabularx", "tabulary", "tabu"):
        group = read_group(content, j)
        if group:
            j = group[1]
    _, j = read_optional(content, j)
    group = read_group(content, j)
    if group:
        j = group[1]
    return content[j:]


def parse_tabular(env: str, content: str, render: Render) -> list[list[str]]:
    """Rows of cells (text), header first; rows with no text are dropped."""
    rows: list[list[str]] = []
    for raw in split_top(tabular_body(env, content), "\\\\"):
        row = _strip_rules(raw)
        if not row.strip():
            continue
        cells: list[str] = []
        for cell in split_top(row, "&"):
            text = " ".join(render(cell).split())
            cells.append(text)
            span = _MULTICOLUMN.search(cell)
            if span and cell.strip().startswith("\\multicolumn"):
                cells.extend([""] * (int(span.group(1)) - 1))
        if any(cells):
            rows.append(cells)
    return rows


# ------------------------------------------------------------------------------------------
# algorithmic / algorithmicx
# ------------------------------------------------------------------------------------------

# name -> (template, mandatory args, indent change before, indent change after)
_ALGX: dict[str, tuple[str, int, int, int]] = {
    "State": ("{rest}", 0, 0, 0), "Statex": ("{rest}", 0, 0, 0), "STATE": ("{rest}", 0, 0, 0),
    "Require": ("Require: {rest}", 0, 0, 0), "REQUIRE": ("Require: {rest}", 0, 0, 0),
    "Ensure": ("Ensure: {rest}", 0, 0, 0), "ENSURE": ("Ensure: {rest}", 0, 0, 0),
    "Input": ("Input: {rest}", 0, 0, 0), "Output": ("Output: {rest}", 0, 0, 0),
    "If": ("if {0} then {rest}", 1, 0, 1), "IF": ("if {0} then {rest}", 1, 0, 1),
    "ElsIf": ("else if {0} then {rest}", 1, -1, 1), "ELSIF": ("else if {0} then {rest}", 1, -1, 1),
    "Else": ("else {rest}", 0, -1, 1), "ELSE": ("else {rest}", 0, -1, 1),
    "EndIf": ("end if", 0, -1, 0), "ENDIF": ("end if", 0, -1, 0),
    "For": ("for {0} do {rest}", 1, 0, 1), "FOR": ("for {0} do {rest}", 1, 0, 1),
    "ForAll": ("for all {0} do {rest}", 1, 0, 1), "FORALL": ("for all {0} do {rest}", 1, 0, 1),
    "EndFor": ("end for", 0, -1, 0), "ENDFOR": ("end for", 0, -1, 0),
    "While": ("while {0} do {rest}", 1, 0, 1), "WHILE": ("while {0} do {rest}", 1, 0, 1),
    "EndWhile": ("end while", 0, -1, 0), "ENDWHILE": ("end while", 0, -1, 0),
    "Repeat": ("repeat {rest}", 0, 0, 1), "REPEAT": ("repeat {rest}", 0, 0, 1),
    "Until": ("until {0} {rest}", 1, -1, 0), "UNTIL": ("until {0} {rest}", 1, -1, 0),
    "Loop": ("loop {rest}", 0, 0, 1), "LOOP": ("loop {rest}", 0, 0, 1),
    "EndLoop": ("end loop", 0, -1, 0), "ENDLOOP": ("end loop", 0, -1, 0),
    "Function": ("function {0}({1}) {rest}", 2, 0, 1), "EndFunction": ("end function", 0, -1, 0),
    "Procedure": ("procedure {0}({1}) {rest}", 2, 0, 1), "EndProcedure": ("end procedure", 0, -1, 0),
    "RETURN": ("return {rest}", 0, 0, 0), "PRINT": ("print {rest}", 0, 0, 0),
}
_ALGX_START = re.compile(r"\\(" + "|".join(sorted(_ALGX, key=len, reverse=True)) + r")(?![A-Za-z@])")
_INLINE_KEYWORDS = {
    "Return": "return", "TRUE": "true", "FALSE": "false", "AND": "and", "OR": "or", "NOT": "not",
    "TO": "to", "True": "true", "False": "false", "algorithmicand": "and", "algorithmicor": "or",
    "algorithmicto": "to", "algorithmicreturn": "return", "KwTo": "to", "KwRet": "return",
}
_INLINE = re.compile(r"\\(Call|Comment|COMMENT|tcp\*?|tcc\*?|tcp|" + "|".join(_INLINE_KEYWORDS) + r")(?![A-Za-z@])")


def _inline_algorithm_commands(text: str) -> str:
    """``\\Call{f}{x}`` -> ``f(x)``, ``\\Comment{c}`` -> ``▷ c``, ``\\Return`` -> ``return``."""
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos : m.start()])
        name = m.group(1)
        j = m.end()
        if name in _INLINE_KEYWORDS:
            out.append(_INLINE_KEYWORDS[name] + " ")
            group = read_group(text, j) if name == "KwRet" else None
            if group:
                out.append(group[0])
                j = group[1]
        elif name == "Call":
            f, a = read_group(text, j), None
            if f:
                a = read_group(text, f[1])
            if f and a:
                out.append(f"{f[0]}({a[0]})")
                j = a[1]
            elif f:
                out.append(f[0])
                j = f[1]
        else:  # comments
            _, j = read_optional(text, j)
            group = read_group(text, j)
            if group:
                out.append(" ▷ " + group[0])
                j = group[1]
        pos = j
    out.append(text[pos:])
    return "".join(out)


def _top_level_matches(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """Matches of ``pattern`` outside braces."""
    depth_at: list[tuple[int, int]] = []
    depth = 0
    for m in re.finditer(r"\\.|[{}]", text, re.S):
        c = m.group()
        if c == "{":
            depth += 1
            depth_at.append((m.start(), depth))
        elif c == "}":
            depth -= 1
            depth_at.append((m.start(), depth))
    result: list[re.Match[str]] = []
    k = 0
    current = 0
    for m in pattern.finditer(text):
        while k < len(depth_at) and depth_at[k][0] < m.start():
            current = depth_at[k][1]
            k += 1
        if current == 0:
            result.append(m)
    return result


def algorithmic_lines(content: str, render: Render) -> list[str]:
    """Lines of an ``algorithmic`` environment body, indented two spaces per block level."""
    _, start = read_optional(content, 0)
    content = content[start:]
    matches = _top_level_matches(_ALGX_START, content)
    lines: list[str] = []
    depth = 0
    for k, m in enumerate(matches):
        name = m.group(1)
        template, nargs, before, after = _ALGX[name]
        stop = matches[k + 1].start() if k + 1 < len(matches) else len(content)
        piece = content[m.end() : stop]
        args: list[str] = []
        j = 0
        for _ in range(nargs):
            group = read_group(piece, j)
            if group is None:
                break
            args.append(_render_line(group[0], render))
            j = group[1]
        while len(args) < nargs:
            args.append("")
        rest = _render_line(piece[j:], render)
        depth = max(depth + before, 0)
        line = template.replace("{rest}", rest)
        for n, arg in enumerate(args):
            line = line.replace("{" + str(n) + "}", arg)
        line = " ".join(line.split())
        if line:
            lines.append("  " * depth + line)
        depth = max(depth + after, 0)
    return lines


def _render_line(latex: str, render: Render) -> str:
    return " ".join(render(_inline_algorithm_commands(latex)).split())


# ------------------------------------------------------------------------------------------
# algorithm2e
# ------------------------------------------------------------------------------------------

# name -> (header template, number of condition args, has body, closing line)
_A2E_BLOCKS: dict[str, tuple[str, int, str | None]] = {
    "For": ("for {0} do", 1, "end"), "ForEach": ("foreach {0} do", 1, "end"),
    "ForAll": ("forall {0} do", 1, "end"), "While": ("while {0} do", 1, "end"),
    "If": ("if {0} then", 1, "end"), "uIf": ("if {0} then", 1, None), "ElseIf": ("else if {0} then", 1, "end"),
    "uElseIf": ("else if {0} then", 1, None), "Else": ("else", 0, "end"), "uElse": ("else", 0, None),
    "Repeat": ("repeat", 0, None), "Fn": ("function {0}", 1, "end"), "Begin": ("begin", 0, "end"),
}
_A2E_ONE_LINE = {
    "lIf": "if {0} then", "lElseIf": "else if {0} then", "lElse": "else", "lFor": "for {0} do",
    "lForEach": "foreach {0} do", "lForAll": "forall {0} do", "lWhile": "while {0} do",
}
_A2E_LINES = {
    "KwIn": "Input: ", "KwOut": "Output: ", "KwData": "Data: ", "KwResult": "Result: ", "Input": "Input: ",
    "Output": "Output: ", "KwRet": "return ", "Return": "return ", "KwInput": "Input: ", "KwOutput": "Output: ",
    "Parameter": "Parameters: ",
}
_A2E_CONFIG = {  # name -> number of arguments to skip
    "SetAlgoLined": 0, "DontPrintSemicolon": 0, "PrintSemicolon": 0, "SetKwInOut": 2, "SetKwInput": 2,
    "SetKwFunction": 2, "SetKwProg": 4, "SetKw": 2, "SetKwData": 2, "SetKwBlock": 3, "SetKwRepeat": 3,
    "SetAlgoNoLine": 0, "LinesNumbered": 0, "LinesNotNumbered": 0, "SetNlSty": 3, "SetAlCapFnt": 1,
    "SetAlCapNameFnt": 1, "SetAlgoCaptionSeparator": 1, "SetCommentSty": 1, "SetKwComment": 3,
    "SetAlgoVlined": 0, "SetKwIF": 8, "SetKwFor": 4, "SetArgSty": 1, "SetFuncSty": 1, "SetKwSty": 1,
    "SetDataSty": 1, "IncMargin": 1, "DecMargin": 1, "SetInd": 2, "nl": 0, "SetAlgoSkip": 1,
    "RestyleAlgo": 1, "SetAlgorithmName": 3, "SetAlgoRefName": 1, "SetKwHangingKw": 2, "BlankLine": 0,
    "Indp": 0, "Indm": 0, "SetAlgoInsideSkip": 1, "AlgoDontDisplayBlockMarkers": 0,
}
_A2E_TOKEN = re.compile(r"\\;|\\\\|\\([A-Za-z]+)\*?|[{}]|\\.", re.S)


def algorithm2e_lines(content: str, render: Render) -> list[str]:
    """Lines of an ``algorithm2e`` body (statements end with ``\\;`` or ``\\\\``; blocks nest)."""
    lines: list[str] = []
    _a2e(content, 0, lines, render)
    return lines


def _a2e(text: str, depth: int, lines: list[str], render: Render) -> None:
    if depth > 50:
        return
    buf: list[str] = []
    pos = 0

    def flush() -> None:
        line = _render_line("".join(buf), render)
        if line:
            lines.append("  " * depth + line)
        buf.clear()

    while True:
        m = _A2E_TOKEN.search(text, pos)
        if m is None:
            buf.append(text[pos:])
            break
        buf.append(text[pos : m.start()])
        tok, name = m.group(), m.group(1)
        pos = m.end()
        if tok in ("\\;", "\\\\"):
            flush()
        elif tok == "{":
            close = matching_brace(text, m.start())
            buf.append(text[m.start() : close + 1])
            pos = close + 1
        elif tok == "}":
            continue
        elif name is None:  # an escaped character: \{ \} \$ ...
            buf.append(tok)
        elif name in ("tcp", "tcc"):  # a comment ends its line
            groups, pos = _groups(text, pos, 1)
            buf.append(" ▷ " + (groups[0] if groups else ""))
            flush()
        elif name in _A2E_BLOCKS:
            flush()
            template, nconds, closing = _A2E_BLOCKS[name]
            conds, pos = _groups(text, pos, nconds)
            body, pos = _groups(text, pos, 1)
            if name == "Repeat":  # \Repeat{until}{body}
                lines.append("  " * depth + "repeat")
                _a2e(body[0] if body else "", depth + 1, lines, render)
                lines.append("  " * depth + "until " + _render_line(conds[0] if conds else "", render))
                continue
            header = template
            for n, cond in enumerate(conds):
                header = header.replace("{" + str(n) + "}", _render_line(cond, render))
            lines.append("  " * depth + header)
            _a2e(body[0] if body else "", depth + 1, lines, render)
            if closing:
                lines.append("  " * depth + closing)
        elif name == "eIf":
            flush()
            groups, pos = _groups(text, pos, 3)
            groups += [""] * (3 - len(groups))
            lines.append("  " * depth + f"if {_render_line(groups[0], render)} then")
            _a2e(groups[1], depth + 1, lines, render)
            lines.append("  " * depth + "else")
            _a2e(groups[2], depth + 1, lines, render)
            lines.append("  " * depth + "end")
        elif name in _A2E_ONE_LINE:
            flush()
            nconds = 0 if name == "lElse" else 1
            groups, pos = _groups(text, pos, nconds + 1)
            header = _A2E_ONE_LINE[name]
            if nconds and groups:
                header = header.replace("{0}", _render_line(groups[0], render))
            body = groups[-1] if len(groups) > nconds else ""
            lines.append("  " * depth + header + " " + _render_line(body, render))
        elif name in _A2E_LINES:
            flush()
            groups, pos = _groups(text, pos, 1)
            buf.append(_A2E_LINES[name] + (groups[0] if groups else ""))
            flush()
        elif name in _A2E_CONFIG:
            _, pos = _groups(text, pos, _A2E_CONFIG[name])
        else:
            buf.append(tok)
    flush()


def _groups(text: str, pos: int, count: int) -> tuple[list[str], int]:
    """Read up to ``count`` brace groups (optional ``[...]``/``(...)`` before each are skipped)."""
    found: list[str] = []
    for _ in range(count):
        _, pos = read_optional(text, pos)
        j = skip_ws(text, pos)
        if j < len(text) and text[j] == "(":
            close = text.find(")", j)
            if close != -1:
                pos = close + 1
        group = read_group(text, pos)
        if group is None:
            break
        found.append(group[0])
        pos = group[1]
    return found, pos
