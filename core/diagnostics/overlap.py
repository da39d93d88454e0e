"""Top-k range overlap by condition: the run's per-direction overlaps (``stats.json``) summed up for the diagnostics."""

from __future__ import annotations

from typing import Any

from illusion.run.schema import Stats


def overlap_summary(run: Stats) -> dict[str, Any]:
    """Per condition: the share of overlapping dataset pairs, overall and per pair; per direction: every pair."""
    summary = {}
    for condition, row in run.conditions.items():
        members = [f.range_overlap for f in run.directions.values() if f.condition == condition]
        pairs = {pair: sum(m[pair] for m in members) / len(members) for pair in members[0]}
        summary[condition] = {"share": row.range_overlap_share, "pairs": pairs}
    return {"by_condition": summary, "directions": {i: f.range_overlap for i, f in run.directions.items()}}
