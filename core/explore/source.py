"""What the explorer reads of a run folder, in one place (read through ``RunFolder`` and ``illusion.run.profiles``).

Only the finished run is required; diagnostics, a campaign's agreement and the activation
profiles are shown when the run has them (older runs have no profiles).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from illusion.errors import IllusionError
from illusion.run import profiles
from illusion.run.folder import AGREEMENT, DIAGNOSTICS, MANIFEST, STATS, RunFolder


@dataclass
class Source:
    """A run as the explorer sees it."""

    path: Path
    manifest: dict[str, Any]
    topk: list[dict[str, Any]]
    stats: dict[str, Any]
    diagnostics: dict[str, Any] | None
    agreement: dict[str, Any] | None
    profiles: tuple[profiles.Profiles, dict[tuple[str, int], dict[str, Any]]] | None

    @property
    def datasets(self) -> list[str]:
        return [d["name"] for d in self.manifest["datasets"]]

    @property
    def directions(self) -> list[dict[str, Any]]:
        return self.manifest["directions"]


def open_source(run_dir: str | Path) -> Source:
    """The run in ``run_dir``; a clear error when it is not a finished run."""
    folder = RunFolder(run_dir).require()
    manifest = folder.manifest()
    if not isinstance(manifest.get("datasets"), list) or not isinstance(manifest.get("directions"), list):
        raise IllusionError(f"{folder / MANIFEST}: no 'datasets' or 'directions' list; is this an `illusion run` folder?")
    diagnostics = folder.optional_json(DIAGNOSTICS)
    if diagnostics is not None and diagnostics.get("run_id") != manifest.get("run_id"):
        diagnostics = None  # written for another run: not this run's evidence
    return Source(
        folder.path,
        manifest,
        folder.topk(),
        folder.optional_json(STATS) or {},
        diagnostics,
        folder.optional_json(AGREEMENT),
        profiles.read(folder),
    )
