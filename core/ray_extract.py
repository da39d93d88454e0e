"""Sentence vectors of a run's datasets computed on a Ray cluster, written into the run's activation store.

Each dataset is sharded into the store's chunks; Ray actors, each holding the model once, encode
the chunks still missing, and this process writes every chunk as it arrives (atomically, so a
stopped extraction resumes). ``illusion run`` with the same configuration then finds the vectors
in the store. Every node needs illusion and the model; the store lives on this machine only.

    python -m illusion.ray_extract CONFIG [--address auto] [--workers 8] [--gpus-per-worker 1 --worker-option device=cuda]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from illusion.config import RunConfig, apply_override, load_config
from illusion.errors import IllusionError
from illusion.host import Host
from illusion.pipeline import load_dataset, open_store
from illusion.store import chunk_slice, entry_key


class ChunkEncoder:
    """A Ray actor's state: one model layer, created through the plugin host as ``illusion run`` does."""

    def __init__(self, plugin: str, options: dict[str, Any]):
        self.model = Host().get("model layer", plugin).create(options)

    def identity(self) -> dict[str, Any]:
        return self.model.identity

    def encode(self, number: int, texts: Sequence[str]):
        return number, self.model.encode(texts)


def extract(config: RunConfig, workers: int, cpus_per_worker: float = 1, gpus_per_worker: float = 0,
            worker_options: dict[str, Any] | None = None, host: Host | None = None) -> dict[str, str]:
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
    actor = ray.remote(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker)(ChunkEncoder)
    actors = [actor.remote(config.model.plugin, {**config.model.options, **(worker_options or {})}) for _ in range(workers)]
    for identity in ray.get([a.identity.remote() for a in actors]):
        if identity != model.identity:
            raise IllusionError(f"a Ray worker's model differs from this machine's ({identity} != {model.identity}): "
                                "install the same illusion and model files on every node, and set in the configuration "
                                "what a worker option changes (e.g. model.dtype)")
    pool, keys = ActorPool(actors), {}
    for dataset in datasets:
        texts = [record.text for record in dataset.records]
        key = keys[dataset.name] = entry_key(model.identity, dataset.hash, store.dtype)
        shards = store.missing(key, len(texts))
        work = pool.map_unordered(lambda a, number, texts=texts: a.encode.remote(number, texts[chunk_slice(number)]), shards)
        for number, vectors in work:
            store.write_chunk(key, number, vectors)
        store.finish(key, len(texts), model.dim, describe={"dataset": dataset.name, "model": model.identity})
    return keys


@click.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--address", help="Ray cluster to join, e.g. auto (the one `ray start` began here) or ray://HEAD:10001; "
              "a local one when unset.")
@click.option("--workers", type=int, default=2, show_default=True, help="Ray actors, each holding one copy of the model.")
@click.option("--cpus-per-worker", type=float, default=1, show_default=True)
@click.option("--gpus-per-worker", type=float, default=0, show_default=True)
@click.option("--worker-option", "worker_settings", multiple=True, metavar="KEY=VALUE",
              help="A model option for the workers only, e.g. device=cuda (repeatable).")
@click.option("--set", "-s", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config value, as in illusion run.")
def main(config: Path | None, address: str | None, workers: int, cpus_per_worker: float, gpus_per_worker: float,
         worker_settings: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Compute the sentence vectors of CONFIG's datasets on a Ray cluster; then `illusion run CONFIG` reuses them."""
    try:
        import ray
    except ImportError:
        raise click.ClickException("Ray is not installed: pip install 'ray>=2.9'") from None
    if workers < 1:
        raise click.BadParameter("at least 1", param_hint="--workers")
    try:
        resolved = load_config(config, list(overrides))
        worker_options: dict[str, Any] = {}
        for setting in worker_settings:
            apply_override(worker_options, setting)
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
        try:
            keys = extract(resolved, workers, cpus_per_worker, gpus_per_worker, worker_options)
        finally:
            ray.shutdown()
    except IllusionError as exc:
        raise click.ClickException(str(exc)) from None
    store = open_store(resolved)
    for name, key in keys.items():
        click.echo(f"{name}: {store.path(key)}")


if __name__ == "__main__":
    main()
