"""What one shard of a dataset tells a distributed run, and how the shards' answers merge into the dataset's.

Every summary here is small (per direction, or a fixed-size sample) and merges exactly: the merged
top/bottom-k and the merged sample are those of the whole dataset, whatever the shards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from illusion.records import Record
from illusion.run.topk import Extremes, Running


def merge_extremes(parts: Sequence[tuple[int, Extremes]], k: int) -> Extremes:
    """The dataset's top and bottom k from each shard's (first sentence's index, its own top and bottom k)."""
    import torch

    count = len(parts[0][1].top_index)
    top, bottom = Running(count, k, largest=True), Running(count, k, largest=False)
    rows = torch.arange(count)
    for start, part in parts:
        top.merge(rows, torch.from_numpy(np.array(part.top_score)), torch.from_numpy(part.top_index + start))
        bottom.merge(rows, torch.from_numpy(np.array(part.bottom_score)), torch.from_numpy(part.bottom_index + start))
    return Extremes(*top.ranked(), *bottom.ranked())


def sample_key(seed: int, dataset: str, record_id: str) -> int:
    """A sentence's seeded random key: a dataset's sample is the sentences with the smallest keys."""
    digest = hashlib.blake2b(f"{seed}\x00{dataset}\x00{record_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def keys_of(seed: int, dataset: str, records: Sequence[Record]) -> np.ndarray:
    return np.array([sample_key(seed, dataset, record.id) for record in records], dtype=np.uint64)


def key_limit(smallest: Sequence[np.ndarray], size: int) -> int | None:
    """The ``size``-th smallest key of a dataset from each shard's smallest keys (None: the sample is every sentence)."""
    keys = np.sort(np.concatenate(smallest))
    return int(keys[size - 1]) if len(keys) > size else None


@dataclass
class Sample:
    """Sentences of a dataset with their vectors and their index in the dataset, in dataset order."""

    index: np.ndarray  # (n,) int64
    records: list[Record]
    vectors: np.ndarray  # (n, dim)
    keys: np.ndarray  # (n,) uint64; the largest possible key for sentences added by index, not drawn

    @classmethod
    def draw(
        cls,
        seed: int,
        dataset: str,
        records: Sequence[Record],
        vectors: np.ndarray,
        start: int,
        size: int,
        limit: int | None = None,
    ) -> Sample:
        """The ``size`` sentences with the smallest keys among ``records`` (sentences ``start ..`` of ``dataset``),
        leaving out keys above ``limit`` (the dataset's ``size``-th smallest key: then only the dataset's sample is drawn)."""
        keys = keys_of(seed, dataset, records)
        chosen = np.argsort(keys, kind="stable")[:size]
        chosen = np.sort(chosen if limit is None else chosen[keys[chosen] <= np.uint64(limit)])
        return cls(chosen + start, [records[i] for i in chosen], np.asarray(vectors[chosen]), keys[chosen])

    @classmethod
    def picked(cls, index: Sequence[int], records: Sequence[Record], vectors: np.ndarray) -> Sample:
        """Sentences chosen by index (e.g. a top-k list), kept whatever the sample size."""
        return cls(np.asarray(index, dtype=np.int64), list(records), vectors, np.full(len(index), np.iinfo(np.uint64).max))

    @staticmethod
    def merge(parts: Sequence[Sample], size: int) -> Sample:
        """The ``size`` smallest keys of all parts, plus every picked sentence; each sentence once, in dataset order."""
        index = np.concatenate([part.index for part in parts])
        keys = np.concatenate([part.keys for part in parts])
        records = [record for part in parts for record in part.records]
        vectors = np.concatenate([part.vectors for part in parts])
        drawn = np.argsort(keys, kind="stable")[:size]
        picked = np.flatnonzero(keys == np.iinfo(np.uint64).max)
        chosen = np.union1d(drawn, picked)
        _, first = np.unique(index[chosen], return_index=True)  # a sentence both drawn and picked: once
        chosen = chosen[first]
        return Sample(index[chosen], [records[i] for i in chosen], vectors[chosen], keys[chosen])


SHARDED = "shards:"  # the start of the hash of a dataset read in several shards


def sharded_hash(shard_hashes: Sequence[str]) -> str:
    """A dataset's hash from its shards' content hashes, in order (one shard: that shard's own hash)."""
    if len(shard_hashes) == 1:
        return shard_hashes[0]
    return SHARDED + hashlib.sha256("\n".join(shard_hashes).encode()).hexdigest()[:32]
