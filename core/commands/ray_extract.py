"""``illusion ray-extract``: compute a run's sentence vectors on a Ray cluster (see :mod:`illusion.run.ray_extract`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from illusion.errors import IllusionError
from illusion.run.config import apply_override, load_config
from illusion.run.pipeline import open_store
from illusion.run.ray_extract import extract


@click.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--address",
    help="Ray cluster to join, e.g. auto (the one `ray start` began here) or ray://HEAD:10001; a local one when unset.",
)
@click.option("--workers", type=int, default=2, show_default=True, help="Ray actors, each holding one copy of the model.")
@click.option("--cpus-per-worker", type=float, default=1, show_default=True)
@click.option("--gpus-per-worker", type=float, default=0, show_default=True)
@click.option(
    "--worker-option",
    "worker_settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A model option for the workers only, e.g. device=cuda (repeatable).",
)
@click.option("--set", "-s", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config value, as in illusion run.")
def main(
    config: Path | None,
    address: str | None,
    workers: int,
    cpus_per_worker: float,
    gpus_per_worker: float,
    worker_settings: tuple[str, ...],
    overrides: tuple[str, ...],
) -> None:
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
