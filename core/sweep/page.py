"""``sweep.html``: one small-multiples figure per finding, the finding against the layer, one line per pooling and size.

Colour tells the pooling, the dash pattern the size (solid: the largest); the paper's value (where
it was measured the same way) and the chance level are drawn as horizontal reference lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from illusion.report.pages import environment
from illusion.report.plot import PALETTE, lines
from illusion.sweep.findings import WHOLE, flags

DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 4")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def styles(summary: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, str]]:
    """Colour and dash of each (pooling, size) line, the largest size solid."""
    sizes = list(reversed(summary["grid"]["sizes"]))
    return {
        (pooling, size): {"color": PALETTE[p % len(PALETTE)], "dash": DASHES[s % len(DASHES)], "label": f"{pooling}, size {size}"}
        for p, pooling in enumerate(summary["grid"]["poolings"])
        for s, size in enumerate(sizes)
    }


def references(summary: Mapping[str, Any], finding: Mapping[str, Any], condition: str) -> list[dict[str, Any]]:
    """The paper's value (where measured the same way, for its sampler) and the chance levels of one panel."""
    found = []
    paper = finding["paper"]
    sampler = {c["condition"]: c["sampler"] for c in summary["conditions"]}.get(condition)
    if paper and (paper["sampler"] is None or paper["sampler"] == sampler):
        found.append({"value": paper["value"], "label": f"paper {paper['value']:.3g}", "kind": "paper"})
    chances: dict[float, list[str]] = {}
    for cell in summary["cells"]:
        entry = cell["findings"].get(finding["name"], {}).get(condition, {})
        if entry.get("chance") is not None:
            chances.setdefault(entry["chance"], []).append(cell["size"])
    for value, sizes in chances.items():
        where = "" if len(chances) == 1 else f" (size {', '.join(dict.fromkeys(sizes))})"
        found.append({"value": value, "label": f"chance {value:.2g}{where}", "kind": "chance"})
    return found


def panel(summary: Mapping[str, Any], finding: Mapping[str, Any], condition: str, include: list[float]) -> dict[str, Any]:
    """The geometry of one finding in one condition (or of the whole cell), its axis spanning ``include`` too.

    A point from a cell whose sanity warnings bear on the finding is flagged: drawn hollow, its warnings in its text."""
    layers, cells = summary["grid"]["layers"], summary["cells"]
    at = {(c["layer"], c["pooling"], c["size"]): c for c in cells}
    series = []
    for (pooling, size), style in styles(summary).items():
        points = []
        for layer in layers:
            cell = at.get((layer, pooling, size), {})
            found = cell.get("findings", {}).get(finding["name"], {}).get(condition, {})
            value, ci, warned = found.get("value"), found.get("interval"), flags(cell, finding) if cell else []
            text = f"layer {layer}: {_fmt(value)}" + (f" [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "")
            text += f"; flagged: {', '.join(warned)}" if warned else ""
            points.append([value, ci, text, bool(warned)])
        series.append({**style, "points": points})
    return lines(layers, series, references(summary, finding, condition), include)


def _values(summary: Mapping[str, Any], finding: Mapping[str, Any], conditions: list[str]) -> list[float]:
    """Every value, interval bound and reference line of a finding, in every cell and condition: one axis for all its panels."""
    found = [entry for cell in summary["cells"] for entry in cell["findings"].get(finding["name"], {}).values()]
    values = [v for entry in found for v in [entry["value"], *(entry["interval"] or [])] if v is not None]
    return values + [r["value"] for condition in conditions for r in references(summary, finding, condition)]


def flagged(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The cells with sanity warnings: layer, pooling, size and the warnings."""
    return [
        {"layer": c["layer"], "pooling": c["pooling"], "size": c["size"], "flags": flags(c)} for c in summary["cells"] if flags(c)
    ]


def render(summary: Mapping[str, Any]) -> str:
    """The page of a sweep from the content of its ``sweep.json``."""
    conditions = [c["condition"] for c in summary["conditions"]]
    figures = []
    for finding in summary["findings"]:
        shown = conditions if finding["per_condition"] else [WHOLE]
        axis = _values(summary, finding, shown)
        figures.append(
            {"finding": finding, "panels": [{"condition": c, "plot": panel(summary, finding, c, axis)} for c in shown]}
        )
    return (
        environment("illusion.sweep")
        .get_template("sweep.html.j2")
        .render(summary=summary, figures=figures, legend=list(styles(summary).values()), flagged=flagged(summary))
    )
