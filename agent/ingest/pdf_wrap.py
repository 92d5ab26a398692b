"""Floats set beside the text of a one-column page (LaTeX's wrapfigure / wraptable).

Mistral 7B and Mixtral put their architecture table right of the prose; read in baseline order,
the table's cells interleave with the lines beside them. :func:`side_float` finds such a float so
that :func:`agent.ingest.pdf_layout.read_page` can read it as a column of its own, after the text.
"""

from __future__ import annotations

from agent.ingest.pdf_layout import CAPTION_START, Span, join_spans


def side_float(lines: list[list[Span]], width: float) -> tuple[float, set[int]] | None:
    """A float set beside the text of a one-column page (wrapfigure / wraptable): its caption starts
    right of the middle, its lines sit above the caption right of the text, and text lines that end
    before it run alongside. Returns (the x that splits text from float, indices of the float's lines)."""
    boxes = [(min(s.x0 for s in sp), max(s.x1 for s in sp), min(s.y0 for s in sp), max(s.y1 for s in sp),
              join_spans(sp), max(s.size for s in sp)) for sp in lines]
    for c, (cx0, _, cy0, cy1, text, size) in enumerate(boxes):
        if cx0 < 0.45 * width or not CAPTION_START.match(text.strip()):
            continue
        near = cx0 - 0.03 * width
        side = sorted((k for k, b in enumerate(boxes) if b[0] >= near and k != c), key=lambda k: -boxes[k][3])
        members = {c} | {k for k in side if boxes[k][2] < cy1 - 1 and boxes[k][3] > cy0 + 1}  # the caption's line
        edge = cy0
        for k in side:  # upwards from the caption: the float's own lines, without a gap of prose
            x0, x1, y0, y1, _, _ = boxes[k]
            if y1 > cy0 + 1 or k in members:
                continue
            if edge - y1 > 3 * size:
                break
            members.add(k)
            edge = min(edge, y0)
        for k in sorted((k for k in side if boxes[k][2] >= cy1 - 1 and k not in members), key=lambda k: boxes[k][2]):
            if boxes[k][2] - max(boxes[m][3] for m in members) > 0.6 * size:
                break  # the caption's own further lines only
            members.add(k)
        top, bottom = edge, max(boxes[m][3] for m in members)
        split = min(boxes[m][0] for m in members) - 1
        inside = [b for k, b in enumerate(boxes) if k not in members and b[3] > top and b[2] < bottom]
        crossing = [b for b in inside if b[0] < split - 2 and b[1] > split + 2]
        wrapped = [b for b in inside if b[1] <= split + 2 and len(b[4]) >= 20]
        beside_caption = any(CAPTION_START.match(b[4].strip()) for b in inside)  # two floats side by side
        if len(members) >= 4 and len(wrapped) >= 3 and not crossing and not beside_caption:
            return split, members
    return None
