"""``illusion diagnose`` and ``illusion test-concept``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from illusion.diagnostics.concepts import Thresholds
from illusion.diagnostics.suite import Settings

RUN_DIR = click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def print_summary(console: Console, result: dict[str, Any]) -> None:
    """A few lines per condition: the evidence for an illusion, and which directions to label first."""
    separability = result["separability"]
    if separability.get("accuracy") is not None:
        console.print(
            f"dataset classifier: {separability['accuracy']:.1%} held-out accuracy (chance {separability['chance']:.1%}); "
            f"{_percent(result['anisotropy']['dataset_variance_share'])} of the variance is dataset identity"
        )
    table = Table(show_edge=False, title="diagnostics by condition")
    for column in ("condition", "ranges overlap", "monotone in 1 / all datasets", "locality", "top 1% fill", "illusion score"):
        table.add_column(column, justify="left" if column == "condition" else "right")
    monotone = result["monotonicity"]["by_condition"]
    for condition, overlap in result["range_overlap"]["by_condition"].items():
        subsets = monotone.get(condition, {}).get("in_datasets", [])
        fill = [
            d["by_condition"][condition]["share"][str(result["outliers"]["fractions"][0])]
            for d in result["outliers"]["per_dataset"].values()
        ]
        score = result["illusion_score"]["by_condition"][condition]
        table.add_row(
            condition,
            _percent(overlap["share"]),
            f"{subsets[0]['mean']:.1%} / {subsets[-1]['mean']:.1%}" if subsets else "-",
            f"{result['locality']['by_condition'][condition]['score']:.3f}",
            _percent(sum(fill) / len(fill)),
            "-" if score is None else f"{score:.2f}",
        )
    console.print(table)
    ranking = result["illusion_score"]
    console.print(f"likely illusions: {', '.join(ranking['likely_illusions']) or '-'}")
    console.print(f"label first: {', '.join(ranking['label_first']) or '-'}")
    console.print(f"diagnostics took {sum(result['timings'].values()):.1f} s")


@click.command()
@RUN_DIR
@click.option(
    "--min-count",
    type=int,
    default=Settings.min_count,
    show_default=True,
    help="Monotonicity: occurrences a word needs in every dataset (the paper: 100).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def diagnose(run_dir: Path, min_count: int, quiet: bool) -> None:
    """Flag likely illusions in RUN_DIR: writes diagnostics.json and its section of report.html."""
    from illusion.common.progress import Reporter
    from illusion.diagnostics.suite import write_diagnostics
    from illusion.report.run_report import write_report

    console = Console(stderr=True)
    result = write_diagnostics(run_dir, Settings(min_count=min_count), reporter=Reporter(console, quiet=quiet))
    report = write_report(run_dir)
    print_summary(console, result)
    console.print(f"wrote {run_dir / 'diagnostics.json'}; report: {report}", soft_wrap=True)


@click.command("test-concept")
@RUN_DIR
@click.option("--direction", "-d", help="Direction id, e.g. neuron:17 (see the report or manifest.json).")
@click.option("--pattern", "-p", help="regex:EXPR, words:a,b,c, DETECTOR:ARG of a plugin, or a plain regular expression.")
@click.option("--from-annotations", is_flag=True, help="Test every concept annotators described in annotations.jsonl.")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE", help="Detector option, e.g. ignore_case=false.")
@click.option(
    "--alpha", type=float, default=Thresholds.alpha, show_default=True, help="Significance level, split over the datasets."
)
@click.option(
    "--min-auroc",
    type=float,
    default=Thresholds.min_auroc,
    show_default=True,
    help="AUROC a dataset needs for the concept to hold.",
)
@click.option(
    "--min-matches",
    type=int,
    default=Thresholds.min_matches,
    show_default=True,
    help="Matching and other sentences a dataset needs.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def test_concept(
    run_dir: Path,
    direction: str | None,
    pattern: str | None,
    from_annotations: bool,
    options: tuple[str, ...],
    alpha: float,
    min_auroc: float,
    min_matches: int,
    as_json: bool,
) -> None:
    """Test a labelled concept of a direction on every dataset of RUN_DIR.

    With --from-annotations, every described concept of the campaign is tested and the results are
    written to RUN_DIR/concept-tests.json.
    """
    from illusion.diagnostics.concepts import assess_annotated, assess_in_run
    from illusion.host import Host
    from illusion.run.config import apply_override
    from illusion.run.data import load_run_data
    from illusion.run.folder import CONCEPT_TESTS, RunFolder

    if (from_annotations and (direction or pattern)) or (not from_annotations and not (direction and pattern)):
        raise click.UsageError("give --direction and --pattern, or --from-annotations")
    thresholds = Thresholds(alpha, min_auroc, min_matches)
    detector_options: dict[str, Any] = {}
    for option in options:
        apply_override(detector_options, option)
    host = Host()
    run = load_run_data(run_dir, host)
    if from_annotations:
        results = assess_annotated(run, host, thresholds)
        RunFolder(run_dir).write_json(CONCEPT_TESTS, results)
    else:
        results = [assess_in_run(run, direction, pattern, host, detector_options, thresholds)]
    if as_json:
        click.echo(json.dumps(results if from_annotations else results[0], indent=2))
        return
    console = Console()
    for result in results:
        _print_concept(console, result)
    if from_annotations:
        console.print(f"{len(results)} labelled concepts; wrote {run_dir / 'concept-tests.json'}")


def _print_concept(console: Console, result: dict[str, Any]) -> None:
    table = Table(title=f"{result['direction']}  {result['pattern']}", show_edge=False)
    for column in ("dataset", "matches", "base rate", "top-k precision", "AUROC", "p", "holds"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for name, row in result["per_dataset"].items():
        holds = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "untestable"}[row["holds"]]
        table.add_row(
            name,
            f"{row['matches']}/{row['sentences']}",
            _percent(row["base_rate"]),
            _percent(row["top_k_precision"]),
            "-" if row["auroc"] is None else f"{row['auroc']:.3f}",
            "-" if row["p_value"] is None else f"{row['p_value']:.2g}",
            holds,
        )
    console.print(table)
    console.print(f"verdict: [bold]{result['verdict']}[/bold]")
