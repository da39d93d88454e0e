"""``sweep.html``: one small-multiples figure per finding, the finding against the layer, one line per pooling and size.

Colour tells the pooling, the dash pattern the size (solid: the largest); the paper's value (where
it was measured the same way) and the chance level are drawn as horizontal reference lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from illusion.report.pages import environment
from illusion.report.plot import PALETTE, lines
from illusion.sweep.findings import WHOLE

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


def panel(summary: Mapping[str, Any], finding: Mapping[str, Any], condition: str, include: list[float]) -> dict[str, Any]:
    """The geometry of one finding in one condition (or of the whole cell), its axis spanning ``include`` too."""
    layers, cells = summary["grid"]["layers"], summary["cells"]
    at = {(c["layer"], c["pooling"], c["size"]): c["findings"][finding["name"]].get(condition, {}) for c in cells}
    series = []
    for (pooling, size), style in styles(summary).items():
        points = []
        for layer in layers:
            found = at.get((layer, pooling, size), {})
            value, ci = found.get("value"), found.get("interval")
            text = f"layer {layer}: {_fmt(value)}" + (f" [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "")
            points.append([value, ci, text])
        series.append({**style, "points": points})
    references = []
    paper = finding["paper"]
    sampler = {c["condition"]: c["sampler"] for c in summary["conditions"]}.get(condition)
    if paper and (paper["sampler"] is None or paper["sampler"] == sampler):
        references.append({"value": paper["value"], "label": f"paper {paper['value']:.3g}", "kind": "paper"})
    chances: dict[float, list[str]] = {}
    for (_, _, size), found in at.items():
        if found.get("chance") is not None:
            chances.setdefault(found["chance"], []).append(size)
    for value, sizes in chances.items():
        where = "" if len(chances) == 1 else f" (size {', '.join(dict.fromkeys(sizes))})"
        references.append({"value": value, "label": f"chance {value:.2g}{where}", "kind": "chance"})
    return lines(layers, series, references, include)


def _values(summary: Mapping[str, Any], name: str) -> list[float]:
    """Every value and interval bound of a finding, in every cell and condition: one axis for all its panels."""
    found = [entry for cell in summary["cells"] for entry in cell["findings"][name].values()]
    return [v for entry in found for v in [entry["value"], *(entry["interval"] or [])] if v is not None]


def render(summary: Mapping[str, Any]) -> str:
    """The page of a sweep from the content of its ``sweep.json``."""
    conditions = [c["condition"] for c in summary["conditions"]]
    figures = [
        {
            "finding": finding,
            "panels": [
                {"condition": condition, "plot": panel(summary, finding, condition, _values(summary, finding["name"]))}
                for condition in (conditions if finding["per_condition"] else [WHOLE])
            ],
        }
        for finding in summary["findings"]
    ]
    return (
        environment("illusion.sweep")
        .get_template("sweep.html.j2")
        .render(summary=summary, figures=figures, legend=list(styles(summary).values()))
    )
