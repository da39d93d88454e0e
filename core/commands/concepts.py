"""``illusion test-concept`` and ``illusion find-concept``: a concept as a hypothesis about directions."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from illusion.commands.options import RUN_DIR, threshold_options
from illusion.diagnostics.concepts import Thresholds

PATTERN_HELP = (
    "regex:EXPR, words:a,b,c, meta:KEY=VALUE, similar:DESCRIPTION, DETECTOR:ARG of a plugin, or a plain regular expression."
)
VERDICT_STYLE = {"holds in all testable": "green", "holds in some": "yellow", "holds in none": "red", "untestable": "dim"}


def concept_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options both commands share, handed to ``command`` as ``detector_options``, ``thresholds`` and ``as_json``."""

    @threshold_options
    @functools.wraps(command)
    def wrapped(*args: Any, options: tuple[str, ...], **kwargs: Any) -> Any:
        return command(*args, detector_options=_detector_options(options), **kwargs)

    options = [
        click.option(
            "--option", "-o", "options", multiple=True, metavar="KEY=VALUE", help="Detector option, e.g. ignore_case=false."
        ),
        click.option("--json", "as_json", is_flag=True, help="Print the results as JSON."),
    ]
    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped


def _detector_options(options: tuple[str, ...]) -> dict[str, Any]:
    from illusion.run.config import apply_override

    found: dict[str, Any] = {}
    for option in options:
        apply_override(found, option)
    return found


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@click.command("test-concept")
@RUN_DIR
@click.option("--direction", "-d", help="A direction id (neuron:17), any neuron index (neuron:300, 300), or file:PATH[#ROW].")
@click.option("--pattern", "-p", help=PATTERN_HELP)
@click.option("--from-annotations", is_flag=True, help="Test every concept annotators described in annotations.jsonl.")
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    metavar="PLUGIN:KEY=VALUE,...",
    help="Add a dataset to the test, e.g. text:path=recipes.txt,name=recipes (vectors through the run's store).",
)
@concept_options
def test_concept(
    run_dir: Path,
    direction: str | None,
    pattern: str | None,
    from_annotations: bool,
    datasets: tuple[str, ...],
    detector_options: dict[str, Any],
    thresholds: Thresholds,
    as_json: bool,
) -> None:
    """Test a labelled concept of a direction on every dataset of RUN_DIR.

    With --from-annotations, every described concept of the campaign is tested and the results are
    written to RUN_DIR/concept-tests.json.
    """
    from illusion.diagnostics.concepts import assess_annotated, assess_in_run
    from illusion.host import Host
    from illusion.run.data import add_dataset, dataset_choice, load_run_data
    from illusion.run.folder import CONCEPT_TESTS, RunFolder

    if (from_annotations and (direction or pattern)) or (not from_annotations and not (direction and pattern)):
        raise click.UsageError("give --direction and --pattern, or --from-annotations")
    host = Host()
    run = load_run_data(run_dir, host)
    for spec in datasets:
        add_dataset(run, dataset_choice(spec), host)
    if from_annotations:
        results = assess_annotated(run, host, thresholds)
        RunFolder(run_dir).write_json(CONCEPT_TESTS, results)
    else:
        assert direction and pattern  # both given: checked above
        results = [assess_in_run(run, direction, pattern, host, detector_options, thresholds)]
    if as_json:
        click.echo(json.dumps(results if from_annotations else results[0], indent=2))
        return
    console = Console()
    for result in results:
        print_concept(console, result)
    if from_annotations:
        console.print(f"{len(results)} labelled concepts; wrote {run_dir / 'concept-tests.json'}")


def print_concept(console: Console, result: dict[str, Any]) -> None:
    table = Table(title=f"{result['direction']}  {result['pattern']}", show_edge=False)
    columns = ("dataset", "matches", "base rate", "top-k precision (95% CI)", "AUROC", "p", "result", "matches for power 0.8")
    for column in columns:
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for name, row in result["per_dataset"].items():
        outcome = {True: "[green]holds[/green]", False: "[red]fails[/red]", None: "untestable"}[row["holds"]]
        interval = row["top_k_interval"]
        precision = _percent(row["top_k_precision"]) + (f" ({interval[0]:.0%}-{interval[1]:.0%})" if interval else "")
        table.add_row(
            name,
            f"{row['matches']}/{row['sentences']}",
            _percent(row["base_rate"]),
            precision,
            "-" if row["auroc"] is None else f"{row['auroc']:.3f}",
            "-" if row["p_value"] is None else f"{row['p_value']:.2g}",
            outcome,
            "-" if row["matches_for_power"] is None else str(row["matches_for_power"]),
        )
    console.print(table)
    style = VERDICT_STYLE[result["verdict"]]
    console.print(f"verdict: [bold {style}]{result['verdict']}[/bold {style}] ({result['summary']})")
    if any(row["holds"] is None and row["matches_for_power"] for row in result["per_dataset"].values()):
        console.print(
            "matches for power 0.8: matching sentences a dataset would need for the rank test to detect the observed effect "
            "(its own AUROC, or the mean of the testable datasets) 8 times in 10"
        )


@click.command("find-concept")
@RUN_DIR
@click.option("--pattern", "-p", required=True, help=PATTERN_HELP)
@click.option("--all-neurons", is_flag=True, help="Also test every neuron of the layer, from the stored vectors.")
@click.option("--top", type=int, default=20, show_default=True, help="Directions to list.")
@concept_options
def find_concept(
    run_dir: Path,
    pattern: str,
    all_neurons: bool,
    top: int,
    detector_options: dict[str, Any],
    thresholds: Thresholds,
    as_json: bool,
) -> None:
    """Which directions of RUN_DIR track a concept? Every direction (and neuron) tested on every dataset, ranked."""
    from illusion.diagnostics.search import find_concept as search
    from illusion.host import Host
    from illusion.run.data import load_run_data

    host = Host()
    result = search(load_run_data(run_dir, host), pattern, host, detector_options, thresholds, all_neurons)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    console = Console()
    for name, row in result["datasets"].items():
        state = (
            "testable"
            if row["testable"]
            else f"[dim]untestable (needs {thresholds.min_matches} matching and as many other)[/dim]"
        )
        console.print(f"{name}: {row['matches']}/{row['sentences']} sentences match; {state}")
    groups = ", ".join(f"{label}: {count}" for label, count in result["groups"].items())
    console.print(f"{len(result['directions'])} directions: {groups}")
    console.print(f"[bold]{result['calibration']['summary']}[/bold]", soft_wrap=True, highlight=False)
    order = result["reliability"]
    if order:
        style = "" if order["reliable"] else "yellow"
        console.print(f"[{style}]{order['summary']}[/{style}]" if style else order["summary"], soft_wrap=True, highlight=False)
    table = Table(show_edge=False, title=f"{pattern}: the {min(top, len(result['directions']))} best directions")
    names = list(result["datasets"])
    for column in ["direction", "verdict", *[f"AUROC {n}" for n in names], "mean AUROC", "q"]:
        table.add_column(column, justify="left" if column in ("direction", "verdict") else "right", no_wrap=column == "verdict")
    for row in result["directions"][:top]:
        style = VERDICT_STYLE[row["verdict"]]
        cells = []
        for name in names:
            entry = row["per_dataset"][name]
            mark = "*" if entry["holds"] else ""
            cells.append("-" if entry["auroc"] is None else f"{entry['auroc']:.3f}{mark}")
        mean = "-" if row["mean_auroc"] is None else f"{row['mean_auroc']:.3f}"
        q = "baseline" if row["baseline"] else "-" if row["q_value"] is None else f"{row['q_value']:.2g}"
        table.add_row(row["direction"], f"[{style}]{row['verdict']}[/{style}]", *cells, mean, q)
    console.print(table)
    console.print(
        f"* holds there (AUROC >= {thresholds.min_auroc}, p < {result['alpha_per_dataset']:.2g}); q: Benjamini-Hochberg over the "
        "searched directions of the largest p over the testable datasets; confirm a hit with `illusion test-concept`",
        soft_wrap=True,
    )
