"""What the explorer reads of a run: through ``illusion.open_run``, plus the files it does not cover.

Only the finished run is required; diagnostics, a campaign's agreement (``agreement.json``) and the
activation profiles (``illusion.run.profiles``) are shown when the run has them; older runs have no
profiles.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from illusion.errors import IllusionError
from illusion.run import profiles
from illusion.run.folder import AGREEMENT
from illusion.run.schema import DirectionEntry, Manifest, ProfileSentence, Stats
from illusion.run.view import open_run


@dataclass
class Source:
    """A run as the explorer sees it."""

    path: Path
    manifest: Manifest
    sets: dict[str, dict[str, dict[str, list[dict[str, Any]]]]]  # direction -> dataset -> "top"/"bottom" -> entries
    stats: Stats | None  # None for a run without stats.json
    diagnostics: dict[str, Any] | None
    agreement: dict[str, Any] | None
    profiles: tuple[profiles.Profiles, dict[tuple[str, int], ProfileSentence]] | None

    @property
    def datasets(self) -> list[str]:
        return self.manifest.dataset_names

    @property
    def directions(self) -> list[DirectionEntry]:
        return self.manifest.directions


def listed_sets(topk: Any) -> dict[str, dict[str, dict[str, list[dict[str, Any]]]]]:
    """``RunView.topk()`` regrouped: direction -> dataset -> side -> entries in rank order."""
    sets: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = defaultdict(
        lambda: defaultdict(lambda: {"top": [], "bottom": []})
    )
    columns = ("direction", "dataset", "side", "id", "text", "score", "token", "span_start", "span_end")
    for direction, dataset, side, identifier, text, score, token, start, end in zip(*(topk[c].tolist() for c in columns)):
        span = None if pd.isna(start) or pd.isna(end) else [int(start), int(end)]
        sets[direction][dataset][side].append({"id": identifier, "text": text, "score": score, "token": token, "span": span})
    return sets


def open_source(run_dir: str | Path) -> Source:
    """The run in ``run_dir``; a clear error when it is not a finished run."""
    run = open_run(run_dir)
    diagnostics = run.diagnostics_json() if run.diagnosed else None
    if diagnostics is not None and diagnostics.get("run_id") != run.run_id:
        diagnostics = None  # written for another run: not this run's evidence
    try:
        sets = listed_sets(run.topk())  # in rank order, as the run listed them
    except (KeyError, TypeError) as exc:
        raise IllusionError(f"{run.path}: topk.jsonl has a malformed entry ({exc}); rerun `illusion run`") from None
    return Source(
        run.path,
        run.manifest,
        sets,
        run.folder.optional_stats(),
        diagnostics,
        run.folder.optional_json(AGREEMENT),
        profiles.read(run.folder),
    )
