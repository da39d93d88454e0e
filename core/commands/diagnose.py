"""``illusion diagnose``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from illusion.commands.options import MIN_COUNT, QUIET, RUN_DIR
from illusion.common.numbers import as_shown, figure, share
from illusion.diagnostics.suite import Settings
from illusion.run.schema import FindingEntry, findings_of, problems_of


def print_summary(console: Console, result: dict[str, Any]) -> None:
    """A few lines per condition: the evidence for an illusion, and which directions to label first (``result``: the
    content of ``diagnostics.json``)."""
    separability = result.get("separability", {})
    if separability.get("accuracy") is not None and "anisotropy" in result:
        console.print(
            f"dataset classifier: {share(separability['accuracy'], 1)} held-out accuracy (chance {share(separability['chance'], 1)}); "
            f"{share(result['anisotropy']['dataset_variance_share'])} of the variance is dataset identity"
        )
    findings = findings_of(result)
    columns = {key: f for key, f in findings.items() if f.per_condition}
    table = Table(show_edge=False, title="diagnostics by condition (each over the condition's directions)")
    table.add_column("condition", justify="left")
    for finding in columns.values():
        table.add_column(finding.title, justify="right")
    for condition in dict.fromkeys(c for f in columns.values() for c in f.values):
        table.add_row(
            condition, *(as_shown(f.shown, value.value if (value := f.values.get(condition)) else None) for f in columns.values())
        )
    console.print(table)
    _versus_paper(console, result.get("paper"), findings)
    for problem in problems_of(result):
        console.print(
            f"[red]diagnostic {problem.diagnostic!r} ({problem.distribution}) failed[/red]: {problem.message}", soft_wrap=True
        )
    for check in result.get("sanity", {}).get("checks", []):
        style = "red" if check["severity"] == "warning" else "dim"
        console.print(f"[{style}]{check['severity']}: {check['check']}[/{style}]: {check['message']}")
    print_suggestions(console, result)
    console.print(f"diagnostics took {sum(result['timings'].values()):.1f} s")


def print_suggestions(console: Console, result: dict[str, Any]) -> None:
    """Likely illusions and label first with their score intervals, or, when the ranking is not reliable, why not."""
    ranking = result.get("illusion_score")
    if ranking is None:  # the score failed: named among the problems
        return
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


def _versus_paper(console: Console, paper: dict[str, Any] | None, findings: dict[str, FindingEntry]) -> None:
    """The findings that differ from the paper's, each with the paper's value, then the model/scale caveat."""
    differ = {name: f for name, f in (paper or {}).get("findings", {}).items() if f["status"] == "differs"}
    if paper and differ:
        titles = {name: f.title for name, f in findings.items()}
        said = [f"{titles.get(name, name)} {share(f['run'], 1)} (the paper: {f['paper_text']})" for name, f in differ.items()]
        console.print(f"differs from the paper: {'; '.join(said)}", soft_wrap=True)
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
