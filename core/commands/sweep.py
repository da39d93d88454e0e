"""``illusion sweep``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from illusion.commands.options import MIN_COUNT, QUIET
from illusion.diagnostics.suite import Settings


def print_table(console: Console, summary: dict[str, Any]) -> None:
    """Per cell and condition, every finding the sweep follows (the cell's own ones first), shown as its diagnostic
    says; and the cell's sanity warnings."""
    from illusion.common.numbers import as_shown
    from illusion.sweep.findings import WHOLE, flags

    table = Table(show_edge=False, title="sweep: findings per cell")
    followed = sorted(summary["findings"], key=lambda f: f["per_condition"])  # the cell's own findings first
    for column in ("layer", "pooling", "size", "condition"):
        table.add_column(column, justify="right" if column == "layer" else "left")
    for finding in followed:
        table.add_column(finding["title"], justify="right")
    table.add_column("sanity", justify="left")
    legend = list(dict.fromkeys(flag for cell in summary["cells"] for flag in flags(cell)))  # numbered once, below
    for cell in summary["cells"]:
        found = cell["findings"]
        warned = ",".join(str(legend.index(flag) + 1) for flag in sorted(flags(cell), key=legend.index))
        conditions = dict.fromkeys(c for f in followed if f["per_condition"] for c in found.get(f["name"], {}))
        for condition in conditions or [WHOLE]:
            values = [found.get(f["name"], {}).get(condition if f["per_condition"] else WHOLE, {}).get("value") for f in followed]
            table.add_row(
                str(cell["layer"]),
                cell["pooling"],
                cell["size"],
                condition,
                *(as_shown(f["shown"], value) for f, value in zip(followed, values)),
                f"[red]{warned}[/red]" if warned else "",
            )
    console.print(table)
    if legend:
        numbered = "; ".join(f"{number} {flag}" for number, flag in enumerate(legend, 1))
        console.print(f"sanity: the cell's warnings ({numbered}): its findings may order noise; see sweep.html", soft_wrap=True)


@click.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--layers", required=True, help="Layers to sweep, counted from 0 (the embeddings): e.g. 1-6 or 0,3,6.")
@click.option("--pooling", "poolings", help="Poolings to sweep, e.g. cls,mean (default: the config's).")
@click.option("--sizes", default="all", show_default=True, help="Sentences per dataset, e.g. 200,700,all (nested subsamples).")
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("illusion-sweep"),
    show_default=True,
    help="Folder for sweep.json, sweep.html and the finished cells (a rerun resumes there).",
)
@click.option("--set", "-s", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config value (repeatable).")
@MIN_COUNT
@QUIET
def sweep(
    config: Path | None,
    layers: str,
    poolings: str | None,
    sizes: str,
    out: Path,
    overrides: tuple[str, ...],
    min_count: int,
    quiet: bool,
) -> None:
    """Run the automatic diagnostics over layers x poolings x dataset sizes: writes sweep.json and sweep.html.

    Each sentence is encoded once for every layer and pooling; the vectors go into the activation store,
    where `illusion run` finds them. With no CONFIG, sweeps the embedded default.
    """
    from illusion.common.progress import Reporter
    from illusion.host import Host
    from illusion.run.config import load_config
    from illusion.sweep.grid import Grid, parse_layers, parse_names, parse_sizes
    from illusion.sweep.runner import PAGE, SWEEP
    from illusion.sweep.runner import sweep as run_sweep

    resolved = load_config(config, overrides)
    host = Host()
    pooling = poolings or str(host.get("model layer", resolved.model.plugin).resolve(resolved.model.options).get("pooling"))
    grid = Grid(parse_layers(layers), parse_names(pooling, "--pooling"), parse_sizes(sizes, resolved.k))
    console = Console(stderr=True)
    summary = run_sweep(resolved, grid, out, host, Reporter(console, quiet=quiet), Settings(min_count=min_count))
    print_table(console, summary)
    seconds = sum(summary["timings"].values())
    console.print(
        f"{len(summary['cells'])} cells ({summary['computed']} computed, {summary['model']['passes']}) in {seconds:.1f} s; "
        f"wrote {out / SWEEP} and {out / PAGE}",
        soft_wrap=True,
    )
