"""``illusion explain``: explain each direction from its top sentences in one dataset, score it on every dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from illusion.commands.options import QUIET, RUN_DIR, threshold_options
from illusion.diagnostics.concepts import Thresholds
from illusion.diagnostics.uncertainty import BOOTSTRAP


@click.command()
@RUN_DIR
@click.option("--explainer", "-e", "explainers", multiple=True, help="Explainer plugin to use (repeatable; default: keywords).")
@click.option(
    "--option",
    "-o",
    "options",
    multiple=True,
    metavar="EXPLAINER.KEY=VALUE",
    help="An explainer's option, e.g. keywords.count=5.",
)
@click.option(
    "--directions",
    "-d",
    "directions",
    multiple=True,
    help="Directions to explain: ids, neuron:N, file:PATH[#ROW] (default: all).",
)
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    metavar="PLUGIN:KEY=VALUE,...",
    help="Also score on a dataset outside the run, e.g. text:path=recipes.txt,name=recipes (vectors through the run's store).",
)
@click.option("--top", type=int, help="Top and bottom sentences an explainer sees per dataset (default: the run's k).")
@click.option("--contrast", type=int, default=500, show_default=True, help="Contrast sample per dataset.")
@click.option("--bootstrap", type=int, default=BOOTSTRAP, show_default=True, help="Bootstrap replicates for the intervals.")
@threshold_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@QUIET
def explain(
    run_dir: Path,
    explainers: tuple[str, ...],
    options: tuple[str, ...],
    directions: tuple[str, ...],
    datasets: tuple[str, ...],
    top: int | None,
    contrast: int,
    bootstrap: int,
    thresholds: Thresholds,
    as_json: bool,
    quiet: bool,
) -> None:
    """Explain every direction of RUN_DIR from its top sentences in each dataset, and score each explanation on every
    dataset; writes RUN_DIR/explanations.jsonl (format in docs/analysis.md)."""
    from illusion.common.progress import Reporter
    from illusion.explain.direction import Settings
    from illusion.explain.runner import DEFAULT_EXPLAINERS, explain_run, load_explainers, summary, write_explanations
    from illusion.host import Host
    from illusion.run.data import add_dataset, dataset_choice, load_run_data

    host = Host()
    run = load_run_data(run_dir, host)
    sources = list(run.names)
    for spec in datasets:
        add_dataset(run, dataset_choice(spec), host)
    names = list(explainers) or list(DEFAULT_EXPLAINERS)
    settings = Settings(top, contrast, bootstrap, thresholds)
    chosen = load_explainers(host, names, _options(options, names))
    rows = explain_run(run, host, chosen, directions, settings, sources, Reporter(quiet=quiet or as_json))
    path = write_explanations(run_dir, rows)
    found = summary(rows)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    console = Console()
    for entry in found:
        for group in ("candidate", "baseline"):
            row = entry[group]
            if not row["explanations"]:
                continue
            gap = "-" if row["mean_gap"] is None else f"{row['mean_gap']:+.3f}"
            console.print(
                f"{entry['explainer']}, {group} directions: {row['explanations']} explanations of {row['directions']} "
                f"directions; per direction, {_share(row['holds_elsewhere'])} of explanations hold on every testable "
                f"other dataset; mean transfer gap {gap}",
                highlight=False,
            )
        for figure, label in (("holds_elsewhere", "share holding elsewhere"), ("transfer_gap", "mean transfer gap")):
            found_difference = entry["difference"][figure]
            if found_difference["estimate"] is not None:
                console.print(
                    f"{entry['explainer']}, candidate minus baseline, {label} per direction: "
                    f"{found_difference['estimate']:+.3f} (95% interval {found_difference['low']:+.3f} to "
                    f"{found_difference['high']:+.3f})",
                    highlight=False,
                )
    console.print(f"wrote {len(rows)} explanations to {path}", soft_wrap=True, highlight=False)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _options(options: tuple[str, ...], names: list[str]) -> dict[str, dict[str, Any]]:
    """``EXPLAINER.KEY=VALUE`` options by explainer."""
    from illusion.run.config import apply_override

    found: dict[str, dict[str, Any]] = {}
    for option in options:
        explainer, dot, rest = option.partition(".")
        if not dot or explainer not in names:
            raise click.UsageError(
                f"--option {option!r}: write EXPLAINER.KEY=VALUE for one of the explainers ({', '.join(names)})"
            )
        apply_override(found.setdefault(explainer, {}), rest)
    return found
