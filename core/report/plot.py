"""Geometry of the small inline SVG plots on the HTML pages; their markup is ``templates/plots.html.j2``.

Three kinds: a scatter of 2-D points coloured by group (the separability picture of ``report.html``), a
dot-and-interval ("forest") plot of estimates on a shared axis (``agreement.html``), and a line plot of
values over categories with intervals and horizontal reference lines (``sweep.html``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import groupby
from typing import Any

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
FOREST = {"width": 760, "left": 250, "axis": 360, "top": 16, "row": 22}  # pixels: label column, axis, rows
LINES = {"width": 300, "height": 190, "left": 40, "right": 14, "top": 12, "bottom": 26}  # pixels: plot box and margins


def scatter(
    points: Sequence[Sequence[float]], labels: Sequence[str], width: int = 480, height: int = 360, margin: int = 10
) -> dict[str, Any]:
    """Points ``[x, y, group]`` with x and y in [0, 1] placed in a ``width`` x ``height`` box (y upwards), a colour
    per group, and the legend (``labels[group]`` with its colour)."""
    color = [PALETTE[group % len(PALETTE)] for group in range(len(labels))]
    return {
        "width": width,
        "height": height,
        "dots": [
            {
                "x": round(margin + (width - 2 * margin) * x, 1),
                "y": round(height - margin - (height - 2 * margin) * y, 1),
                "color": color[int(g)],
            }
            for x, y, g in points
        ],
        "legend": [{"label": label, "color": c} for label, c in zip(labels, color)],
    }


def forest(rows: Sequence[dict[str, Any]], low: float, high: float) -> dict[str, Any]:
    """One row per estimate (``label``, ``value``, ``ci`` or None, ``color``, ``text``) on an axis from ``low`` to ``high``:
    pixel positions of dots, intervals and ticks."""

    def x(value: float) -> float:
        return round(FOREST["left"] + (value - low) / (high - low) * FOREST["axis"], 1)

    step = tick_step(high - low)
    ticks = [i * step for i in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1)]
    placed = [
        {
            **row,
            "y": FOREST["top"] + i * FOREST["row"],
            "x": x(row["value"]) if row["value"] is not None else None,
            "span": [x(v) for v in row["ci"]] if row["ci"] else None,
        }
        for i, row in enumerate(rows)
    ]
    return {
        **FOREST,
        "rows": placed,
        "ticks": [{"x": x(t), "label": f"{t:g}"} for t in ticks],
        "zero": x(0.0) if low < 0 < high else None,
        "height": FOREST["top"] + len(rows) * FOREST["row"] + 24,
        "right": FOREST["left"] + FOREST["axis"],
    }


def tick_step(span: float, most: int = 6) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that cuts ``span`` (> 0) into at most ``most`` steps."""
    rough = span / most
    base = 10.0 ** math.floor(math.log10(rough))
    return min(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= rough * (1 - 1e-9))


def lines(
    categories: Sequence[Any],
    series: Sequence[dict[str, Any]],
    references: Sequence[dict[str, Any]],
    include: Sequence[float] = (),
) -> dict[str, Any]:
    """A line per series over evenly spaced ``categories``: each series ``label``, ``color``, ``dash`` and ``points``
    (per category ``[value or None, [low, high] or None, text]``, and optionally a fourth item, true when the point
    is flagged: drawn hollow); each reference ``value``, ``label``, ``kind``.
    The axis spans every value, interval and reference, 0 and ``include`` (to share an axis between plots);
    lines break where a value is missing."""
    box = LINES
    values = [v for s in series for p in s["points"] for v in [p[0], *(p[1] or [])] if v is not None]
    values += [r["value"] for r in references] + [0.0, *include]
    step = tick_step((max(values) - min(values)) or 1.0, 4)
    low, high = math.floor(min(values) / step + 1e-9) * step, math.ceil(max(values) / step - 1e-9) * step
    high = max(high, low + step)
    inner_w, inner_h = box["width"] - box["left"] - box["right"], box["height"] - box["top"] - box["bottom"]

    def x(i: int) -> float:
        return round(box["left"] + inner_w * (i + 0.5) / len(categories), 1)

    def y(value: float) -> float:
        return round(box["top"] + inner_h * (high - value) / (high - low), 1)

    placed = []
    for s in series:
        dots = [
            {
                "x": x(i),
                "y": y(value),
                "span": [y(v) for v in ci] if ci else None,
                "text": text,
                "flagged": bool(rest and rest[0]),
            }
            for i, (value, ci, text, *rest) in enumerate(s["points"])
            if value is not None
        ]
        runs = [list(run) for present, run in groupby(enumerate(s["points"]), key=lambda p: p[1][0] is not None) if present]
        segments = [" ".join(f"{x(i)},{y(point[0])}" for i, point in run) for run in runs if len(run) > 1]
        placed.append({**s, "dots": dots, "segments": segments})
    ticks = [low + i * step for i in range(round((high - low) / step) + 1)]
    return {
        **box,
        "x0": box["left"],
        "x1": box["width"] - box["right"],
        "y0": box["top"],
        "y1": box["height"] - box["bottom"],
        "series": placed,
        "references": [
            {**r, "y": y(r["value"]), "left": bool(i % 2)} for i, r in enumerate(references)
        ],  # labels alternate sides
        "xticks": [{"x": x(i), "label": str(c)} for i, c in enumerate(categories)],
        "yticks": [{"y": y(t), "label": f"{t:.4g}"} for t in ticks],
    }
