"""``illusion.open_run``: one finished run folder as pandas DataFrames, and activations on any direction.

Opening reads only ``manifest.json``. Each table reads its own file on first use and is cached; the
sentences and their vectors are reloaded on first use through :func:`illusion.run.data.load_run_data`
(datasets through their plugins, checked against the manifest's hashes; vectors memory-mapped from
the run's activation store, never recomputed while cached). Every table is documented column by
column in docs/analysis.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from illusion.errors import IllusionError
from illusion.run.folder import ANNOTATIONS, DIAGNOSTICS, MANIFEST, RERUN, RUN_FILE, TOPK, RunFolder
from illusion.run.lookup import DirectionSpec, neuron_conditions, resolve_direction
from illusion.run.schema import TopkRow, parse

if TYPE_CHECKING:
    from illusion.host import Host
    from illusion.run.config import RunConfig
    from illusion.run.data import RunData
    from illusion.run.schema import Manifest, Stats

TOPK_COLUMNS = [
    "direction",
    "sampler",
    "condition",
    "dataset",
    "side",
    "rank",
    "id",
    "text",
    "score",
    "token",
    "span_start",
    "span_end",
]


def open_run(path: str | os.PathLike[str], host: Host | None = None) -> RunView:
    """The run folder ``path`` that ``illusion run`` wrote, ready to read; ``host`` reloads its datasets."""
    return RunView(path, host)


class RunView:
    """A finished run, read-only: its facts, tables and per-sentence activations."""

    def __init__(self, path: str | os.PathLike[str], host: Host | None = None):
        self.folder = RunFolder(path).require()
        self.path = self.folder.path
        self.manifest: Manifest = self.folder.manifest()
        self._host = host
        self.direction_ids: list[str] = self.manifest.direction_ids
        self.datasets: list[str] = self.manifest.dataset_names
        if self.manifest.dim is None:
            raise IllusionError(f"{self.path / MANIFEST}: no dim; rerun `illusion run`")
        self.k, self.dim = self.manifest.k, self.manifest.dim

    def __repr__(self) -> str:
        return f"RunView({str(self.path)!r}: {len(self.direction_ids)} directions, datasets {', '.join(self.datasets)})"

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @cached_property
    def config(self) -> RunConfig:
        """The run's resolved configuration."""
        from illusion.run.config import parse

        return parse(dict(self.manifest.config), f"{self.path / MANIFEST}: config")

    def facts(self) -> pd.DataFrame:
        """The manifest's facts, one row each (``fact``, ``value``); nested values (model, config) as JSON text."""
        skip = {"datasets", "directions", "plugins", "timings"}
        rows = [(key, value) for key, value in self.manifest.to_json().items() if key not in skip]
        rows += [(f"dataset.{d.name}.size", d.size) for d in self.manifest.datasets]
        rows += [(f"timing.{step}", seconds) for step, seconds in self.manifest.timings.items()]
        values = [
            value if isinstance(value, str | int | float | bool) else json.dumps(value, sort_keys=True) for _, value in rows
        ]
        return pd.DataFrame({"fact": [key for key, _ in rows], "value": [str(v) for v in values]})

    def directions(self) -> pd.DataFrame:
        """One row per direction: ``direction``, ``sampler`` (plugin), ``condition`` (the sampler's ``label`` in the configuration)."""
        frame = pd.DataFrame([d.to_json() for d in self.manifest.directions], columns=["id", "sampler", "condition"])
        return frame.rename(columns={"id": "direction"})

    def direction_vectors(self) -> np.ndarray:
        """``directions.npy``: (directions, dim) float32, rows in ``direction_ids`` order."""
        return self.folder.directions(len(self.direction_ids), self.dim)

    def topk(
        self, side: str = "both", direction: str | Collection[str] | None = None, dataset: str | Collection[str] | None = None
    ) -> pd.DataFrame:
        """The listed sentences, one row per (direction, dataset, side, rank); ``side`` is "top", "bottom" or "both".

        ``direction`` and ``dataset`` (a name or several) keep only their rows, read by streaming ``topk.jsonl``:
        the whole file is never held in memory.
        """
        if side not in ("top", "bottom", "both"):
            raise IllusionError(f"topk: side must be 'top', 'bottom' or 'both', not {side!r}")
        if direction is None and dataset is None:
            frame = self._topk
        else:
            frame = _topk_frame(self.topk_rows(direction, dataset))
        return frame if side == "both" else frame[frame["side"] == side].reset_index(drop=True)

    def topk_rows(
        self, direction: str | Collection[str] | None = None, dataset: str | Collection[str] | None = None
    ) -> Iterator[TopkRow]:
        """``topk.jsonl``'s rows (one per direction and dataset) as they are read, one at a time, optionally filtered."""
        directions, datasets = _wanted(direction), _wanted(dataset)
        # A line can hold a wanted name only if the name's JSON text is in it: lines without one are not parsed.
        needles = [json.dumps(n, ensure_ascii=a) for n in (directions or datasets or ()) for a in (True, False)]
        file = self.folder / TOPK
        if not file.is_file():
            raise IllusionError(f"{file}: no such {RUN_FILE}")
        with file.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip() or (needles and not any(needle in line for needle in needles)):
                    continue
                try:
                    found = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise IllusionError(f"{file}, line {number}: not valid JSON ({exc.msg})") from None
                row = parse(TopkRow, found, f"{file}, line {number}", RERUN)
                if (directions is None or row.direction in directions) and (datasets is None or row.dataset in datasets):
                    yield row

    @cached_property
    def _topk(self) -> pd.DataFrame:
        return _topk_frame(self.folder.topk())

    def controls(self) -> pd.DataFrame:
        """The random-sentence control sets: ``set``, ``dataset``, ``position``, ``id``, ``text``."""
        rows = [
            (c.set, c.dataset, position, s.id, s.text)
            for c in self.folder.controls()
            for position, s in enumerate(c.sentences, 1)
        ]
        return pd.DataFrame(rows, columns=["set", "dataset", "position", "id", "text"])

    def stats(self) -> pd.DataFrame:
        """``stats.json`` per direction: pooled top-k composition and the share of overlapping dataset pairs."""
        rows = []
        for identifier, found in self._stats.directions.items():
            overlaps = list(found.range_overlap.values())
            row: dict[str, object] = {
                "direction": identifier,
                "condition": found.condition,
                "largest_dataset": found.pooled.largest_dataset,
                "largest_share": found.pooled.largest_share,
                "range_overlap_share": float(np.mean(overlaps)) if overlaps else np.nan,
            }
            row.update({f"pooled_{name}": found.pooled.counts.get(name, 0) for name in self.datasets})
            rows.append(row)
        return pd.DataFrame(rows)

    def range_overlap(self) -> pd.DataFrame:
        """Per direction and pair of datasets: whether their top-k activation ranges overlap."""
        rows = [
            (identifier, found.condition, *pair.split("|", 1), overlap)
            for identifier, found in self._stats.directions.items()
            for pair, overlap in found.range_overlap.items()
        ]
        return pd.DataFrame(rows, columns=["direction", "condition", "dataset_a", "dataset_b", "overlap"])

    def separability(self) -> dict[str, Any]:
        """The run's dataset classifier (``stats.json``): accuracy, chance, confusion matrix."""
        return self._stats.separability.to_json()

    def stats_json(self) -> dict[str, Any]:
        """``stats.json`` as written by ``illusion run`` (per direction, per condition, separability)."""
        return self._stats.to_json()

    @cached_property
    def _stats(self) -> Stats:
        return self.folder.stats()

    @property
    def diagnosed(self) -> bool:
        return self.folder.has(DIAGNOSTICS)

    def diagnostics_json(self) -> dict[str, Any]:
        """``diagnostics.json`` as written by ``illusion diagnose`` (docs/diagnostics.md); an error when absent."""
        found = self.folder.diagnostics()
        if found is None:
            raise IllusionError(f"{self.path / DIAGNOSTICS}: not diagnosed yet; run `illusion diagnose {self.path}`")
        return found.to_json()

    def diagnostics(self) -> pd.DataFrame:
        """Per direction: illusion score and its parts with their 95% intervals (``score_low``, ``score_high``, ...),
        locality, monotone words; empty when not diagnosed."""
        if not self.diagnosed:
            return pd.DataFrame(columns=["direction", "condition", "score"])
        from illusion.run.tables import diagnostics_rows

        return pd.DataFrame(diagnostics_rows(self.diagnostics_json()))

    def findings(self) -> pd.DataFrame:
        """Every diagnostic's findings (built-in and installed), one row per finding and condition: ``value``,
        ``low``, ``high``, ``chance``, the paper's value and whether it is comparable; empty when not diagnosed."""
        from illusion.run.tables import FINDING_COLUMNS, findings_rows

        found = self.folder.diagnostics()
        return pd.DataFrame(findings_rows(found) if found else [], columns=FINDING_COLUMNS)

    def reliability(self) -> dict[str, Any] | None:
        """How reliable the illusion score ranking is at the run's size (``uncertainty.reliability`` of
        ``diagnostics.json``: split-half rank correlation, Spearman-Brown, sentences needed); None when not diagnosed."""
        if not self.diagnosed:
            return None
        return self.diagnostics_json().get("uncertainty", {}).get("reliability")

    def annotations(self) -> pd.DataFrame | None:
        """``annotations.jsonl`` (one row per task and annotator), or None before a campaign is imported."""
        if not self.folder.has(ANNOTATIONS):
            return None
        return pd.DataFrame([row.to_json() for row in self.folder.annotations()])

    def explanations(self) -> pd.DataFrame:
        """``explanations.jsonl`` (``illusion explain``), one row per direction, explainer, source and target dataset:
        the explanation, its detector pattern, the AUROC on the target with its 95% interval, and the verdict
        (holds, fails, untestable); empty before ``illusion explain``."""
        from illusion.run.tables import EXPLANATION_COLUMNS, explanation_rows

        rows = explanation_rows(self.folder.explanations())
        return pd.DataFrame(rows, columns=EXPLANATION_COLUMNS)

    # -- sentences and activations: datasets and vectors, loaded on first use --------------------

    @cached_property
    def data(self) -> RunData:
        """The run's records, memory-mapped vectors and directions (:class:`illusion.run.data.RunData`)."""
        from illusion.run.data import load_run_data

        return load_run_data(self.path, self._host)

    def sentences(self, dataset: str | None = None) -> pd.DataFrame:
        """``dataset``, ``index`` (row in the store), ``id``, ``text`` of one dataset, or of all in run order."""
        names = self._datasets(dataset)
        frames = [
            pd.DataFrame(
                {
                    "dataset": name,
                    "index": np.arange(len(self.data.records[name])),
                    "id": [r.id for r in self.data.records[name]],
                    "text": self.data.texts(name),
                }
            )
            for name in names
        ]
        return pd.concat(frames, ignore_index=True)

    def vectors(self, dataset: str) -> np.ndarray:
        """One dataset's sentence vectors, (sentences, dim), memory-mapped from the activation store."""
        return self.data.vectors[self._datasets(dataset)[0]]

    def direction(self, spec: DirectionSpec) -> np.ndarray:
        """The unit vector of ``spec``: a direction id, a neuron index, ``file:PATH[#ROW]`` or a vector."""
        return self._resolve(spec)[1]

    def activations(self, direction: DirectionSpec, dataset: str | None = None) -> pd.DataFrame:
        """Every sentence's activation (projection on ``direction``): ``dataset``, ``index``, ``id``, ``text``, ``activation``."""
        from illusion.common.chunks import project

        name, vector = self._resolve(direction)
        frame = self.sentences(dataset)
        frame["activation"] = np.concatenate([project(self.vectors(n), vector[None, :])[:, 0] for n in self._datasets(dataset)])
        frame.attrs["direction"] = name
        return frame

    def _resolve(self, spec: DirectionSpec) -> tuple[str, np.ndarray]:
        return resolve_direction(spec, self.direction_ids, self.direction_vectors(), neuron_conditions(self.manifest), self._host)

    def _datasets(self, dataset: str | None) -> list[str]:
        if dataset is None:
            return list(self.datasets)
        if dataset not in self.datasets:
            raise IllusionError(f"run {self.path}: no dataset {dataset!r} (datasets: {', '.join(self.datasets)})")
        return [dataset]


def _wanted(names: str | Collection[str] | None) -> frozenset[str] | None:
    return None if names is None else frozenset([names] if isinstance(names, str) else names)


def _topk_frame(rows: Iterable[TopkRow]) -> pd.DataFrame:
    """``topk.jsonl`` rows flattened: one row per listed sentence, in ``TOPK_COLUMNS``."""
    flat = []
    for row in rows:
        for side, entries in (("top", row.top), ("bottom", row.bottom)):
            for rank, entry in enumerate(entries, 1):
                start, end = entry.span or (None, None)
                flat.append(
                    (row.direction, row.sampler, row.condition, row.dataset, side, rank)
                    + (entry.id, entry.text, entry.score, entry.token, start, end)
                )
    return pd.DataFrame(flat, columns=TOPK_COLUMNS).astype({"span_start": "Int64", "span_end": "Int64"})
