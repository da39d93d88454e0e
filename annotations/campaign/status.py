"""How far a campaign has got, per annotator: tasks assigned, done and skipped, pace and time
left, attention-check score; and the answers set aside as invalid."""

from __future__ import annotations

from statistics import median
from typing import Any

from illusion.annotations.campaign.attention import CONDITION, attention_scores
from illusion.annotations.campaign.backend import Backend
from illusion.annotations.campaign.importer import Gathered


def campaign_progress(got: Gathered, backend: Backend) -> dict[str, Any]:
    """The campaign's progress from the labels ``got`` from its servers; nothing is written."""
    seats = backend.assigned(got.ledger)
    checks = attention_scores([row for row in got.rows if row.condition == CONDITION])
    names = sorted({row.annotator for row in got.rows} | set(seats))
    annotators = {}
    for name in names:
        mine = [row for row in got.rows if row.annotator == name]
        times = [row.lead_time for row in mine if row.lead_time is not None]
        skipped = got.counts["skipped", name]
        assigned = seats.get(name)
        pace = median(times) if times else None
        left = None if assigned is None else max(assigned - len(mine) - skipped, 0)
        annotators[name] = {
            "assigned": assigned,
            "done": len(mine),
            "skipped": skipped,
            "left": left,
            "median_seconds": pace,
            "seconds_left": left * pace if left is not None and pace is not None else None,
            "attention": checks.get(name),
        }
    return {
        "run_id": got.run.run_id,
        "tasks": {t: len(items) for t, items in got.tasks.items()},
        "annotators": annotators,
        "rejects": got.rejects,
    }
