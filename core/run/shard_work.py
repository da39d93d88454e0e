"""The work a distributed run does on one shard of a dataset, where its vectors are made: the worker's side.

Each function reads the shard through its dataset plugin (lazily, the shard alone), gets its
vectors (from this machine's activation store when it has them, else from the model, kept there
for the next pass) and returns only a summary: counts, a hash, a seeded sample, top/bottom-k,
profile histograms and samples, the records and driving tokens the head asks for by index.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from illusion.directions import Directions
from illusion.host import Host
from illusion.records import Record, content_hash
from illusion.run import profiles
from illusion.run.listing import Listing, Slot
from illusion.run.store import ActivationStore, MemoryStore, entry_key
from illusion.run.summaries import Sample, keys_of
from illusion.run.tokens import TokenCache, mark_tokens
from illusion.run.topk import Extremes, extremes

_LOADED: dict[str, Any] = {}  # per worker process: the host and the last model layer, loaded once


@dataclass(frozen=True)
class Shard:
    """One part of one dataset of a run, and what a worker needs to read and encode it."""

    dataset: str
    plugin: str
    options: dict[str, Any]
    name: str | None  # the plugin's shard name; None: the whole dataset
    number: int
    seed: int
    model: tuple[str, dict[str, Any]]  # (model-layer plugin, options as the workers use them)
    store: tuple[str | None, str]  # (root, dtype) of the workers' activation store; root None: keep no vectors
    keep: np.ndarray | None = field(default=None, compare=False)  # the shard's sentences in the seeded sample of n

    @property
    def label(self) -> str:
        return f"{self.dataset}[{self.name or 'all'}]"


def host() -> Host:
    if "host" not in _LOADED:
        _LOADED["host"] = Host()
    return _LOADED["host"]


def model(shard: Shard) -> Any:
    """This process's model layer for ``shard``, created once."""
    key = json.dumps(shard.model, sort_keys=True, default=str)
    if _LOADED.get("model key") != key:
        _LOADED["model"] = host().get("model layer", shard.model[0]).create(shard.model[1])
        _LOADED["model key"] = key
    return _LOADED["model"]


def records(shard: Shard) -> list[Record]:
    """The shard's prepared records (the shared options applied within the shard; ``keep`` applied)."""
    found = host().get("dataset", shard.plugin).load(shard.options, seed=shard.seed, shard=shard.name, sample=False)
    return found if shard.keep is None else [found[i] for i in shard.keep]


def count(shard: Shard, sample_size: int) -> dict[str, Any]:
    """Pass 0 (no model): the shard's size and the smallest sample keys of its sentences."""
    found = records(shard)
    return {"count": len(found), "keys": np.sort(keys_of(shard.seed, shard.dataset, found))[:sample_size]}


def vectors(shard: Shard, texts: list[Record]) -> np.ndarray:
    """The shard's vectors: from the worker's store, computed and kept there when missing."""
    layer = model(shard)
    made_by = host().distribution_of("model layer", shard.model[0])
    root, dtype = shard.store
    store = ActivationStore(root, dtype) if root else MemoryStore(dtype)
    key = entry_key(layer.identity, content_hash(texts), store.dtype, made_by.release)
    describe = {"dataset": shard.label, "model": layer.identity, "distribution": str(made_by)}
    return store.compute(key, [r.text for r in texts], layer.dim, layer.encode, describe=describe, owner=str(made_by))


def encode(shard: Shard, limit: int | None, sample_size: int) -> dict[str, Any]:
    """Pass 1: the shard's size, content hash, worker's model identity and its part of the seeded sample (with
    vectors): its sentences with keys up to ``limit`` (the dataset's), at most ``sample_size``."""
    found = records(shard)
    values = vectors(shard, found)
    sample = Sample.draw(shard.seed, shard.dataset, found, values, 0, sample_size, limit)
    return {"count": len(found), "hash": content_hash(found), "identity": model(shard).identity, "sample": sample}


def top_and_bottom(shard: Shard, directions: np.ndarray, k: int) -> Extremes:
    """Pass 2: the shard's own top and bottom k of every direction (indices within the shard)."""
    return extremes(vectors(shard, records(shard)), directions, k)


def details(
    shard: Shard,
    start: int,
    wanted: list[int],
    listed: list[tuple[int, int, float]],
    directions: Directions,
    ranges: np.ndarray,
    k: int,
    profile_seed: int,
) -> dict[str, Any]:
    """Pass 3: the shard's profile, the records of its profile samples and of ``wanted`` (indices in the
    dataset), the vectors of the ``listed`` ones and their driving tokens (``(direction, index, sign)``)."""
    found = records(shard)
    values = vectors(shard, found)
    keys = profiles.sentence_keys(profile_seed, shard.dataset, start, len(found))
    partial = profiles.dataset_profile(values, directions.vectors, ranges, k, keys, start)
    sampled = {int(i) for i in np.unique(partial.index) if i >= 0}
    named = {i: found[i - start] for i in sorted(sampled | set(wanted) | {i for _, i, _ in listed})}
    slots = [Slot(found[i - start].id, found[i - start].text) for _, i, _ in listed]
    rows = [
        Listing(directions.ids[d], shard.dataset, [slot] if sign > 0 else [], [] if sign > 0 else [slot])
        for (d, _, sign), slot in zip(listed, slots)
    ]
    layer = model(shard)
    mark_tokens(rows, directions, layer, TokenCache(None, layer.identity, ("", ""), directions.vectors))
    tokens = {(d, i, sign): [slot.token, slot.span] for (d, i, sign), slot in zip(listed, slots)}
    shown = sorted({i for _, i, _ in listed})
    listed_sample = Sample.picked(shown, [found[i - start] for i in shown], np.asarray(values[[i - start for i in shown]]))
    return {"profile": partial, "records": named, "listed": listed_sample, "tokens": tokens}
