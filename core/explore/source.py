"""What the explorer reads of a run: through ``illusion.open_run``, plus the files it does not cover.

Only the finished run is required; diagnostics, a campaign's agreement (``agreement.json``), the
activation profiles (``illusion.run.profiles``) and explanations (``explanations.jsonl``) are shown
when the run has them; older runs have no profiles. The listed sentences are streamed from
``topk.jsonl`` (``RunView.topk_rows``), never held whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from illusion.explore.explanations import Explanations, read_explanations
from illusion.run import profiles
from illusion.run.folder import AGREEMENT
from illusion.run.schema import DirectionEntry, Manifest, ProfileSentence, Stats
from illusion.run.view import RunView, open_run


@dataclass
class Source:
    """A run as the explorer sees it."""

    run: RunView
    stats: Stats | None  # None for a run without stats.json
    diagnostics: dict[str, Any] | None
    agreement: dict[str, Any] | None
    profiles: tuple[profiles.Profiles, dict[tuple[str, int], ProfileSentence]] | None
    explanations: Explanations

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def manifest(self) -> Manifest:
        return self.run.manifest

    @property
    def datasets(self) -> list[str]:
        return list(self.run.datasets)

    @property
    def directions(self) -> list[DirectionEntry]:
        return self.manifest.directions


def open_source(run_dir: str | Path) -> Source:
    """The run in ``run_dir``; a clear error when it is not a finished run."""
    run = open_run(run_dir)
    diagnostics = run.diagnostics_json() if run.diagnosed else None
    if diagnostics is not None and diagnostics.get("run_id") != run.run_id:
        diagnostics = None  # written for another run: not this run's evidence
    return Source(
        run,
        run.folder.optional_stats(),
        diagnostics,
        run.folder.optional_json(AGREEMENT),
        profiles.read(run.folder),
        read_explanations(run.path),
    )
