"""``illusion run`` and ``illusion init``."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from illusion.commands.options import QUIET
from illusion.common.files import write_text
from illusion.errors import ConfigError
from illusion.run.config import PRESETS, load_config, preset_text


@click.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("illusion-run"),
    show_default=True,
    help="Run folder to write.",
)
@click.option(
    "--set",
    "-s",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config value, e.g. k=5, model.layer=6, datasets.bible.n=200 (repeatable).",
)
@click.option("--k", type=int, help="Top and bottom sentences per direction per dataset.")
@click.option("--seed", type=int, help="Seed of every sample and draw.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), help="Where the model runs.")
@click.option("--no-diagnostics", is_flag=True, help="Skip the illusion diagnostics (same as -s diagnostics=false).")
@click.option("--no-cache", is_flag=True, help="Compute every vector afresh, in memory: read and write no activation store.")
@QUIET
@click.option(
    "--ray",
    "ray_address",
    metavar="ADDRESS",
    help="Run on a Ray cluster: auto (the one `ray start` began here), ray://HEAD:10001, or local (see docs/ray.md).",
)
@click.option(
    "--archive-campaign",
    is_flag=True,
    help="Run into an --out folder that holds a labelling campaign: its files (labelstudio.json, annotations) "
    "move to OUT/campaign-of-run-<old run id>/ first.",
)
@click.option("--ray-cpus", type=float, default=1, show_default=True, help="CPUs Ray reserves for each shard's task.")
@click.option("--ray-gpus", type=float, default=0, show_default=True, help="GPUs Ray reserves for each shard's task.")
@click.option(
    "--worker-option",
    "worker_settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="With --ray: a model option for the workers only, e.g. device=cuda (repeatable).",
)
@click.option(
    "--ray-sample",
    type=int,
    default=5000,
    show_default=True,
    help="With --ray: sentences per dataset sent to this machine for samplers and diagnostics.",
)
@click.option(
    "--ray-retries",
    type=int,
    default=3,
    show_default=True,
    help="With --ray: times a shard's task is retried when its worker is lost.",
)
def run(
    config: Path | None,
    out: Path,
    overrides: tuple[str, ...],
    k: int | None,
    seed: int | None,
    device: str | None,
    no_diagnostics: bool,
    no_cache: bool,
    quiet: bool,
    ray_address: str | None,
    archive_campaign: bool,
    ray_cpus: float,
    ray_gpus: float,
    worker_settings: tuple[str, ...],
    ray_sample: int,
    ray_retries: int,
) -> None:
    """Find the top-activating sentences of every direction in every dataset.

    With no CONFIG, runs the embedded default (see `illusion init`).
    """
    from illusion.commands.diagnose import print_summary
    from illusion.common.progress import Reporter
    from illusion.diagnostics.suite import write_diagnostics
    from illusion.host import Host
    from illusion.report.run_report import write_report
    from illusion.run.pipeline import run as run_pipeline

    shortcuts = [
        f"{key}={value}"
        for key, value in (
            ("k", k),
            ("seed", seed),
            ("model.device", device and f'"{device}"'),
            ("diagnostics", "false" if no_diagnostics else None),
        )
        if value is not None
    ]
    resolved = load_config(config, [*overrides, *shortcuts])
    _spare_campaign(out, archive_campaign)
    console = Console(stderr=True)
    host = Host()
    for problem in host.load_problems():  # at the start, in plain sight, whether or not the run needs the plugin
        console.print(f"[yellow]plugin problem[/yellow] {problem}", highlight=False, soft_wrap=True)
    reporter = Reporter(console, quiet=quiet)
    if worker_settings and not ray_address:
        raise click.BadParameter("only with --ray (a model option for the cluster's workers)", param_hint="--worker-option")
    if ray_address:
        ray_options = {"num_cpus": ray_cpus, "num_gpus": ray_gpus}
        result = _on_ray(
            ray_address, resolved, out, host, reporter, not no_cache, ray_options, worker_settings, ray_sample, ray_retries
        )
    else:
        result = run_pipeline(resolved, out, host=host, reporter=reporter, cache=not no_cache)
    diagnostics = write_diagnostics(out, reporter=reporter, datasets=result.datasets) if resolved.diagnostics else None
    if not diagnostics:
        from illusion.run.folder import DIAGNOSTICS

        (out / DIAGNOSTICS).unlink(missing_ok=True)  # an earlier run's, in the same folder
    report = write_report(out)
    _summary(console, result, report)
    if diagnostics:
        print_summary(console, diagnostics)


def _spare_campaign(out: Path, archive: bool) -> None:
    """Refuse to run into a folder whose labelling campaign the new run would orphan; with ``archive``,
    move the campaign's files to a subfolder named after the run they belong to."""
    from illusion.run.folder import MANIFEST, RunFolder

    folder = RunFolder(out)
    found = folder.campaign_files()
    if not found:
        return
    if not archive:
        raise ConfigError(
            f"{out} holds a labelling campaign ({', '.join(found)}): a new run there would leave its labels "
            "pointing at sets that are gone; pass another --out, or --archive-campaign to move those files aside"
        )
    old = folder.manifest().run_id if folder.has(MANIFEST) else "unknown"
    aside = out / f"campaign-of-run-{old}"
    aside.mkdir(exist_ok=True)
    for name in found:
        os.replace(out / name, aside / name)
    Console(stderr=True).print(f"moved the campaign files of run {old} to {aside}", highlight=False, soft_wrap=True)


def _on_ray(address, config, out, host, reporter, cache, resources, worker_settings, sample, retries):
    """The run on a Ray cluster (:mod:`illusion.run.ray_run`); ``address`` ``local`` starts one on this machine."""
    from illusion.run.config import apply_override
    from illusion.run.ray_run import run_on_ray

    try:
        import ray
    except ImportError:
        raise click.ClickException("--ray needs Ray: pip install 'illusion[ray]'") from None
    if sample < 1 or retries < 0:
        raise click.BadParameter("--ray-sample must be at least 1 and --ray-retries at least 0")
    worker_options: dict = {}
    for setting in worker_settings:
        apply_override(worker_options, setting)
    ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False)
    try:
        return run_on_ray(config, out, host, reporter, cache, resources, worker_options, sample, retries)
    finally:
        ray.shutdown()


def _summary(console: Console, result, report: Path) -> None:
    table = Table(title=f"run {result.manifest.run_id[:8]} -> {result.out}", show_edge=False)
    for column in ("condition", "directions", "overlapping top-k ranges", "largest dataset share"):
        table.add_column(column, justify="left" if column == "condition" else "right")
    for name, row in result.stats.conditions.items():
        overlap = row.range_overlap_share
        table.add_row(name, str(row.directions), "-" if overlap is None else f"{overlap:.0%}", f"{row.mean_largest_share:.0%}")
    console.print(table)
    separability = result.stats.separability
    if separability.accuracy is not None and separability.chance is not None:
        console.print(
            f"datasets separable by a linear classifier: {separability.accuracy:.1%} held-out accuracy "
            f"(chance {separability.chance:.1%})"
        )
    total = sum(result.timings.values())
    console.print(
        f"{sum(d.size for d in result.manifest.datasets)} sentences, {len(result.manifest.directions)} "
        f"directions, {total:.1f} s; report: {report}",
        soft_wrap=True,
    )


@click.command()
@click.argument("path", required=False, default="illusion.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--preset",
    default="default",
    show_default=True,
    metavar="NAME",
    help=f"Which shipped configuration: {', '.join(PRESETS)} (paper: four datasets of 25,000 sentences, docs/reproduction.md).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path, preset: str, force: bool) -> None:
    """Write a commented configuration to PATH: the embedded default, or another shipped preset."""
    text = preset_text(preset)  # an unknown preset fails before anything is written
    if path.exists() and not force:
        raise ConfigError(f"{path} exists: pass --force to overwrite it")
    write_text(path, text)
    click.echo(f"wrote {path}; run it with: illusion run {path}")
