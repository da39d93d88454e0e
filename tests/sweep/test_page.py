"""``sweep.html``: one line per pooling and size in every panel, a point per layer, the paper and chance as references,
and every name from a dataset or config escaped."""

from __future__ import annotations

import re

import pytest

from illusion.diagnostics.builtin import BUILTIN
from illusion.host import Host
from illusion.report.plot import lines
from illusion.sweep.findings import WHOLE, describe
from illusion.sweep.page import render

LAYERS, POOLINGS, SIZES = [1, 2, 3], ["cls", "mean"], ["200", "all"]
EVIL = "<script>alert(1)<"
CONDITIONS = [
    {"condition": "neuron", "sampler": "neuron", "role": "candidate"},
    {"condition": "random", "sampler": "random", "role": "baseline"},
]


BUILT_IN = [f.key for d in BUILTIN for f in d.findings]
FINDINGS = describe(Host(autoload=False), 10, 4, BUILT_IN)  # what each built-in diagnostic's findings are


def summary(k: int = 10, datasets: int = 4) -> dict:
    def value(layer: int, size: str) -> dict:
        return {"value": layer / 10, "interval": [layer / 10 - 0.05, layer / 10 + 0.05], "chance": 0.2 if size == "all" else 0.25}

    cells = []
    for size in SIZES:
        for layer in LAYERS:
            for pooling in POOLINGS:
                found = {
                    f["name"]: {c: value(layer, size) for c in (["neuron", "random"] if f["per_condition"] else [WHOLE])}
                    for f in FINDINGS
                }
                cells.append(
                    {"name": f"{layer}-{pooling}-{size}", "layer": layer, "pooling": pooling, "size": size, "findings": found}
                )
    cells[2]["findings"]["locality"]["neuron"]["value"] = None  # layer 2, cls, size 200: a gap in the line
    return {
        "config": {"model": {"plugin": "transformer", "model": "tiny"}},
        "model": {"plugin": "transformer", "passes": "one pass"},
        "k": k,
        "seed": 0,
        "computed": len(cells),
        "grid": {"layers": LAYERS, "poolings": POOLINGS, "sizes": SIZES},
        "datasets": [{"name": f"{EVIL}{i}", "sentences": {"200": 200, "all": 300}} for i in range(datasets)],
        "conditions": CONDITIONS,
        "findings": describe(Host(autoload=False), k, datasets, BUILT_IN),
        "cells": cells,
    }


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg xmlns.*?</svg>", page, re.S)


def test_every_finding_has_a_panel_per_condition_with_a_line_per_pooling_and_size():
    page = render(summary())
    panels = svgs(page)
    assert len(panels) == sum(2 if f["per_condition"] else 1 for f in FINDINGS)
    for panel in panels:
        assert panel.count('<g class="series"') == len(POOLINGS) * len(SIZES)
        assert panel.count("<circle") in (len(LAYERS) * 4, len(LAYERS) * 4 - 1)  # one point per layer and line
    # the gap leaves layers 1 and 3 of one line unjoined: no segment of two points is left in it
    assert sum(panel.count("<polyline") for panel in panels) == len(panels) * 4 - 1


def test_the_paper_is_drawn_where_measured_the_same_way_and_chance_per_size():
    page = render(summary())
    titled = dict(re.findall(r'aria-label="([^"]+)".*?(</svg>)', page, re.S))
    assert titled  # every panel is labelled
    panels = svgs(page)
    papers = [panel for panel in panels if 'class="reference paper"' in panel]
    # range overlap, monotone in one and in every dataset (4 datasets), outlier fill: the neuron panels; every-neuron fill
    assert len(papers) == 5 and all("paper 0.38" not in panel or panel.count("reference paper") == 1 for panel in papers)
    assert all(panel.count('class="reference chance"') == 2 for panel in panels)  # two sizes, two chance levels
    assert "chance 0.25 (size 200)" in page and "chance 0.2 (size all)" in page
    other = svgs(render(summary(k=5, datasets=5)))
    assert sum('class="reference paper"' in panel for panel in other) == 1  # only monotone in one dataset still applies


def test_names_from_datasets_are_escaped():
    page = render(summary())
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;0" in page


def test_lines_place_categories_evenly_and_span_values_intervals_and_references():
    plot = lines(
        ["a", "b"],
        [{"label": "s", "color": "#000", "dash": "", "points": [[0.5, [0.25, 0.75], "x"], [1.0, None, "y"]]}],
        [{"value": 1.5, "label": "paper", "kind": "paper"}],
    )
    first, second = plot["series"][0]["dots"]
    assert first["x"] < second["x"] and first["y"] > second["y"]  # y upwards
    assert plot["references"][0]["y"] < second["y"] and plot["y0"] <= plot["references"][0]["y"]
    assert first["span"][0] > first["y"] > first["span"][1]
    assert [t["label"] for t in plot["xticks"]] == ["a", "b"] and plot["yticks"][0]["label"] == "0"


@pytest.mark.parametrize("values", [[0.0, 0.0], [-0.2, 0.1]])
def test_lines_handle_flat_and_negative_values(values):
    plot = lines([1, 2], [{"label": "s", "color": "#000", "dash": "", "points": [[v, None, ""] for v in values]}], [])
    ys = [t["y"] for t in plot["yticks"]]
    assert all(plot["y0"] - 0.1 <= dot["y"] <= plot["y1"] + 0.1 for dot in plot["series"][0]["dots"]) and len(ys) >= 2


def blocks(page: str) -> dict[str, list[str]]:
    """Each finding's title and the panels of its figure."""
    return {title: svgs(block) for title, block in re.findall(r"<h2>(.*?)</h2>(.*?)(?=<h2>|</body>)", page, re.S)}


def test_flagged_cells_are_listed_and_drawn_hollow_where_the_warning_bears_on_the_finding():
    found = summary()
    found["cells"][0]["flags"] = ["near-constant vectors", "few monotonicity words"]  # layer 1, cls, size 200
    found["cells"][1]["flags"] = ["few monotonicity words"]  # layer 1, mean, size 200
    page = render(found)
    table = page[page.index('id="flagged"') : page.index("</table>", page.index('id="flagged"'))]
    assert "near-constant vectors; few monotonicity words" in table and table.count("<tr>") == 3
    figures = {title: panels for title, panels in blocks(page).items() if panels}
    assert len(figures) == len(FINDINGS)
    for title, panels in figures.items():
        hollow = 2 if title.startswith("Monotone") or title == "Illusion score" else 1
        assert all(panel.count('class="flagged"') == hollow for panel in panels), title
    assert "flagged: near-constant vectors" in page
    assert 'id="flagged"' not in render(summary())


def test_every_panel_of_a_finding_shares_one_axis_with_its_reference_lines():
    found = summary()
    for cell in found["cells"]:  # values far below the paper's: only the neuron panels draw its line
        for entry in (e for per in cell["findings"].values() for e in per.values()):
            entry["value"] = None if entry["value"] is None else entry["value"] / 10
            entry["interval"] = [v / 10 for v in entry["interval"]]
    for title, panels in blocks(render(found)).items():
        ticks = [re.findall(r'class="tick">([^<]+)</text>', panel) for panel in panels]
        assert all(t == ticks[0] for t in ticks), title
