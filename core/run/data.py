"""A finished run's datasets, sentence vectors and directions, recovered from its folder.

Datasets are reloaded through their plugins, with the run's checks (their prepared records from the
store while their sources are unchanged), and compared with the hashes in the manifest; vectors come memory-mapped from the run's activation store (the model is loaded
only for an entry that is no longer cached); directions come from the run's ``directions.npy``;
its statistics and top-k from ``stats.json`` and ``topk.jsonl``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from illusion.common.hints import did_you_mean
from illusion.errors import IllusionError
from illusion.host import Distribution, Host
from illusion.records import Record
from illusion.run.config import PluginChoice, RunConfig, apply_override, parse
from illusion.run.derived import Derived
from illusion.run.folder import MANIFEST, TOPK, RunFolder
from illusion.run.lookup import DirectionSpec, neuron_conditions, resolve_direction
from illusion.run.pipeline import Dataset, load_dataset, open_store
from illusion.run.schema import ControlSet, DatasetEntry, Manifest, Stats
from illusion.run.store import entry_key
from illusion.run.summaries import SHARDED


@dataclass
class RunData:
    """Everything an analysis of a run needs, datasets in the run's order."""

    path: Path
    manifest: Manifest
    config: RunConfig
    records: dict[str, Sequence[Record]]
    vectors: dict[str, np.ndarray]
    direction_ids: list[str]
    conditions: list[str]
    directions: np.ndarray  # (directions, dim), float32, rows in ``direction_ids`` order

    @property
    def names(self) -> list[str]:
        return list(self.records)

    def texts(self, name: str) -> list[str]:
        return [record.text for record in self.records[name]]

    def direction(self, identifier: str) -> np.ndarray:
        """One direction by id; a clear error naming the known ones otherwise."""
        if identifier not in self.direction_ids:
            hint = did_you_mean(identifier, self.direction_ids, n=3) or f" (e.g. {self.direction_ids[0]!r})"
            raise IllusionError(f"{self.path / MANIFEST}: no direction {identifier!r}{hint}")
        return self.directions[self.direction_ids.index(identifier)]

    def resolve(self, spec: DirectionSpec, host: Host | None = None) -> tuple[str, np.ndarray]:
        """(name, unit vector) of any direction: an id of the run, a neuron index, ``file:PATH[#ROW]``, a vector."""
        return resolve_direction(spec, self.direction_ids, self.directions, neuron_conditions(self.manifest), host)

    def stats(self) -> Stats:
        """The run's ``stats.json``: per-direction findings, their summary by condition, separability."""
        return RunFolder(self.path).stats()

    def controls(self) -> list[ControlSet]:
        """The run's control sets (``controls.jsonl``); none for a run made without them."""
        return RunFolder(self.path).controls()

    def top_index(self) -> dict[str, np.ndarray]:
        """Per dataset, each direction's top-k sentence indices, shape (directions, k), from the run's ``topk.jsonl``."""
        file = self.path / TOPK
        rows = RunFolder(self.path).topk()
        try:
            top = {(row.direction, row.dataset): [entry.id for entry in row.top] for row in rows}
            result = {}
            for name, records in self.records.items():
                position = {record.id: number for number, record in enumerate(records)}
                result[name] = np.array(
                    [[position[i] for i in top[identifier, name]] for identifier in self.direction_ids], dtype=np.int64
                )
        except KeyError as exc:
            raise IllusionError(f"{file}: missing or unknown entry {exc}; it does not match the run's manifest") from None
        return result


def load_run_data(run_dir: str | Path, host: Host | None = None, datasets: Sequence[Dataset] | None = None) -> RunData:
    """The datasets, vectors and directions of the run in ``run_dir``.

    ``datasets`` (with their vectors) are those the run just made in memory: then nothing is reloaded.
    """
    path = Path(run_dir)
    folder = RunFolder(path)
    manifest = folder.manifest()
    config = parse(dict(manifest.config), f"{path / MANIFEST}: config")
    listed = {d.name: d for d in manifest.datasets}
    identity, dim = _model_identity(manifest, path), _dim(manifest, path)
    made_by = _made_by(manifest)
    if datasets is None:
        host = host or Host()
        datasets = [_dataset(host, choice, config, listed, path) for choice in config.datasets]
        _cached_vectors(host, config, identity, dim, made_by, datasets, path)
    vectors = {dataset.name: dataset.encoded for dataset in datasets}
    return RunData(
        path,
        manifest,
        config,
        {dataset.name: dataset.records for dataset in datasets},
        vectors,
        manifest.direction_ids,
        manifest.conditions,
        folder.directions(len(manifest.directions), dim),
    )


def dataset_choice(spec: str) -> PluginChoice:
    """A dataset given on the command line: ``PLUGIN:KEY=VALUE,KEY=VALUE`` (``name=`` names it; default: the plugin)."""
    plugin, _, rest = spec.partition(":")
    options: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        apply_override(options, item)
    name = str(options.pop("name", plugin))
    if not plugin.strip() or any(c in name for c in ":@|/ "):
        raise IllusionError(f"dataset {spec!r}: write PLUGIN:KEY=VALUE,... e.g. text:path=recipes.txt,name=recipes")
    return PluginChoice(name, plugin.strip(), options)


def add_dataset(run: RunData, choice: PluginChoice, host: Host) -> None:
    """Add a dataset to ``run`` in memory; its vectors come through the run's store (computed once, by the run's model)."""
    if choice.name in run.records:
        raise IllusionError(f"run {run.path} already has a dataset {choice.name!r}; name the new one with name=...")
    dataset = load_dataset(host, choice, run.config)
    made_by = _made_by(run.manifest)
    identity = _model_identity(run.manifest, run.path)
    _cached_vectors(host, run.config, identity, run.directions.shape[1], made_by, [dataset], run.path)
    run.records[dataset.name] = dataset.records
    run.vectors[dataset.name] = dataset.encoded


def _made_by(manifest: Manifest) -> tuple[str, str]:
    """The distribution and version of the run's model-layer plugin, part of its vectors' store key."""
    plugin = manifest.made_by()
    if plugin is None:
        return ("?", "?")
    return Distribution(plugin.distribution, plugin.version, plugin.fingerprint).release


def _model_identity(manifest: Manifest, path: Path) -> dict[str, Any]:
    if manifest.model is None:
        raise IllusionError(
            f"{path / MANIFEST}: no model; runs before the model was recorded cannot be reloaded, rerun `illusion run`"
        )
    return dict(manifest.model)


def _dim(manifest: Manifest, path: Path) -> int:
    if manifest.dim is None:
        raise IllusionError(
            f"{path / MANIFEST}: no dim; runs before the vector size was recorded cannot be reloaded, rerun `illusion run`"
        )
    return manifest.dim


def _cached_vectors(
    host: Host,
    config: RunConfig,
    identity: dict[str, Any],
    dim: int,
    made_by: tuple[str, str],
    datasets: Sequence[Dataset],
    path: Path,
) -> None:
    """Set each dataset's vectors from the run's store, encoding (once the model is checked) what is no longer cached."""
    store = open_store(config)
    model = None
    for dataset in datasets:
        key = entry_key(identity, dataset.hash, store.dtype, made_by)
        dataset.vectors = store.find(key, len(dataset.records), dim)
        if dataset.vectors is None:
            model = model or _model(host, config, identity, path)
            dataset.vectors = store.compute(
                key,
                [r.text for r in dataset.records],
                dim,
                model.encode,
                describe={"dataset": dataset.name, "model": identity, "distribution": " ".join(made_by)},
                owner=f"model layer {config.model.plugin!r} ({' '.join(made_by)})",
            )


def _dataset(host: Host, choice: Any, config: RunConfig, listed: dict[str, DatasetEntry], path: Path) -> Dataset:
    if choice.name not in listed:
        raise IllusionError(f"{path / MANIFEST}: dataset {choice.name!r} is in the config but not in 'datasets'")
    expected = listed[choice.name].hash
    if expected.startswith(SHARDED):  # a distributed run's, read in its shards
        from illusion.run.shards import read_sharded

        dataset = read_sharded(host, choice, config)
    else:
        dataset = load_dataset(host, choice, config, Derived(open_store(config).root))  # records kept by the run's store
    if dataset.hash != expected:
        raise IllusionError(
            f"dataset {choice.name!r} ({choice.plugin}) no longer gives the sentences of run "
            f"{path}: its source changed; rerun `illusion run`"
        )
    return dataset


def _model(host: Host, config: RunConfig, identity: dict[str, Any], path: Path) -> Any:
    model = host.get("model layer", config.model.plugin).create(config.model.options)
    if model.identity != identity:
        raise IllusionError(
            f"the model layer of run {path} has changed since the run (its files or options differ) "
            "and its vectors are no longer cached; rerun `illusion run`"
        )
    return model
