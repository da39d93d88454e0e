"""``illusion compare``: the headline findings of several runs side by side."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from illusion.commands.options import RUN_DIRS
from illusion.common.numbers import score, share


def labels(paths: list[Path]) -> list[str]:
    """Short unique run labels: folder names, or whole paths where names repeat."""
    names = [path.name for path in paths]
    return names if len(set(names)) == len(names) else [str(path) for path in paths]


@click.command()
@RUN_DIRS
@click.option("--html", "html", type=click.Path(dir_okay=False, path_type=Path), help="Also write the comparison as a page.")
@click.option("--directions", "per_direction", is_flag=True, help="Also list each shared direction's illusion score per run.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(run_dirs: tuple[Path, ...], html: Path | None, per_direction: bool, as_json: bool) -> None:
    """Put the findings of RUN_DIRS side by side (e.g. the same run at two layers).

    Per condition: top-k range overlap, monotonicity, locality, outliers and the mean illusion score;
    the rank correlation of illusion scores, and each direction's score where ids match. Warns when
    the runs differ in more than one setting.
    """
    from illusion.common.files import write_text
    from illusion.diagnostics.compare import compare as compare_runs
    from illusion.report.compare_page import render
    from illusion.run.view import open_run

    if len(run_dirs) < 2:
        raise click.UsageError("give at least two run folders")
    paths = list(run_dirs)
    comparison = compare_runs({label: open_run(path) for label, path in zip(labels(paths), paths)})
    if as_json:
        click.echo(json.dumps(comparison, indent=2))
    else:
        print_comparison(Console(), comparison)
        if per_direction:
            print_directions(Console(), comparison)
    if html:
        write_text(html, render(comparison))
        Console(stderr=True).print(f"wrote {html}", soft_wrap=True)


def print_comparison(console: Console, comparison: dict) -> None:
    runs = comparison["runs"]
    if comparison["warning"]:
        console.print(f"[red]warning:[/red] {comparison['warning']}")
    table = Table(show_edge=False, title="runs")
    for column in ["run", *comparison["differing_settings"], "dataset classifier (chance)", "sanity"]:
        table.add_column(column)
    for run in runs:
        settings = [str(run["settings"][key]) for key in comparison["differing_settings"]]
        warned = f"[red]flagged: {'; '.join(run['flags'])}[/red]" if run.get("flags") else ""
        table.add_row(
            run["label"], *settings, f"{_value(run['separability'], 'percent')} ({_value(run['chance'], 'percent')})", warned
        )
    console.print(table)
    if any(run.get("flags") for run in runs):
        console.print("flagged: the run's sanity checks warn that its findings may order noise (docs/diagnostics.md)")
    conditions = sorted({c for run in runs for c in run["conditions"]})
    table = Table(show_edge=False, title="findings by condition")
    table.add_column("condition")
    table.add_column("finding")
    for run in runs:
        table.add_column(f"{run['label']} (flagged)" if run.get("flags") else run["label"], justify="right")
    for condition in conditions:
        for measure in comparison["findings"]:
            values = [_value(run["conditions"].get(condition, {}).get(measure["key"]), measure["shown"]) for run in runs]
            table.add_row(condition, measure["title"], *values)
    console.print(table)
    for row in comparison["score_correlation"]:
        if not row["directions"]:
            console.print(f"illusion scores {' / '.join(row['runs'])}: no direction scored in both (diagnose both runs)")
            continue
        rho = score(row["spearman"])
        console.print(f"illusion scores {' / '.join(row['runs'])}: Spearman {rho} over {row['directions']} shared directions")
    for run in runs:
        if run.get("reliability"):
            console.print(f"{run['label']}: {run['reliability']['summary']}", soft_wrap=True, highlight=False)


def print_directions(console: Console, comparison: dict) -> None:
    table = Table(show_edge=False, title="illusion score per direction")
    table.add_column("direction")
    for run in comparison["runs"]:
        table.add_column(run["label"], justify="right")
    for identifier, scores in comparison["directions"].items():
        table.add_row(identifier, *(_value(scores[run["label"]], "number") for run in comparison["runs"]))
    console.print(table)


def _value(value: float | None, kind: str) -> str:
    return share(value, 1) if kind == "percent" else score(value, 3)
