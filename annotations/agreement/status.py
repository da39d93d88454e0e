"""A campaign's state: its progress (``illusion.annotations.campaign.status``) and the agreement
so far (Krippendorff's alpha on "is there a pattern", with its interval, attention checks left out)."""

from __future__ import annotations

from typing import Any

from illusion.annotations.agreement.ratings import FIELDS, field_codes, load_labelled_run
from illusion.annotations.agreement.reliability import field_reliability
from illusion.annotations.campaign.attention import CONDITION
from illusion.annotations.campaign.backend import Backend
from illusion.annotations.campaign.importer import gather
from illusion.annotations.campaign.status import campaign_progress
from illusion.run.schema import Annotation


def campaign_status(run_dir, backend: Backend, n_resamples: int = 200) -> dict[str, Any]:
    """The campaign's state as read from its server(s) now; nothing is written."""
    got = gather(run_dir, backend)
    data = [row for row in got.rows if row.condition != CONDITION]
    return campaign_progress(got, backend) | {"pattern_alpha": _pattern_alpha(run_dir, data, n_resamples) if data else None}


def _pattern_alpha(run_dir, rows: list[Annotation], n_resamples: int) -> dict[str, Any]:
    labelled = load_labelled_run(run_dir, rows, "the campaign's server")
    spec = next(spec for spec in FIELDS if spec.name == "pattern")
    codes = field_codes(list(labelled.sets.values()), spec, labelled.annotators, labelled.k)
    found = field_reliability(
        codes, labelled.annotators, spec.level, spec.categories, n_resamples=n_resamples, seed=0, key="status/pattern"
    )
    return found["krippendorff_alpha"]
