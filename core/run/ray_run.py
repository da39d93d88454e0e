"""``illusion run CONFIG --ray ADDRESS``: the whole run on a Ray cluster, with only summaries crossing the network.

Datasets are read in shards (their plugins' ``shards``) by Ray tasks, each of which encodes its
shard where it runs and returns summaries (:mod:`illusion.run.shard_work`); this process merges
them (:mod:`illusion.run.summaries`, :mod:`illusion.run.profiles`) and writes the usual run folder.
Four passes, each over every shard: count (for ``n`` and each shard's first index), encode (size,
hash, a seeded sample with vectors: what samplers and diagnostics read), top/bottom-k, details
(profiles, the listed and control sentences, driving tokens). See docs/ray.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from illusion.common.progress import Reporter
from illusion.errors import IllusionError
from illusion.host import Host
from illusion.records import Record
from illusion.run import profiles, shard_work
from illusion.run.config import RunConfig
from illusion.run.folder import CONTROLS, TOPK
from illusion.run.listing import Listing
from illusion.run.pipeline import (
    Dataset,
    RunResult,
    Timer,
    control_indices,
    control_sets,
    open_store,
    resolved_samplers,
    run_manifest,
    run_statistics,
    sample_directions,
    topk_rows,
    write_folder,
)
from illusion.run.ray_passes import Passes, digest
from illusion.run.schema import Model, RayFacts
from illusion.run.shard_work import Shard
from illusion.run.shards import kept
from illusion.run.summaries import Sample, key_limit, merge_extremes, sharded_hash
from illusion.run.tokens import driving_method

SAMPLE = 5000  # sentences per dataset drawn for samplers and diagnostics (plus every listed one)


class Fetched(Sequence[Record]):
    """A dataset of ``size`` sentences of which this process holds only those it fetched, by index."""

    def __init__(self, name: str, size: int, known: dict[int, Record]):
        self.name, self.size, self.known = name, size, known

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index):
        try:
            return self.known[int(index)]
        except KeyError:
            raise IllusionError(f"dataset {self.name!r}: sentence {index} was not fetched from the cluster") from None


def run_on_ray(
    config: RunConfig,
    out: str | Path,
    host: Host | None = None,
    reporter: Reporter | None = None,
    cache: bool = True,
    resources: dict[str, float] | None = None,
    worker_options: dict[str, Any] | None = None,
    sample: int = SAMPLE,
    retries: int = 3,
) -> RunResult:
    """Run ``config`` on the Ray cluster this process is connected to and write the run folder ``out``.

    ``resources``: what Ray reserves per task (``num_cpus``, ``num_gpus``); ``worker_options``: model
    options for the workers only (e.g. ``device``); ``cache=False``: workers keep no vectors between passes.
    """
    host, reporter, out, timer = host or Host(), reporter or Reporter(quiet=True), Path(out), Timer()
    model_plugin = host.get("model layer", config.model.plugin)
    model_plugin.resolve(config.model.options)
    samplers = resolved_samplers(host, config)
    with timer("model"):
        model = model_plugin.create(config.model.options)
    worker_model = (config.model.plugin, {**config.model.options, **(worker_options or {})})
    store = (str(open_store(config).root) if cache else None, config.store_dtype)
    passes = Passes(out, retries, resources or {"num_cpus": 1}, reporter)
    base = digest(config.to_dict(), worker_model, store, sample)
    with timer("datasets"):
        shards: dict[str, list[Shard]] = {}
        for choice in config.datasets:
            shards[choice.name] = _shards(host, choice, config, worker_model, store, sum(map(len, shards.values())))
        counted = passes.run("count", base, _jobs(shards), shard_work.count, sample)
        shards = _sampled(host, config, shards, [part["count"] for part in counted])
    limits = {n: key_limit([part["keys"] for part in parts], sample) for n, parts in _by_dataset(shards, counted).items()}
    for n, parts in shards.items():  # the keys were of every sentence: with n, each shard sends its own sample
        if any(part.keep is not None for part in parts):
            limits[n] = None
    jobs = _jobs(shards)
    with timer("vectors"):
        limited = [(shard, (limits[shard.dataset],)) for shard, _ in jobs]
        encoded = _by_dataset(shards, passes.run("encode", base, limited, shard_work.encode, sample))
    starts = {name: np.cumsum([0] + [part["count"] for part in parts])[:-1].tolist() for name, parts in encoded.items()}
    _check_identity(encoded, model.identity)
    drawn = {
        name: [_shifted(part["sample"], start) for part, start in zip(parts, starts[name])] for name, parts in encoded.items()
    }
    plugins = {c.name: c.plugin for c in config.datasets}
    hashes = {name: sharded_hash([part["hash"] for part in parts]) for name, parts in encoded.items()}
    sampled = [_dataset(name, plugins[name], hashes[name], Sample.merge(parts, sample)) for name, parts in drawn.items()]
    with timer("directions"):
        directions = sample_directions(samplers, sampled, model.dim, config.seed)
    conditions = directions.conditions
    with timer("top-k"):
        inputs = digest(base, directions.vectors.tobytes())
        ranked = _by_dataset(shards, passes.run("top-k", inputs, jobs, shard_work.top_and_bottom, directions.vectors, config.k))
        found = {name: merge_extremes(list(zip(starts[name], own)), config.k) for name, own in ranked.items()}
    names = list(shards)
    ranges = profiles.shared_range([found[n].bottom_score for n in names], [found[n].top_score for n in names])
    sizes = {name: sum(part["count"] for part in parts) for name, parts in encoded.items()}
    controls_of = {n: np.concatenate(control_indices(n, sizes[n], config) or [np.empty(0, int)]) for n in names}
    with timer("details"):
        own = [
            (s, _requests(s, starts[n][i], encoded[n][i]["count"], found[n], controls_of[n]))
            for n in names
            for i, s in enumerate(shards[n])
        ]
        detailed = _by_dataset(
            shards, passes.run("details", inputs, own, shard_work.details, directions, ranges, config.k, config.seed)
        )
    datasets = [
        Dataset(n, plugins[n], Fetched(n, sizes[n], {i: r for p in detailed[n] for i, r in p["records"].items()}), hashes[n])
        for n in names
    ]
    sampler_of = config.sampler_of()
    listings = topk_rows(datasets, directions, conditions, sampler_of, found)
    _fill_tokens(listings, names, found, {(n, *key): v for n in names for p in detailed[n] for key, v in p["tokens"].items()})
    controls = control_sets(datasets, config)
    run_profiles = profiles.assemble(ranges, [profiles.merge([p["profile"] for p in detailed[n]]) for n in names])
    diagnosed = [
        _dataset(d.name, d.plugin, d.hash, Sample.merge(drawn[d.name] + [p["listed"] for p in detailed[d.name]], sample))
        for d in datasets
    ]
    with timer("statistics"):
        run_stats = run_statistics(datasets, directions, conditions, found, config, {d.name: d.encoded for d in diagnosed})
    ray = RayFacts(shards={n: len(s) for n, s in shards.items()}, sample=sample, bytes=passes.moved, resumed=passes.resumed)
    manifest = run_manifest(config, host, datasets, directions, model, driving_method(model), timer.timings, ray)
    topk = [listing.row() for listing in listings]
    sets: dict[str, Sequence[Model]] = {
        TOPK: topk,
        CONTROLS: controls,
    }  # no attention checks or shown marks: they need every sentence in one place
    write_folder(out, sets, run_stats, directions, run_profiles, {d.name: d.records for d in datasets}, manifest)
    passes.finish()
    return RunResult(out, manifest, topk, controls, run_stats, timer.timings, diagnosed)


def _shards(host: Host, choice: Any, config: RunConfig, model: tuple, store: tuple, first: int) -> list[Shard]:
    """A dataset's shards, numbered across the run from ``first``."""
    names = host.get("dataset", choice.plugin).shard_names(choice.options)
    return [
        Shard(choice.name, choice.plugin, dict(choice.options), name, first + i, config.seed, model, store)
        for i, name in enumerate(names)
    ]


def _jobs(shards: dict[str, list[Shard]]) -> list[tuple[Shard, tuple]]:
    """Every shard of every dataset, numbered across the run, with no arguments of its own."""
    everything = [shard for parts in shards.values() for shard in parts]
    return [(shard, ()) for shard in everything]


def _by_dataset(shards: dict[str, list[Shard]], results: list[Any]) -> dict[str, list[Any]]:
    grouped, position = {}, 0
    for name, parts in shards.items():
        grouped[name] = results[position : position + len(parts)]
        position += len(parts)
    return grouped


def _sampled(host: Host, config: RunConfig, shards: dict[str, list[Shard]], counts: list[int]) -> dict[str, list[Shard]]:
    """The shards, each with the sentences it keeps of its dataset's seeded sample of ``n``; checks the datasets' sizes."""
    result: dict[str, list[Shard]] = {}
    for choice, (name, parts), sizes in zip(config.datasets, shards.items(), _by_dataset(shards, counts).values()):
        values = host.get("dataset", choice.plugin).resolve(choice.options)
        size, n = sum(sizes), values["n"]
        if not size:
            raise IllusionError(
                f"dataset {name!r} ({choice.plugin}) has no sentences left: check its options (min_words, max_words, filters)"
            )
        if size < config.k or (n is not None and n < config.k):
            raise IllusionError(
                f"dataset {name!r} has {min(size, n or size)} sentences, fewer than k = {config.k}: lower k or add sentences"
            )
        result[name] = [replace(shard, keep=keep) for shard, keep in zip(parts, kept(host, choice, config, sizes))]
    return result


def _check_identity(encoded: dict[str, list[dict[str, Any]]], identity: dict[str, Any]) -> None:
    for parts in encoded.values():
        for part in parts:
            if part["identity"] != identity:
                raise IllusionError(
                    f"a Ray worker's model differs from this machine's ({part['identity']} != {identity}): install the same "
                    "illusion and model files on every node, and set in the configuration what a worker option changes (e.g. model.dtype)"
                )


def _shifted(sample: Sample, start: int) -> Sample:
    return Sample(sample.index + start, sample.records, sample.vectors, sample.keys)


def _dataset(name: str, plugin: str, hash: str, sample: Sample) -> Dataset:
    return Dataset(name, plugin, sample.records, hash, sample.vectors)


def _requests(shard: Shard, start: int, count: int, found: Any, controls: np.ndarray) -> tuple:
    """A shard's own arguments of the details pass: its first index, the control sentences and listed (direction, index, sign) in it."""
    inside = lambda i: start <= i < start + count  # noqa: E731
    listed = [
        (d, int(i), sign)
        for sign, index in ((1.0, found.top_index), (-1.0, found.bottom_index))
        for d, row in enumerate(index)
        for i in row
        if inside(i)
    ]
    return start, sorted(int(i) for i in controls if inside(i)), listed


def _fill_tokens(topk: list[Listing], names: list[str], found: dict[str, Any], tokens: dict[tuple, list]) -> None:
    """Each listed sentence's driving token, as the workers found it (by dataset, direction, index, sign)."""
    for number, listing in enumerate(topk):
        d, extremes = number // len(names), found[listing.dataset]
        for slots, sign, index in ((listing.top, 1.0, extremes.top_index), (listing.bottom, -1.0, extremes.bottom_index)):
            for slot, i in zip(slots, index[d]):
                slot.token, span = tokens[(listing.dataset, d, int(i), sign)]
                slot.span = (span[0], span[1]) if span else None
