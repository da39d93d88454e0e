"""The findings a sweep follows across its grid, read from one cell's statistics and diagnostics.

Each finding has a value per condition (or one for the whole cell), with an interval where the
diagnostic gives one, the chance level where there is one, and the paper's value where it was
measured the same way (from secondary summaries of the paper; see docs/sweep.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from illusion.diagnostics.paper import REFERENCES, incomparable
from illusion.diagnostics.verdicts import wilson

WHOLE = "all"  # the key of a finding that has one value per cell, not one per condition
NEURONS = "neuron"  # the sampler plugin whose directions the paper's neuron figures describe


@dataclass(frozen=True)
class Finding:
    name: str
    title: str
    description: str
    per_condition: bool
    interval: str | None  # what the interval is, when there is one
    paper: str | None = None  # the finding's key in illusion.diagnostics.paper.REFERENCES

    def reference(self, k: int, datasets: int) -> dict[str, Any] | None:
        """The paper's value, for the ``neuron`` sampler's conditions, when this sweep measures it the same way."""
        if self.paper is None or REFERENCES[self.paper][0] is None or incomparable(self.paper, k, datasets):
            return None
        value, note = REFERENCES[self.paper]
        return {"value": value, "sampler": NEURONS if self.per_condition else None, "note": note}


CELL_WIDE = ("near-constant vectors", "extreme anisotropy")  # sanity warnings under which every finding may order noise
BEARS_ON = {name: ("few monotonicity words",) for name in ("monotone_one", "monotone_all", "illusion_score")}


def flags(cell: Mapping[str, Any], finding: str | None = None) -> list[str]:
    """The cell's sanity warnings (``flags`` in ``sweep.json``); with ``finding``, only those that bear on it."""
    found = list(cell.get("flags", []))
    if finding is None:
        return found
    return [flag for flag in found if flag in CELL_WIDE + BEARS_ON.get(finding, ())]


FINDINGS = (
    Finding(
        "separability",
        "Dataset separability",
        "held-out accuracy of the linear dataset classifier",
        False,
        "95% Wilson interval over the test sentences",
    ),
    Finding(
        "range_overlap",
        "Top-k range overlap",
        "share of (direction, dataset pair) cases whose top-k activation ranges overlap",
        True,
        None,
        "range_overlap",
    ),
    Finding(
        "monotone_one",
        "Monotone in one dataset",
        "share of (direction, word) pairs monotone over activation quintiles in one dataset (mean over datasets)",
        True,
        "lowest and highest dataset",
        "monotonicity_one",
    ),
    Finding(
        "monotone_all",
        "Monotone in every dataset",
        "share of (direction, word) pairs monotone in every dataset",
        True,
        None,
        "monotonicity_all",
    ),
    Finding("locality", "Locality", "similarity of top-k pair dot products to nearest-neighbour ones", True, None),
    Finding(
        "outlier_fill",
        "Outlier fill",
        "share of the directions' top-k slots filled by the most distant 1% of sentences (mean over datasets)",
        True,
        "lowest and highest dataset",
        "outliers",
    ),
    Finding(
        "outlier_fill_neurons",
        "Outlier fill, every neuron",
        "share of every neuron's top-k slots filled by the most distant 1% of sentences (mean over datasets)",
        False,
        "lowest and highest dataset",
        "outliers",
    ),
    Finding("illusion_score", "Illusion score", "mean illusion score of the condition's directions", True, None),
)


def _value(value: Any, interval: Any = None, chance: Any = None, parts: dict[str, float] | None = None) -> dict[str, Any]:
    return {"value": value, "interval": interval, "chance": chance, **({"parts": parts} if parts else {})}


def _spread(per_dataset: dict[str, float], chance: float | None) -> dict[str, Any]:
    values = list(per_dataset.values())
    return _value(float(np.mean(values)), [min(values), max(values)], chance, per_dataset)


def measure(diagnostics: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Every finding of one cell: ``{finding: {condition or "all": {"value", "interval", "chance", "parts"?}}}``."""
    classifier = diagnostics["separability"]
    accuracy, tested = classifier.get("accuracy"), classifier.get("test_size", 0)
    monotone = diagnostics["monotonicity"]["by_condition"]
    outliers = diagnostics["outliers"]
    fraction = outliers["fractions"][0]
    per_dataset = outliers["per_dataset"]
    fill_chance = float(np.mean([math.ceil(fraction * d["sentences"]) / d["sentences"] for d in per_dataset.values()]))
    conditions = list(diagnostics["range_overlap"]["by_condition"])

    def fill(name: str, condition: str | None) -> float:
        found = per_dataset[name]["all_neurons" if condition is None else "by_condition"]
        return float((found if condition is None else found[condition])["share"][str(fraction)])

    def subsets(condition: str, which: int) -> dict[str, Any]:
        rows = monotone.get(condition, {}).get("in_datasets", [])
        if not rows:
            return _value(None)
        if which == 0:
            return _spread(monotone[condition]["per_dataset"], rows[0]["chance"])
        return _value(rows[which]["mean"], None, rows[which]["chance"])

    return {
        "separability": {
            WHOLE: _value(
                accuracy, wilson(round(accuracy * tested), tested) if accuracy is not None else None, classifier.get("chance")
            )
        },
        "range_overlap": {
            c: _value(row["share"], parts=row["pairs"]) for c, row in diagnostics["range_overlap"]["by_condition"].items()
        },
        "monotone_one": {c: subsets(c, 0) for c in conditions},
        "monotone_all": {c: subsets(c, -1) for c in conditions},
        "locality": {c: _value(row["score"]) for c, row in diagnostics["locality"]["by_condition"].items()},
        "outlier_fill": {c: _spread({name: fill(name, c) for name in per_dataset}, fill_chance) for c in conditions},
        "outlier_fill_neurons": {WHOLE: _spread({name: fill(name, None) for name in per_dataset}, fill_chance)},
        "illusion_score": {c: _value(value) for c, value in diagnostics["illusion_score"]["by_condition"].items()},
    }


def describe(k: int, datasets: int) -> list[dict[str, Any]]:
    """The findings' part of ``sweep.json``: what each is, its interval, and the paper's value where it applies."""
    return [
        {
            "name": f.name,
            "title": f.title,
            "description": f.description,
            "per_condition": f.per_condition,
            "interval": f.interval,
            "paper": f.reference(k, datasets),
        }
        for f in FINDINGS
    ]
