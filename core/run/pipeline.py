"""``illusion run``: vectors per dataset, directions, top/bottom-k per direction and dataset, controls, statistics."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from illusion import __version__
from illusion.common.progress import Reporter
from illusion.directions import Directions, SamplerContext
from illusion.errors import IllusionError
from illusion.host import Host
from illusion.model_layer import DRIVING_METHODS
from illusion.records import Record, content_hash
from illusion.run import control_sets as unlisted
from illusion.run import profiles, stats, warm
from illusion.run.config import RunConfig
from illusion.run.control_sets import ATTENTION, CONTROL
from illusion.run.derived import Derived
from illusion.run.folder import CHECKS, CONTROLS, DIRECTIONS, MANIFEST, MARKS, STATS, TOPK, RunFolder
from illusion.run.lazy_layer import LazyLayer
from illusion.run.listing import Listing, Slot
from illusion.run.schema import (
    FORMAT,
    CheckSet,
    ControlSet,
    DatasetEntry,
    DirectionEntry,
    DrivingTokens,
    Manifest,
    Model,
    PluginEntry,
    RayFacts,
    Stats,
    TopkRow,
)
from illusion.run.shown_marks import own_directions
from illusion.run.store import ActivationStore, MemoryStore, default_cache_dir, entry_key
from illusion.run.tokens import TokenCache, TokenKeeper, mark_tokens


@dataclass
class Dataset:
    name: str
    plugin: str
    records: Sequence[Record]
    hash: str
    vectors: np.ndarray | None = None

    @property
    def encoded(self) -> np.ndarray:
        """The vectors, once the run has encoded (or loaded) them."""
        if self.vectors is None:
            raise IllusionError(f"dataset {self.name!r} has no vectors yet")
        return self.vectors


@dataclass
class RunResult:
    """What a run produced, in memory (the files in ``out`` hold the same)."""

    out: Path
    manifest: Manifest
    topk: list[TopkRow]
    controls: list[ControlSet]
    stats: Stats
    timings: dict[str, float] = field(default_factory=dict)
    datasets: list[Dataset] = field(default_factory=list)  # with their vectors


class Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings[step] = round(time.perf_counter() - start, 3)


def resolved_samplers(host: Host, config: RunConfig) -> list[tuple[Any, Any]]:
    """Each configured sampler with its plugin, its options checked against the plugin's (a clear error if not)."""
    samplers = [(choice, host.get("direction sampler", choice.plugin)) for choice in config.samplers]
    for choice, plugin in samplers:
        plugin.resolve(choice.options)
    return samplers


def run(
    config: RunConfig, out: str | Path, host: Host | None = None, reporter: Reporter | None = None, cache: bool = True
) -> RunResult:
    """Run the whole job described by ``config`` and write the run folder ``out`` (``cache=False``: no activation store)."""
    host = host or Host()
    reporter = reporter or Reporter(quiet=True)
    out, timer = Path(out), Timer()
    model_plugin = host.get("model layer", config.model.plugin)
    model_plugin.resolve(config.model.options)
    samplers = resolved_samplers(host, config)
    store = open_store(config) if cache else MemoryStore(config.store_dtype)
    derived = Derived(store.root) if isinstance(store, ActivationStore) else None

    with timer("datasets"):
        datasets = [load_dataset(host, choice, config, derived) for choice in config.datasets]
    made_by = host.distribution_of("model layer", config.model.plugin)
    with timer("model"):
        model = LazyLayer(model_plugin, config.model.options, made_by.release, derived)
        keys = {d.name: entry_key(model.identity, d.hash, store.dtype, made_by.release) for d in datasets}
        if not isinstance(store, ActivationStore) or not all(map(store.has, keys.values())):
            model.layer()  # created here, as its vectors are needed
    keeper = TokenKeeper(model)
    with timer("vectors"), model_plugin.blamed(" while encoding"):
        for dataset in datasets:
            with reporter.step(f"vectors: {dataset.name}", len(dataset.records)) as advance:
                dataset.vectors = store.compute(
                    keys[dataset.name],
                    [r.text for r in dataset.records],
                    model.dim,
                    lambda texts: keeper.encode(texts, progress=advance),
                    progress=advance,
                    describe={"dataset": dataset.name, "model": model.identity, "distribution": str(made_by)},
                    owner=f"{model_plugin.label} ({made_by}) on dataset {dataset.name!r}",
                )
    with timer("directions"):
        directions = sample_directions(samplers, datasets, model.dim, config.seed)
    conditions = directions.conditions
    with timer("top-k"), reporter.step("top-k", len(datasets)) as advance:
        found = {}
        for dataset in datasets:
            found[dataset.name] = warm.ranked(derived, keys[dataset.name], dataset.encoded, directions.vectors, config.k)
            advance(1)
    sampler_of = config.sampler_of()
    listings = topk_rows(datasets, directions, conditions, sampler_of, found)
    with timer("checks"):
        checks_of = {
            d.name: warm.attention_checks(
                d.name, d.hash, [r.text for r in d.records], config.k, config.checks, config.seed, derived
            )
            for d in datasets
        }
    controls, checks = control_sets(datasets, config), check_sets(datasets, checks_of)
    own, marks = own_directions(datasets, shown_indices(datasets, found, config, checks_of))
    both = Directions([*directions.ids, *own.ids], np.concatenate([directions.vectors, own.vectors]))
    with timer("tokens"), model_plugin.blamed(" while finding driving tokens"):
        disk = store if isinstance(store, ActivationStore) else None
        method = model.method
        # Keyed by the run's directions: the sentences' own directions are named by their dataset and text.
        token_cache = TokenCache(disk, model.identity, made_by.release, directions.vectors, method)
        mark_tokens(listings + marks, both, model, token_cache, keeper.kept, reporter)
    keeper.kept.clear()  # free the kept token vectors
    with timer("profiles"), reporter.step("activation profiles", len(datasets)) as advance:
        run_profiles = profiles.compute(
            {d.name: d.encoded for d in datasets}, directions.vectors, found, config.k, config.seed, advance
        )
    with timer("statistics"):
        run_stats = run_statistics(
            datasets, directions, conditions, found, config, classifier=warm.dataset_classifier(derived, keys)
        )
    manifest = run_manifest(config, host, datasets, directions, model, method, timer.timings)
    topk = [listing.row() for listing in listings]
    marked = [listing.top[0].mark(listing.dataset) for listing in marks]
    folder_sets: dict[str, Sequence[Model]] = {TOPK: topk, CONTROLS: controls, CHECKS: checks, MARKS: marked}
    write_folder(out, folder_sets, run_stats, directions, run_profiles, {d.name: d.records for d in datasets}, manifest)
    return RunResult(out, manifest, topk, controls, run_stats, timer.timings, datasets)


def write_folder(
    out: Path,
    sets: dict[str, Sequence[Model]],
    run_stats: Stats,
    directions: Directions,
    run_profiles: profiles.Profiles,
    records: dict[str, Sequence[Record]],
    manifest: Manifest,
) -> None:
    """Write the run folder ``out`` (``sets``: the JSON-lines files by name), the manifest last: a folder
    with a manifest is a finished run."""
    out.mkdir(parents=True, exist_ok=True)
    folder = RunFolder(out)
    for name, rows in sets.items():
        folder.write_rows(name, rows)
    folder.write_model(STATS, run_stats)
    folder.write_npy(DIRECTIONS, directions.vectors.astype(np.float32))
    profiles.write(folder, run_profiles, records)
    folder.write_model(MANIFEST, manifest)


def open_store(config: RunConfig) -> ActivationStore:
    """The activation store a run reads and fills: ``cache_dir`` (else the default), in ``store_dtype``."""
    return ActivationStore(Path(config.cache_dir).expanduser() if config.cache_dir else default_cache_dir(), config.store_dtype)


def load_dataset(host: Host, choice: Any, config: RunConfig, derived: Derived | None = None) -> Dataset:
    """One dataset of the run, prepared and checked (unique ids: by the plugin's ``load``): not empty, at least k
    sentences; its records kept in ``derived`` (see :func:`illusion.run.warm.dataset_records`)."""
    records = warm.dataset_records(host, choice, config.seed, derived)
    if not records:
        raise IllusionError(
            f"dataset {choice.name!r} ({choice.plugin}) has no sentences left: check its options (min_words, max_words, filters)"
        )
    if len(records) < config.k:
        raise IllusionError(
            f"dataset {choice.name!r} has {len(records)} sentences, fewer than k = {config.k}: lower k or add sentences"
        )
    return Dataset(choice.name, choice.plugin, records, content_hash(records))


def sample_directions(samplers: Sequence[Any], datasets: Sequence[Dataset], dim: int, seed: int) -> Directions:
    """Every sampler's directions, ids prefixed by its condition (its name in the config), from the datasets' vectors."""
    vectors = {dataset.name: dataset.encoded for dataset in datasets}
    context = SamplerContext(dim, seed, list(vectors), vectors.__getitem__)
    parts = [plugin.sample(context, choice.options).prefixed(choice.name) for choice, plugin in samplers]
    return Directions([i for part in parts for i in part.ids], np.concatenate([part.vectors for part in parts]))


def _slot(record: Record, score: float) -> Slot:
    return Slot(record.id, record.text, round(float(score), 6))


def topk_rows(
    datasets: Sequence[Dataset], directions: Directions, conditions: list[str], sampler_of: dict[str, str], found: dict
) -> list[Listing]:
    """``topk.jsonl``'s rows, before their driving tokens are found (then :meth:`Listing.row` types them): each
    direction's top and bottom k in each dataset, with ids, texts and scores."""
    rows = []
    for d, (identifier, condition) in enumerate(zip(directions.ids, conditions)):
        for dataset in datasets:
            found_here = found[dataset.name]
            rows.append(
                Listing(
                    direction=identifier,
                    dataset=dataset.name,
                    top=[_slot(dataset.records[i], s) for i, s in zip(found_here.top_index[d], found_here.top_score[d])],
                    bottom=[_slot(dataset.records[i], s) for i, s in zip(found_here.bottom_index[d], found_here.bottom_score[d])],
                    sampler=sampler_of[condition],
                    condition=condition,
                )
            )
    return rows


def control_indices(name: str, size: int, config: RunConfig) -> list[np.ndarray]:
    """The sentences (indices) of the control sets of a dataset of ``size`` sentences."""
    return unlisted.control_indices(name, size, config.k, config.controls, config.seed)


def control_sets(datasets: Sequence[Dataset], config: RunConfig) -> list[ControlSet]:
    """The paper's control: seeded random sets of k sentences from each dataset."""
    return [
        unlisted.control_set(f"{CONTROL}:{d.name}:{n}", d.name, d.records, chosen)
        for d in datasets
        for n, chosen in enumerate(control_indices(d.name, len(d.records), config))
    ]


def check_sets(datasets: Sequence[Dataset], checks_of: dict[str, list[tuple[str, np.ndarray]]]) -> list[CheckSet]:
    """Attention checks (``checks_of``: each dataset's words and sentence indices): sets of k sentences that share a word."""
    return [
        unlisted.check_set(f"{ATTENTION}:{d.name}:{n}", d.name, d.records, chosen, word)
        for d in datasets
        for n, (word, chosen) in enumerate(checks_of[d.name])
    ]


def shown_indices(
    datasets: Sequence[Dataset], found: dict, config: RunConfig, checks_of: dict[str, list[tuple[str, np.ndarray]]]
) -> dict[str, set[int]]:
    """Per dataset, the sentences a campaign shows: every direction's top k, the control sets and the checks."""
    shown = {}
    for d in datasets:
        shown[d.name] = {int(i) for i in np.asarray(found[d.name].top_index).ravel()}
        shown[d.name] |= {int(i) for chosen in control_indices(d.name, len(d.records), config) for i in chosen}
        shown[d.name] |= {int(i) for _, chosen in checks_of[d.name] for i in chosen}
    return shown


def run_statistics(
    datasets, directions, conditions, found, config, vectors=None, classifier: warm.Classifier = stats.dataset_classifier
) -> Stats:
    """stats.json: per-direction findings from the top-k, their summary by condition, the dataset ``classifier``
    (on ``vectors`` by dataset name, by default each dataset's own; a distributed run gives its sample's)."""
    top = {ds.name: (found[ds.name].top_index, found[ds.name].top_score) for ds in datasets}
    record_ids = {ds.name: RecordIds(ds.records) for ds in datasets}
    per_direction = stats.direction_findings(top, directions.ids, conditions, config.k, record_ids)
    return Stats(
        directions=per_direction,
        conditions=stats.summarise_by_condition(per_direction),
        separability=classifier(vectors or {ds.name: ds.vectors for ds in datasets}, config.seed),
    )


class RecordIds(Sequence[str]):
    """The ids of a dataset's records, read as they are asked for (a distributed run holds only some records)."""

    def __init__(self, records: Sequence[Record]):
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index):
        return self.records[index].id


def manifest_of(
    config: RunConfig,
    datasets: Sequence[Dataset],
    directions: Directions,
    run_id: str,
    *,
    model: dict[str, Any] | None = None,
    dim: int | None = None,
    driving_tokens: DrivingTokens | None = None,
    plugins: Sequence[PluginEntry] = (),
    plugin_problems: Sequence[str] = (),
    timings: dict[str, float] | None = None,
    ray: RayFacts | None = None,
) -> Manifest:
    """The manifest of a run of ``config`` over ``datasets`` and ``directions`` (a sweep's cells leave out the model and plugins)."""
    sampler_of = config.sampler_of()
    known: dict[str, Any] = {"model": model, "dim": dim, "driving_tokens": driving_tokens, "ray": ray}
    return Manifest(
        **{field: value for field, value in known.items() if value is not None},  # absent, not null, when not known
        format=FORMAT,
        run_id=run_id,
        illusion_version=__version__,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        seed=config.seed,
        k=config.k,
        config=config.to_dict(),
        datasets=[DatasetEntry(name=d.name, plugin=d.plugin, size=len(d.records), hash=d.hash) for d in datasets],
        directions=[DirectionEntry.of(identifier, sampler_of) for identifier in directions.ids],
        plugins=list(plugins),
        plugin_problems=list(plugin_problems),
        timings=timings or {},
    )


def run_manifest(config, host, datasets, directions, model, method, timings, ray: RayFacts | None = None) -> Manifest:
    """The run folder's ``manifest.json``: what ran (config, model, plugins and releases), on which data, and how long."""
    used = (
        [("model layer", config.model.plugin)]
        + [("dataset", d.plugin) for d in config.datasets]
        + [("direction sampler", s.plugin) for s in config.samplers]
    )
    plugins = []
    for kind, name in dict.fromkeys(used):
        distribution = host.distribution_of(kind, name)
        plugins.append(
            PluginEntry(
                kind=kind,
                name=name,
                distribution=distribution.name,
                version=distribution.version,
                fingerprint=distribution.fingerprint,
            )
        )
    return manifest_of(
        config,
        datasets,
        directions,
        uuid.uuid4().hex,
        model=model.identity,
        dim=model.dim,
        driving_tokens=DrivingTokens(method=method, description=DRIVING_METHODS.get(method)),
        plugins=plugins,
        plugin_problems=[str(problem) for problem in host.problems],
        timings=timings,
        ray=ray,
    )
