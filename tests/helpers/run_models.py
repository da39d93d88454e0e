"""Whole run-folder models made by hand, for unit tests that give a diagnostic a run that is not on disk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from illusion.directions import condition_of
from illusion.run.schema import Manifest, Separability, Stats


def manifest(sizes: Mapping[str, int], directions: Sequence[tuple[str, str]] = (), **fields: Any) -> Manifest:
    """A manifest of datasets ``{name: size}`` and ``directions`` ``(id, sampler)``; ``fields`` replace the rest."""
    return Manifest.model_validate(
        {
            "run_id": "run",
            "illusion_version": "0",
            "created": "2026-01-01T00:00:00+00:00",
            "seed": 0,
            "k": 10,
            "config": {},
            "datasets": [{"name": name, "plugin": "hand-made", "size": size, "hash": ""} for name, size in sizes.items()],
            "directions": [{"id": i, "sampler": sampler, "condition": condition_of(i)} for i, sampler in directions],
            "plugins": [],
            "timings": {},
            **fields,
        }
    )


def stats(datasets: Sequence[str]) -> Stats:
    """The statistics of a run of ``datasets`` with no directions and no dataset classifier."""
    return Stats(
        directions={}, conditions={}, separability=Separability(labels=list(datasets), accuracy=None, chance=None, confusion=None)
    )
