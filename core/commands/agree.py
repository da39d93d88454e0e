"""``illusion agree``: agreement statistics of a labelled run, as ``agreement.json``, ``agreement.html`` and terminal tables."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Column, Table

from illusion.annotations.agreement.report import condition_name, interval, render_html
from illusion.commands.options import RUN_DIR
from illusion.run.folder import AGREEMENT, AGREEMENT_PAGE, ANNOTATIONS_SUMMARY, RunFolder
from illusion.run.schema import Annotation


@click.command()
@RUN_DIR
@click.option(
    "--from-file",
    "exports",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read labels from a Label Studio JSON export instead of annotations.jsonl (repeatable: one per project).",
)
@click.option(
    "--bootstrap",
    "n_resamples",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples per interval (0: no intervals).",
)
@click.option("--seed", type=int, default=None, help="Seed of the resampling  [default: the run's seed]")
def agree(run_dir: Path, exports: tuple[Path, ...], n_resamples: int, seed: int | None) -> None:
    """Reliability of the labels, the paper's table per condition, and whether concepts survive a change of dataset.

    Writes RUN_DIR/agreement.json (schema: docs/agreement.md) and RUN_DIR/agreement.html.
    """
    # The statistics libraries are slow to import: only here, so that `illusion --help` stays fast.
    from illusion.annotations.agreement.compute import compute_agreement
    from illusion.annotations.agreement.ratings import load_labelled_run

    run = load_labelled_run(run_dir, *_exported(run_dir, exports)) if exports else load_labelled_run(run_dir)
    result = compute_agreement(run, n_resamples=n_resamples, seed=run.seed if seed is None else seed)
    folder = RunFolder(run.path)
    checks = (folder.optional_json(ANNOTATIONS_SUMMARY) or {}).get("attention") if not exports else None
    if checks:  # scored at import, never part of the statistics above
        result["attention"] = checks
    folder.write_json(AGREEMENT, result)
    folder.write_text(AGREEMENT_PAGE, render_html(result))
    console = Console(markup=False, highlight=False)  # names and reasons are data, not markup
    for table in (_campaign(result), _conditions(result), _reliability(result), _cross_dataset(result), _annotators(result)):
        console.print(table)
    for line in [*result["notes"], *result["limitations"]]:
        console.print(line, style="dim")
    for name, score in (checks or {}).items():
        flag = "  FLAGGED: below the pass share" if score["flagged"] else ""
        console.print(f"attention checks, {name}: pattern seen in {score['passed']} of {score['checks']}{flag}")
    console.print(f"wrote {run.path / 'agreement.json'} and {run.path / 'agreement.html'}", soft_wrap=True)


def _exported(run_dir: Path, exports: tuple[Path, ...]) -> tuple[list[Annotation], str]:
    """Annotation rows converted from Label Studio JSON exports, as ``illusion import --from-file`` makes them."""
    from illusion.annotations.campaign.attention import CONDITION
    from illusion.annotations.campaign.importer import gather
    from illusion.annotations.labelstudio.backend import LabelStudioBackend

    got = gather(run_dir, LabelStudioBackend(), tuple(map(str, exports)))
    rows = [row for row in got.rows if row.condition != CONDITION]
    return rows, ", ".join(map(str, exports))


def _campaign(result: dict) -> Table:
    table = Table("condition", "sets", "0 labels", "1 label", "2+ labels", title="Campaign")
    for name, counts in result["campaign"]["sets"]["by_condition"].items():
        table.add_row(condition_name(name), str(sum(counts.values())), str(counts["0"]), str(counts["1"]), str(counts["2+"]))
    pairs = result["campaign"]["pairs"]
    table.add_row("cross-dataset pairs", str(pairs["total"]), *(str(pairs["labels"][key]) for key in ("0", "1", "2+")))
    return table


def _conditions(result: dict) -> Table:
    k = result["settings"]["k"]
    table = Table(
        "condition",
        "labelled twice",
        "pattern",
        "no pattern",
        "conflict",
        f"fit (of {k})",
        title="Sets with a pattern, per condition",
    )
    for name, row in result["conditions"]["table"].items():
        table.add_row(
            condition_name(name),
            f"{row['rated']}/{row['sets']}",
            interval(row["pattern"]),
            interval(row["none"]),
            interval(row["conflict"]),
            interval(row["fits_mean"], 1),
        )
    return table


def _reliability(result: dict) -> Table:
    table = Table("field", "level", "sets", "alpha", "Fleiss", "% agree", "Cohen (pairs)", title="Inter-annotator reliability")
    for name, field in result["reliability"].items():
        cohen = ", ".join(interval(entry) for entry in field["cohen_kappa"]) or "–"
        fleiss = "ordinal" if field["fleiss_kappa"] is None else interval(field["fleiss_kappa"])
        table.add_row(
            name,
            field["level"],
            f"{field['pairable_sets']}/{field['sets']}",
            interval(field["krippendorff_alpha"]),
            fleiss,
            interval(field["percent_agreement"]),
            cohen,
        )
    return table


def _cross_dataset(result: dict) -> Table:
    # Headers broken over two lines and no outer edge, so that the table fits 80 columns.
    table = Table(
        Column("condition", min_width=10),
        "direc-\ntions",
        "global",
        "dataset-\nlevel",
        "none",
        "undeter-\nmined",
        "distinct\nconcepts",
        "same\nconcept",
        title="Across datasets",
        show_edge=False,
    )
    for name, row in result["cross_dataset"]["conditions"].items():
        calls = row["calls"]
        table.add_row(
            condition_name(name),
            f"{row['labelled']}/{row['directions']}",
            *(str(calls[call]) for call in ("global", "dataset-level", "none", "undetermined")),
            interval(row["distinct_concepts"], 1),
            interval(row["same_share"]),
        )
    return table


def _annotators(result: dict) -> Table:
    table = Table(title="Annotators")
    table.add_column("annotator", no_wrap=True)  # whole pseudonyms: the rows must be told apart
    for column in ("sets", "pairs", "saw a pattern", "minutes", "agrees on pattern", "Cohen"):
        table.add_column(column)
    for name, row in result["annotators"].items():
        kappa = row["cohen_kappa_mean"]
        table.add_row(
            name,
            str(row["sets"]),
            str(row["pairs"]),
            interval(row["patterns_found"]),
            f"{row['lead_time']['total'] / 60:.1f}",
            interval(row["pattern_agreement"]),
            "–" if kappa is None else f"{kappa:.2f}",
        )
    return table
