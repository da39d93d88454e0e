"""Render an ``agreement.json`` document as one self-contained HTML page: escaped text, inline SVG plots, no scripts."""

from __future__ import annotations

import math

from illusion.report.pages import environment
from illusion.report.plot import forest

OUTCOME_COLORS = {"pattern": "#0072B2", "none": "#8c8c8c", "conflict": "#D55E00"}
CONCEPT_COLORS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")  # Okabe-Ito
CONDITION_NAMES = {"neuron": "neurons", "random": "random directions", "control": "random sentences (control)"}
FIELD_NOTES = {
    "pattern": "is there a pattern? (yes / no)",
    "taxonomy": "what kind of pattern (one concept / several / none / artifact)",
    "confidence": "confidence 1-5",
    "fits": "does each sentence fit the pattern? (one unit per sentence)",
    "same_concept": "do two datasets' sets share a concept? (different < related < same)",
}


def render_html(result: dict) -> str:
    """The page for ``result`` (a document from ``agreement.compute_agreement``)."""
    env = environment("illusion.annotations.agreement", num=_num, interval=interval, condition=condition_name, shorten=_shorten)
    return env.get_template("agreement.html.j2").render(
        r=result,
        plots=_plots(result),
        grid=_grid(result),
        field_notes=FIELD_NOTES,
        outcome_colors=OUTCOME_COLORS,
    )


def _plots(result: dict) -> dict[str, dict]:
    """The geometry of each dot-and-interval plot."""
    table = result["conditions"]["table"]
    cross = result["cross_dataset"]["conditions"]
    reliability = [
        _row(f"{name}: {label}", entry[stat], color)
        for name, entry in result["reliability"].items()
        for stat, label, color in (("krippendorff_alpha", "alpha", "#0072B2"), ("percent_agreement", "agreement", "#8c8c8c"))
    ]
    values = [v for row in reliability for v in [row["value"], *(row["ci"] or [])] if v is not None]
    return {
        "reliability": forest(reliability, min([-0.25, *(math.floor(v * 4) / 4 for v in values)]), 1.0),
        "outcomes": forest(
            [
                _row(f"{condition_name(name)}: {outcome}", entry[outcome], color)
                for name, entry in table.items()
                for outcome, color in OUTCOME_COLORS.items()
            ],
            0.0,
            1.0,
        ),
        "fits": forest(
            [_row(condition_name(name), entry["fits_mean"], "#0072B2") for name, entry in table.items()],
            0.0,
            max(result["settings"]["k"], 1),
        ),
        "concepts": forest(
            [_row(condition_name(name), entry["distinct_concepts"], "#009E73") for name, entry in cross.items()],
            0.0,
            max(len(result["datasets"]), 1),
        ),
        "same": forest([_row(condition_name(name), entry["same_share"], "#CC79A7") for name, entry in cross.items()], 0.0, 1.0),
    }


def _row(label: str, stat: dict | None, color: str) -> dict:
    stat = stat or {}
    return {"label": label, "value": stat.get("value"), "ci": stat.get("ci"), "color": color, "text": interval(stat)}


def _grid(result: dict) -> list[dict]:
    """One row per direction (conditions in order), one cell per dataset, coloured by concept."""
    rows = []
    for name, entry in result["cross_dataset"]["directions"].items():
        cells: list[dict | None] = []
        for dataset in result["datasets"]:
            cell = entry["datasets"].get(dataset)
            if cell is None:
                cells.append(None)
                continue
            color = CONCEPT_COLORS[cell["concept"] % len(CONCEPT_COLORS)] if cell["concept"] is not None else None
            cells.append({**cell, "color": color, "text": cell["descriptions"][0] if cell["descriptions"] else ""})
        rows.append({"direction": name, **entry, "cells": cells})
    return rows


def _num(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


def interval(stat: dict | None, digits: int = 2) -> str:
    """``0.74 [0.61, 0.85]``, or the value alone, or a dash."""
    if not stat or stat.get("value") is None:
        return "–"
    text = _num(stat["value"], digits)
    return f"{text} [{_num(stat['ci'][0], digits)}, {_num(stat['ci'][1], digits)}]" if stat.get("ci") else text


def condition_name(name: str) -> str:
    return CONDITION_NAMES.get(name, name)


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
