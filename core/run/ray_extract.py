"""Sentence vectors of a run's datasets computed on a Ray cluster, written into the run's activation store.

Each dataset is sharded into the store's chunks; Ray actors, each holding the model once, encode
the chunks still missing, and this process writes every chunk as it arrives (atomically, so a
stopped extraction resumes). ``illusion run`` with the same configuration then finds the vectors
in the store. Every node needs illusion and the model; the store lives on this machine only.

    illusion ray-extract CONFIG [--address auto] [--workers 8] [--gpus-per-worker 1 --worker-option device=cuda]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from illusion.errors import IllusionError
from illusion.host import Host
from illusion.run.config import RunConfig
from illusion.run.pipeline import load_dataset, open_store
from illusion.run.store import chunk_slice, entry_key


class ChunkEncoder:
    """A Ray actor's state: one model layer, created through the plugin host as ``illusion run`` does."""

    def __init__(self, plugin: str, options: dict[str, Any]):
        self.model = Host().get("model layer", plugin).create(options)

    def identity(self) -> dict[str, Any]:
        return self.model.identity

    def encode(self, number: int, texts: Sequence[str]):
        return number, self.model.encode(texts)


def extract(
    config: RunConfig,
    workers: int,
    cpus_per_worker: float = 1,
    gpus_per_worker: float = 0,
    worker_options: dict[str, Any] | None = None,
    host: Host | None = None,
) -> dict[str, str]:
    """Fill the store with the vectors of every dataset of ``config``; returns each dataset's store key.

    ``worker_options`` change the workers' model options only (e.g. ``device``); they must leave the
    model's identity as this machine has it, so that ``illusion run`` here finds the vectors. Uses the
    Ray runtime this process is connected to (``ray.init`` first; else Ray starts a local one).
    """
    import ray
    from ray.util import ActorPool

    host = host or Host()
    plugin = host.get("model layer", config.model.plugin)
    model = plugin.create(config.model.options)
    datasets = [load_dataset(host, choice, config) for choice in config.datasets]
    store = open_store(config)
    made_by = host.distribution_of("model layer", config.model.plugin)
    actor = ray.remote(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker)(ChunkEncoder)
    actors = [actor.remote(config.model.plugin, {**config.model.options, **(worker_options or {})}) for _ in range(workers)]
    for identity in ray.get([a.identity.remote() for a in actors]):  # type: ignore[attr-defined]
        if identity != model.identity:
            raise IllusionError(
                f"a Ray worker's model differs from this machine's ({identity} != {model.identity}): "
                "install the same illusion and model files on every node, and set in the configuration "
                "what a worker option changes (e.g. model.dtype)"
            )
    pool, keys = ActorPool(actors), {}
    for dataset in datasets:
        texts = [record.text for record in dataset.records]
        key = keys[dataset.name] = entry_key(model.identity, dataset.hash, store.dtype, made_by.release)
        shards = store.missing(key, len(texts), model.dim)
        work = pool.map_unordered(_encode_remote(texts), shards)
        for number, vectors in work:
            store.write_chunk(key, number, vectors, len(texts), model.dim, f"{plugin.label} ({made_by}) on a Ray worker")
        describe = {"dataset": dataset.name, "model": model.identity, "distribution": str(made_by)}
        store.finish(key, len(texts), model.dim, describe=describe)
    return keys


def _encode_remote(texts: Sequence[str]) -> Callable[[Any, int], Any]:
    """The pool task that has an actor encode chunk ``number`` of ``texts``."""
    return lambda actor, number: actor.encode.remote(number, texts[chunk_slice(number)])
