"""How far a campaign has got: per annotator, tasks assigned, done and skipped, pace and time left,
attention-check score, the answers set aside as invalid, and the agreement so far (Krippendorff's alpha on "is there a pattern",
with its interval, attention checks left out)."""

from __future__ import annotations

from statistics import median
from typing import Any

from illusion.annotations.agreement.ratings import FIELDS, field_codes, load_labelled_run
from illusion.annotations.agreement.reliability import field_reliability
from illusion.annotations.labelstudio.attention import CONDITION, attention_scores
from illusion.annotations.labelstudio.importer import gather


def campaign_status(run_dir, url: str | None = None, api_key: str | None = None, n_resamples: int = 200) -> dict[str, Any]:
    """The campaign's state as read from its server(s) now; nothing is written."""
    got = gather(run_dir, url, api_key)
    seats = got.record.get("annotators", {})
    checks = attention_scores([row for row in got.rows if row["condition"] == CONDITION])
    data = [row for row in got.rows if row["condition"] != CONDITION]
    names = sorted({row["annotator"] for row in got.rows} | set(seats))
    annotators = {}
    for name in names:
        mine = [row for row in got.rows if row["annotator"] == name]
        times = [row["lead_time"] for row in mine if row["lead_time"] is not None]
        skipped = got.counts["skipped", name]
        assigned = sum(p.get("tasks", 0) for p in seats[name]["projects"].values()) if name in seats else None
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
        "pattern_alpha": _pattern_alpha(run_dir, data, n_resamples) if data else None,
    }


def _pattern_alpha(run_dir, rows: list[dict[str, Any]], n_resamples: int) -> dict[str, Any]:
    labelled = load_labelled_run(run_dir, rows, "the campaign's server")
    spec = next(spec for spec in FIELDS if spec.name == "pattern")
    codes = field_codes(list(labelled.sets.values()), spec, labelled.annotators, labelled.k)
    found = field_reliability(
        codes, labelled.annotators, spec.level, spec.categories, n_resamples=n_resamples, seed=0, key="status/pattern"
    )
    return found["krippendorff_alpha"]
