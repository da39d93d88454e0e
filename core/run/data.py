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
from illusion.run.folder import MANIFEST, STATS, TOPK, RunFolder
from illusion.run.lookup import DirectionSpec, neuron_labels, resolve_direction
from illusion.run.pipeline import Dataset, load_dataset, open_store
from illusion.run.store import entry_key
from illusion.run.summaries import SHARDED


@dataclass
class RunData:
    """Everything an analysis of a run needs, datasets in the run's order."""

    path: Path
    manifest: dict[str, Any]
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
        return resolve_direction(spec, self.direction_ids, self.directions, neuron_labels(self.manifest), host)

    def stats(self) -> dict[str, Any]:
        """The run's ``stats.json``: per-direction findings, their summary by condition, separability."""
        file = self.path / STATS
        found = RunFolder(self.path).read_json(STATS, "run statistics")
        missing = [key for key in ("directions", "conditions", "separability") if key not in found]
        if missing:
            raise IllusionError(f"{file}: no {', '.join(missing)}; rerun `illusion run`")
        return found

    def top_index(self) -> dict[str, np.ndarray]:
        """Per dataset, each direction's top-k sentence indices, shape (directions, k), from the run's ``topk.jsonl``."""
        file = self.path / TOPK
        rows = RunFolder(self.path).topk()
        try:
            top = {(row["direction"], row["dataset"]): [entry["id"] for entry in row["top"]] for row in rows}
            result = {}
            for name, records in self.records.items():
                position = {record.id: number for number, record in enumerate(records)}
                result[name] = np.array(
                    [[position[i] for i in top[identifier, name]] for identifier in self.direction_ids], dtype=np.int64
                )
        except (KeyError, TypeError) as exc:
            raise IllusionError(f"{file}: missing or unknown entry {exc}; it does not match the run's manifest") from None
        return result


def load_run_data(run_dir: str | Path, host: Host | None = None, datasets: Sequence[Dataset] | None = None) -> RunData:
    """The datasets, vectors and directions of the run in ``run_dir``.

    ``datasets`` (with their vectors) are those the run just made in memory: then nothing is reloaded.
    """
    path = Path(run_dir)
    folder = RunFolder(path)
    manifest = folder.manifest()
    try:
        config = parse(dict(manifest["config"]), f"{path / MANIFEST}: config")
        listed = {d["name"]: d for d in manifest["datasets"]}
        direction_ids = [d["id"] for d in manifest["directions"]]
        conditions = [d["condition"] for d in manifest["directions"]]
        identity, dim = manifest["model"], int(manifest["dim"])
        made_by = _made_by(manifest)
    except (KeyError, TypeError) as exc:
        raise IllusionError(f"{path / MANIFEST}: missing or malformed field {exc}; is this an `illusion run` folder?") from None
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
        direction_ids,
        conditions,
        folder.directions(len(direction_ids), dim),
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
    _cached_vectors(host, run.config, run.manifest["model"], run.directions.shape[1], made_by, [dataset], run.path)
    run.records[dataset.name] = dataset.records
    run.vectors[dataset.name] = dataset.encoded


def _made_by(manifest: dict[str, Any]) -> tuple[str, str]:
    """The distribution and version of the run's model-layer plugin, part of its vectors' store key."""
    listed = [p for p in manifest.get("plugins", []) if p["kind"] == "model layer"]
    if not listed:
        return ("?", "?")
    return Distribution(listed[0]["distribution"], listed[0]["version"], listed[0].get("fingerprint", "")).release


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


def _dataset(host: Host, choice: Any, config: RunConfig, listed: dict[str, Any], path: Path) -> Dataset:
    if choice.name not in listed:
        raise IllusionError(f"{path / MANIFEST}: dataset {choice.name!r} is in the config but not in 'datasets'")
    expected = listed[choice.name]["hash"]
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
