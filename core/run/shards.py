"""A dataset read as a distributed run reads it: shard by shard, with the seeded sample of ``n`` drawn over all shards."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from illusion.host import Host
from illusion.records import content_hash, sample_indices
from illusion.run.config import RunConfig
from illusion.run.pipeline import Dataset
from illusion.run.summaries import sharded_hash


def kept(host: Host, choice: Any, config: RunConfig, sizes: Sequence[int]) -> list[np.ndarray | None]:
    """Per shard (of ``sizes`` prepared sentences each), the sentences it keeps of its dataset's sample of ``n`` (None: all)."""
    values = host.get("dataset", choice.plugin).resolve(choice.options)
    n, size = values["n"], sum(sizes)
    if n is None or n >= size:
        return [None] * len(sizes)
    chosen = sample_indices(size, n, config.seed if values["seed"] is None else values["seed"])
    starts = np.cumsum([0, *sizes])
    return [chosen[(chosen >= start) & (chosen < end)] - start for start, end in pairwise(starts)]


def read_sharded(host: Host, choice: Any, config: RunConfig) -> Dataset:
    """The dataset, its records and hash as a distributed run (``illusion run --ray``) found them."""
    plugin = host.get("dataset", choice.plugin).as_configured(choice.name)
    names = plugin.shard_names(choice.options)
    parts = [plugin.load(choice.options, seed=config.seed, shard=name, sample=False) for name in names]
    for number, keep in enumerate(kept(host, choice, config, [len(part) for part in parts])):
        if keep is not None:
            parts[number] = [parts[number][i] for i in keep]
    records = [record for part in parts for record in part]
    return Dataset(choice.name, choice.plugin, records, sharded_hash([content_hash(part) for part in parts]))
