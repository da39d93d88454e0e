"""The illusion score of a direction: how strongly the evidence says its top sentences mean different
things in different datasets. Three parts, each in [0, 1], higher = more illusion-like:

- ``concentration``: the pooled top-k over all datasets is drawn from one dataset:
  (largest dataset's share - 1/D) / (1 - 1/D), D datasets;
- ``separation``: the share of dataset pairs whose top-k activation ranges do not overlap;
- ``inconsistency``: 1 - the share of the direction's monotone words (monotone in at least one
  dataset) that are monotone the same way in at least two datasets; 1 when no word is monotone.

The score is the mean of the parts that are defined (none is with fewer than two datasets;
``inconsistency`` is not when no word is frequent enough in every dataset) and informative: a part
with the same value for 90% or more of the ranked directions does not tell them apart and is left
out, with its reason. Only candidate directions are suggested: baselines (random directions) are
scored for reference, dataset-level directions (separating datasets by construction) and duplicates
of an earlier direction are not ranked. The highest-scoring candidates are likely illusions; the
lowest the best candidates for a concept that holds across datasets, the first worth human labels.
Cost: O(directions x datasets^2), from results already computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from illusion.common.numbers import interval, score, share
from illusion.diagnostics.verdicts import wilson
from illusion.run.schema import DirectionStats

SUGGEST = 5
PARTS = ("concentration", "separation", "inconsistency")
UNINFORMATIVE = 0.9  # share of ranked directions with one value that makes a part uninformative


def parts(finding: DirectionStats, consistency: float | None, datasets: int) -> dict[str, float | None]:
    """The score's parts for one direction, from its ``stats.direction_findings`` entry and word consistency."""
    if datasets < 2:
        return dict.fromkeys(PARTS)
    share = finding.pooled.largest_share
    overlaps = list(finding.range_overlap.values())
    return {
        "concentration": float(np.clip((share - 1 / datasets) / (1 - 1 / datasets), 0.0, 1.0)),
        "separation": 1.0 - float(np.mean(overlaps)),
        "inconsistency": None if consistency is None else 1.0 - consistency,
    }


def uninformative(values: Mapping[str, Mapping[str, float | None]], ranked: list[str]) -> dict[str, str]:
    """Parts that take one value for at least 90% of the ranked directions, with the reason."""
    dropped = {}
    for part in PARTS:
        defined = [round(value, 6) for i in ranked if (value := values[i][part]) is not None]
        if len(defined) >= 5:
            value, count = max(((v, defined.count(v)) for v in set(defined)), key=lambda pair: pair[1])
            if count >= UNINFORMATIVE * len(defined):
                dropped[part] = (
                    f"{part} is {value:g} for {count} of {len(defined)} ranked directions: it does not tell them apart"
                )
    return dropped


def reason(entry: Mapping[str, Any], finding: DirectionStats, k: int | None) -> str:
    """Why a direction scores as it does, in words."""
    bounds = entry["largest_share_interval"]
    pooled = finding.pooled
    text = f"{share(pooled.largest_share)} of its pooled top-{k or 'k'} from {pooled.largest_dataset}"
    if bounds:
        text += f" (95% CI {interval(bounds, 'share')})"
    overlaps = list(finding.range_overlap.values())
    text += f"; top-k ranges overlap in {sum(overlaps)} of {len(overlaps)} dataset pairs"
    if entry["parts"]["inconsistency"] is not None:
        text += f"; word consistency {score(1 - entry['parts']['inconsistency'])}"
    return text


def illusion_scores(
    findings: Mapping[str, DirectionStats],
    consistency: Mapping[str, float | None],
    datasets: int,
    suggest: int = SUGGEST,
    roles: Mapping[str, str] | None = None,
    duplicate_of: Mapping[str, str] | None = None,
    k: int | None = None,
) -> dict[str, Any]:
    """Score, parts, role and condition of every direction; the ranking (most illusion-like first) and suggestions.

    ``roles`` maps a condition to its sampler's role (default ``candidate``); ``duplicate_of`` a direction
    to the earlier one it repeats; ``k`` the top-k size the pooled shares come from (for their intervals).
    """
    roles, duplicate_of = roles or {}, duplicate_of or {}
    values = {i: parts(f, consistency.get(i), datasets) for i, f in findings.items()}
    role_of = {i: roles.get(f.condition, "candidate") for i, f in findings.items()}
    ranked_ids = [i for i in findings if role_of[i] != "dataset-level" and i not in duplicate_of]
    dropped = uninformative(values, ranked_ids)
    directions: dict[str, dict[str, Any]] = {}
    for identifier, finding in findings.items():
        used = [v for p, v in values[identifier].items() if v is not None and p not in dropped]
        directions[identifier] = {
            "condition": finding.condition,
            "role": role_of[identifier],
            "duplicate_of": duplicate_of.get(identifier),
            "ranked": identifier in ranked_ids,
            "score": float(np.mean(used)) if used else None,
            "parts": values[identifier],
            "largest_share_interval": wilson(round(finding.pooled.largest_share * k), k) if k else None,
        }
        directions[identifier]["reason"] = reason(directions[identifier], finding, k)
    scored = [i for i in ranked_ids if directions[i]["score"] is not None]
    dominant = dominant_part(values, scored, dropped)
    ranking = sorted(scored, key=lambda i: (-directions[i]["score"], i))
    candidates = [i for i in ranking if role_of[i] == "candidate"]
    conditions = sorted({d["condition"] for d in directions.values()})
    return {
        "parts": list(PARTS),
        "dropped_parts": dropped,
        "directions": directions,
        "by_condition": {c: _mean([d["score"] for d in directions.values() if d["condition"] == c]) for c in conditions},
        "ranking": ranking,
        "likely_illusions": candidates[:suggest],
        "label_first": candidates[::-1][:suggest],
        "dominant_part": dominant,
        "explanation": explanation(directions, dropped, dominant),
    }


def dominant_part(
    values: Mapping[str, Mapping[str, float | None]], scored: list[str], dropped: Mapping[str, str]
) -> dict[str, Any] | None:
    """The part behind most of the ranking: one whose variance over the scored directions is 80% or more of the parts' total."""
    spread = {}
    for part in PARTS:
        defined = [value for i in scored if (value := values[i][part]) is not None]
        if part not in dropped and len(defined) > 1:
            spread[part] = float(np.var(defined))
    total = sum(spread.values())
    if len(spread) < 2 or total <= 0:
        return None
    part, largest = max(spread.items(), key=lambda item: item[1])
    return {"part": part, "variance_share": largest / total} if largest / total >= 0.8 else None


def explanation(
    directions: Mapping[str, Mapping[str, Any]], dropped: Mapping[str, str], dominant: Mapping[str, Any] | None = None
) -> str:
    """What "label first" and "likely illusions" are drawn from, and what was left out."""
    left_out = {
        "baseline": sum(d["role"] == "baseline" for d in directions.values()),
        "dataset-level": sum(d["role"] == "dataset-level" for d in directions.values()),
        "duplicate": sum(d["duplicate_of"] is not None for d in directions.values()),
    }
    text = (
        "label first: the candidate directions with the lowest illusion scores, whose top sentences come from every "
        "dataset with overlapping activation ranges and shared monotone words; likely illusions: the highest"
    )
    excluded = [f"{n} {what}" for what, n in left_out.items() if n]
    if excluded:
        text += f"; not suggested: {', '.join(excluded)} direction{'s' if sum(left_out.values()) > 1 else ''}"
    if dropped:
        text += f"; left out of the score: {'; '.join(dropped.values())}"
    if dominant:
        text += (
            f"; the ranking follows mostly {dominant['part']} ({dominant['variance_share']:.0%} of the parts' variance): "
            "read each direction's reason, not the score alone"
        )
    return text


def _mean(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None
