"""One cell of a sweep: the steps of ``illusion run`` a diagnosis needs (directions, top-k, statistics), then the diagnostics.

The datasets are the cell's subsamples with their vectors at the cell's layer and pooling, with their control
sets; driving tokens, activation profiles and the run folder are left out, since no diagnostic reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from illusion.diagnostics.suite import Settings, diagnose
from illusion.errors import IllusionError
from illusion.host import Host
from illusion.records import content_hash
from illusion.run.config import RunConfig
from illusion.run.data import RunData
from illusion.run.pipeline import Dataset, control_sets, manifest_of, run_statistics, sample_directions
from illusion.run.schema import ControlSet, Stats
from illusion.run.topk import extremes


@dataclass
class CellData(RunData):
    """A run held in memory: its statistics, top-k and control sets come from the cell, not from files."""

    found_stats: Stats | None = None
    found_top: dict[str, np.ndarray] = field(default_factory=dict)
    found_controls: list[ControlSet] = field(default_factory=list)

    def stats(self) -> Stats:
        if self.found_stats is None:
            raise IllusionError(f"sweep cell {self.path}: no statistics computed")
        return self.found_stats

    def top_index(self) -> dict[str, np.ndarray]:
        return self.found_top

    def controls(self) -> list[ControlSet]:
        return self.found_controls


@dataclass(frozen=True)
class CellResult:
    stats: Stats
    diagnostics: dict[str, Any]
    direction_ids: list[str]
    conditions: list[str]
    directions: np.ndarray


def subset(dataset: Dataset, vectors: np.ndarray, rows: np.ndarray) -> Dataset:
    """The dataset cut to ``rows`` with their vectors (the memory-mapped vectors themselves when it keeps them all)."""
    if len(rows) == len(dataset.records):
        return Dataset(dataset.name, dataset.plugin, dataset.records, dataset.hash, vectors)
    records = [dataset.records[i] for i in rows]
    return Dataset(dataset.name, dataset.plugin, records, content_hash(records), np.asarray(vectors[rows]))


def diagnose_cell(
    config: RunConfig,
    samplers: Sequence[Any],
    datasets: Sequence[Dataset],
    roles: Mapping[str, str],
    settings: Settings,
    label: str,
    host: Host,
) -> CellResult:
    """Directions, top-k, statistics and diagnostics of ``datasets`` (each with its vectors), as a run would compute them."""
    dim = datasets[0].encoded.shape[1]
    directions = sample_directions(samplers, datasets, dim, config.seed)
    conditions = directions.conditions
    found = {dataset.name: extremes(dataset.encoded, directions.vectors, config.k) for dataset in datasets}
    stats = run_statistics(datasets, directions, conditions, found, config)
    stored = directions.vectors.astype(np.float32)  # as a run writes them to directions.npy
    run = CellData(
        Path(label),
        manifest_of(config, datasets, directions, label),
        config,
        {dataset.name: dataset.records for dataset in datasets},
        {dataset.name: dataset.encoded for dataset in datasets},
        list(directions.ids),
        conditions,
        stored,
        found_stats=stats,
        found_top={name: np.asarray(result.top_index) for name, result in found.items()},
        found_controls=control_sets(datasets, config),
    )
    return CellResult(stats, diagnose(run, settings, roles=dict(roles), host=host), list(directions.ids), conditions, stored)
