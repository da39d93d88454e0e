"""``illusion diagnose``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from illusion.commands.options import MIN_COUNT, QUIET, RUN_DIR
from illusion.common.numbers import figure, score, share
from illusion.diagnostics.suite import Settings


def print_summary(console: Console, result: dict[str, Any]) -> None:
    """A few lines per condition: the evidence for an illusion, and which directions to label first."""
    separability = result["separability"]
    if separability.get("accuracy") is not None:
        console.print(
            f"dataset classifier: {share(separability['accuracy'], 1)} held-out accuracy (chance {share(separability['chance'], 1)}); "
            f"{share(result['anisotropy']['dataset_variance_share'])} of the variance is dataset identity"
        )
    table = Table(show_edge=False, title="diagnostics by condition (each over the condition's directions)")
    columns = (
        "condition",
        "ranges overlap (direction/dataset pairs)",
        "monotone in 1 / all datasets (direction/word pairs)",
        "locality",
        "top 1% fill (top-k slots)",
        "illusion score (mean)",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "condition" else "right")
    monotone = result["monotonicity"]["by_condition"]
    for condition, overlap in result["range_overlap"]["by_condition"].items():
        subsets = monotone.get(condition, {}).get("in_datasets", [])
        fill = [
            d["by_condition"][condition]["share"][str(result["outliers"]["fractions"][0])]
            for d in result["outliers"]["per_dataset"].values()
        ]
        table.add_row(
            condition,
            share(overlap["share"]),
            f"{share(subsets[0]['mean'], 1)} / {share(subsets[-1]['mean'], 1)}" if subsets else "-",
            score(result["locality"]["by_condition"][condition]["score"], 3),
            share(sum(fill) / len(fill), 1),
            score(result["illusion_score"]["by_condition"][condition]),
        )
    console.print(table)
    _versus_paper(console, result.get("paper"))
    for check in result.get("sanity", {}).get("checks", []):
        style = "red" if check["severity"] == "warning" else "dim"
        console.print(f"[{style}]{check['severity']}: {check['check']}[/{style}]: {check['message']}")
    print_suggestions(console, result)
    console.print(f"diagnostics took {sum(result['timings'].values()):.1f} s")


def print_suggestions(console: Console, result: dict[str, Any]) -> None:
    """Likely illusions and label first with their score intervals, or, when the ranking is not reliable, why not."""
    ranking = result["illusion_score"]
    uncertainty = result.get("uncertainty")
    found = uncertainty["reliability"] if uncertainty else None
    if found and not found["reliable"]:
        console.print(f"[yellow]{found['summary']}[/yellow]", soft_wrap=True, highlight=False)
        console.print("likely illusions, label first: not listed; the ranking's ends would change with other sentences")
    else:
        if found:
            console.print(found["summary"], soft_wrap=True, highlight=False)
        bounds = uncertainty["directions"] if uncertainty else {}
        for label, ids in (("likely illusions", ranking["likely_illusions"]), ("label first", ranking["label_first"])):
            shown = [f"{i} {figure(ranking['directions'][i]['score'], bounds.get(i, {}).get('score'))}" for i in ids]
            console.print(f"{label} (illusion score): {'; '.join(shown) or '-'}", soft_wrap=True)
    if "explanation" in ranking:
        console.print(f"[dim]{ranking['explanation']}[/dim]")


FINDINGS = {  # the names of the table's columns
    "separability": "dataset classifier",
    "range_overlap": "ranges overlap",
    "monotonicity_one": "monotone in 1 dataset",
    "monotonicity_all": "monotone in all",
    "outliers": "top 1% fill (every neuron)",
}


def _versus_paper(console: Console, paper: dict[str, Any] | None) -> None:
    """The findings that differ from the paper's, each with the paper's value, then the model/scale caveat."""
    differ = {name: f for name, f in (paper or {}).get("findings", {}).items() if f["status"] == "differs"}
    if paper and differ:
        shown = [f"{FINDINGS.get(name, name)} {share(f['run'], 1)} (the paper: {f['paper_text']})" for name, f in differ.items()]
        console.print(f"differs from the paper: {'; '.join(shown)}", soft_wrap=True)
        console.print(f"[yellow]{paper['caveat']}[/yellow]", soft_wrap=True, highlight=False)


@click.command()
@RUN_DIR
@MIN_COUNT
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write diagnostics.json and report.html to this folder; the run folder is left as it is.",
)
@QUIET
def diagnose(run_dir: Path, min_count: int, out: Path | None, quiet: bool) -> None:
    """Flag likely illusions in RUN_DIR: writes diagnostics.json and report.html.

    Without --out they go into RUN_DIR; earlier ones are kept under a numbered name
    (diagnostics.1.json, report.1.html), never overwritten.
    """
    from illusion.common.progress import Reporter
    from illusion.diagnostics.suite import write_diagnostics
    from illusion.report.run_report import write_report
    from illusion.run.folder import DIAGNOSTICS, REPORT, RunFolder

    console = Console(stderr=True)
    RunFolder(run_dir).require()
    settings = Settings(min_count=min_count)
    kept = {} if out else RunFolder(run_dir).keep_previous(DIAGNOSTICS, REPORT)
    try:
        result = write_diagnostics(run_dir, settings, reporter=Reporter(console, quiet=quiet), out=out)
    except BaseException:
        for name, path in kept.items():  # nothing new was written: the previous files go back
            path.replace(run_dir / name)
        raise
    report = write_report(run_dir, out, result)
    print_summary(console, result)
    if kept:
        console.print(f"kept the previous {' and '.join(p.name for p in kept.values())}", soft_wrap=True)
    console.print(f"wrote {(out or run_dir) / DIAGNOSTICS}; report: {report}", soft_wrap=True)
