"""The illusion score of a direction: how strongly the evidence says its top sentences mean different
things in different datasets. Three parts, each in [0, 1], higher = more illusion-like:

- ``concentration``: the pooled top-k over all datasets is drawn from one dataset:
  (largest dataset's share - 1/D) / (1 - 1/D), D datasets;
- ``separation``: the share of dataset pairs whose top-k activation ranges do not overlap;
- ``inconsistency``: 1 - the share of the direction's monotone words (monotone in at least one
  dataset) that are monotone the same way in at least two datasets; 1 when no word is monotone.

The score is the mean of the parts that are defined (none is with fewer than two datasets;
``inconsistency`` is not when no word is frequent enough in every dataset). Directions with the highest scores are likely
illusions; the lowest are the best candidates for a concept that holds across datasets, and the
first worth human labels. Cost: O(directions x datasets^2), from results already computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

SUGGEST = 5


def parts(finding: Mapping[str, Any], consistency: float | None, datasets: int) -> dict[str, float | None]:
    """The score's parts for one direction, from its ``stats.direction_findings`` entry and word consistency."""
    if datasets < 2:
        return {"concentration": None, "separation": None, "inconsistency": None}
    share = finding["pooled"]["largest_share"]
    overlaps = list(finding["range_overlap"].values())
    return {
        "concentration": float(np.clip((share - 1 / datasets) / (1 - 1 / datasets), 0.0, 1.0)),
        "separation": 1.0 - float(np.mean(overlaps)),
        "inconsistency": None if consistency is None else 1.0 - consistency,
    }


def illusion_scores(
    findings: Mapping[str, Mapping[str, Any]], consistency: Mapping[str, float | None], datasets: int, suggest: int = SUGGEST
) -> dict[str, Any]:
    """Score, parts and condition of every direction; the ranking (most illusion-like first) and suggestions."""
    directions = {}
    for identifier, finding in findings.items():
        these = parts(finding, consistency.get(identifier), datasets)
        defined = [value for value in these.values() if value is not None]
        directions[identifier] = {
            "condition": finding["condition"],
            "score": float(np.mean(defined)) if defined else None,
            "parts": these,
        }
    ranked = sorted((i for i in directions if directions[i]["score"] is not None), key=lambda i: (-directions[i]["score"], i))
    conditions = sorted({d["condition"] for d in directions.values()})
    return {
        "parts": ["concentration", "separation", "inconsistency"],
        "directions": directions,
        "by_condition": {c: _mean([d["score"] for d in directions.values() if d["condition"] == c]) for c in conditions},
        "ranking": ranked,
        "likely_illusions": ranked[:suggest],
        "label_first": ranked[::-1][:suggest],
    }


def _mean(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None
