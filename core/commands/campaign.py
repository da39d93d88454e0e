"""``illusion campaign status``, ``backup`` and ``restore``: follow a labelling campaign and keep it safe."""

from __future__ import annotations

import json
from pathlib import Path

import click

from illusion.commands.labelstudio import key_option, url_option
from illusion.commands.options import RUN_DIR


@click.group()
def campaign() -> None:
    """Follow a labelling campaign, back it up and restore it."""


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes // 60}h{minutes % 60:02d}" if minutes >= 60 else f"{minutes}m{seconds:02d}s"


def _checks(score: dict | None) -> str:
    if not score:
        return "-"
    return f"{score['passed']}/{score['checks']}" + (" FLAGGED" if score["flagged"] else "")


@campaign.command()
@RUN_DIR
@url_option
@key_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(run_dir: Path, url: str | None, api_key: str | None, as_json: bool) -> None:
    """Per annotator: tasks assigned, done, skipped, pace and time left; agreement so far.

    Answers the labelling config does not allow, and annotations a shared server says another user
    saved, are listed as set aside (`illusion import` keeps them out of annotations.jsonl, in
    annotations.rejects.jsonl).
    """
    from rich.console import Console
    from rich.table import Table

    from illusion.annotations.agreement.status import campaign_status
    from illusion.annotations.labelstudio.backend import LabelStudioBackend
    from illusion.annotations.labelstudio.backup import describe_backup, last_backup

    found = campaign_status(run_dir, LabelStudioBackend(url, api_key))
    found["last_backup"] = last_backup(found["run_id"])
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    # Fits 80 columns with whole pseudonyms: the rows must be told apart.
    table = Table(title="Campaign", padding=(0, 1))
    table.add_column("annotator", no_wrap=True, min_width=max(map(len, found["annotators"]), default=9))
    for column in ("tasks", "done", "skip", "left", "per task", "time left", "checks"):
        table.add_column(column, justify="right")
    for name, row in found["annotators"].items():
        table.add_row(
            name,
            *("-" if row[k] is None else str(row[k]) for k in ("assigned", "done", "skipped", "left")),
            _seconds(row["median_seconds"]),
            _seconds(row["seconds_left"]),
            _checks(row["attention"]),
        )
    console = Console()
    console.print(table)
    for reject in found["rejects"]:
        console.print(
            f"set aside: {reject['annotator']}, {reject['task_type']} task {reject['task_uid']}, "
            f"{reject['field']}: {reject['why']}",
            highlight=False,
            markup=False,
        )
    alpha = found["pattern_alpha"]
    if alpha and alpha.get("value") is not None:
        low, high = alpha["ci"]
        console.print(
            f"agreement so far on 'is there a pattern': Krippendorff's alpha {alpha['value']:.2f} [{low:.2f}, {high:.2f}]"
        )
    else:
        console.print("agreement so far: " + ((alpha or {}).get("reason") or "no labels yet"))
    console.print(describe_backup(found["last_backup"]))


@campaign.command()
@RUN_DIR
@click.argument("out", type=click.Path(path_type=Path))
def backup(run_dir: Path, out: Path) -> None:
    """Write one archive (OUT, or a new file in the folder OUT) holding all the campaign of RUN_DIR needs to go on.

    The run's campaign files, the organiser's private file, the annotator list and every annotator's
    server data (databases copied safely while the servers run). The archive holds secrets: keep it
    as private as your organiser folder.
    """
    from illusion.annotations.labelstudio.backup import backup_campaign

    done = backup_campaign(run_dir, out)
    click.echo(
        f"wrote {done['archive']}: {done['files']} files, {done['bytes'] / 1e6:.1f} MB, "
        f"servers of {', '.join(done['annotators']) or 'no annotator'}, in {done['seconds']:.1f} s"
    )


@campaign.command()
@click.argument("archive", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--run-dir", type=click.Path(file_okay=False, path_type=Path), help="Where to put the run folder [default: where it was]."
)
@click.option(
    "--data-home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Put each annotator's server data in DATA_HOME/NAME instead of where it was (annotators.json follows).",
)
@click.option("--overwrite", is_flag=True, help="Replace files and annotator entries that differ from the backup.")
def restore(archive: Path, run_dir: Path | None, data_home: Path | None, overwrite: bool) -> None:
    """Put a campaign back from ARCHIVE (written by `campaign backup`); stop its servers first."""
    from illusion.annotations.labelstudio.backup import restore_campaign

    done = restore_campaign(archive, run_dir, data_home, overwrite)
    click.echo(f"restored the campaign of run {done['run_id']} backed up at {done['created_at']} into {done['run_dir']}")
    for name, place in done["annotators"].items():
        click.echo(f"  {name}: server data {place['data_dir']}, port {place['port']}")
    click.echo("start the servers with `illusion labelstudio serve --annotators`")
