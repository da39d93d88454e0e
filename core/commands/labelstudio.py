"""``illusion labelstudio serve``, ``illusion export`` and ``illusion import``."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from illusion.commands.options import RUN_DIR
from illusion.errors import IllusionError

url_option = click.option("--url", envvar="LABEL_STUDIO_URL", show_envvar=True, help="Label Studio server address.")
key_option = click.option(
    "--api-key", envvar="LABEL_STUDIO_API_KEY", show_envvar=True, help="Label Studio API token (never printed or written)."
)


@click.group()
def labelstudio() -> None:
    """Run a local Label Studio server for a labelling campaign."""


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the server keeps projects and labels [default: ~/.local/share/illusion/label-studio].",
)
venv_option = click.option(
    "--venv",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ILLUSION_LS_VENV",
    show_envvar=True,
    help="Virtual environment of the server, created if missing [default: ~/.local/share/illusion/label-studio-venv].",
)
REMOTE_WARNING = (
    "warning: serving on {host} over plain HTTP: passwords, tokens and labels cross the network unencrypted, "
    "and anyone who can reach the port sees the login page. Put it behind a TLS reverse proxy (see docs/campaign.md)."
)


@labelstudio.command()
@data_dir_option
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    show_default=True,
    help="Port of the organiser's server (the next free one if taken).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback lets other machines connect (prints a warning).",
)
@click.option("--annotators", is_flag=True, help="Start every annotator's own server instead (see add-annotator).")
@venv_option
def serve(data_dir: Path | None, port: int, host: str, annotators: bool, venv: Path | None) -> None:
    """Start Label Studio and print its URL and API key; Ctrl-C stops it."""
    from illusion.annotations.labelstudio.annotators import seats
    from illusion.annotations.labelstudio.server import default_home, ensure_venv, launch, stop_process

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(REMOTE_WARNING.format(host=host), err=True)
    exe = ensure_venv((venv or default_home() / "label-studio-venv").resolve())
    places = list(seats().values()) if annotators else []
    if annotators and not places:
        raise IllusionError("no annotators yet; add them with `illusion labelstudio add-annotator NAME`")
    started = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if not annotators:
            server = launch(exe, (data_dir or default_home() / "label-studio").resolve(), port, host)
            started.append(server)
            click.echo(
                f"Label Studio is running at {server.url}\n"
                f"  log in as {server.username}, password {server.password}\n"
                f"  export LABEL_STUDIO_URL={server.url}\n"
                f"  export LABEL_STUDIO_API_KEY={server.api_key}\n"
                f"data: {server.data_dir}; press Ctrl-C to stop"
            )
        for place in places:
            server = launch(exe, place.data_dir, place.port, host)
            started.append(server)
            if not server.url.endswith(f":{place.port}"):
                raise IllusionError(f"port {place.port} of annotator {place.name!r} is taken; free it and retry")
            click.echo(f"{place.name}: {server.url} (data: {place.data_dir})")
        if places:
            click.echo("press Ctrl-C to stop")
        status = started[0].process.wait()
        raise IllusionError(f"Label Studio stopped with status {status} (log: {started[0].data_dir / 'server.log'})")
    except KeyboardInterrupt:
        click.echo("stopping Label Studio", err=True)
    finally:
        for server in started:
            stop_process(server.process.pid)


@labelstudio.command("add-annotator")
@click.argument("name")
@click.option("--email", help="The annotator's login, kept on their server only [default: NAME@annotators.invalid].")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port of the annotator's server [default: one above the highest port given so far, from 8081].",
)
@venv_option
def add_annotator(name: str, email: str | None, port: int | None, venv: Path | None) -> None:
    """Give annotator NAME a Label Studio server of their own, with an account; print the password once."""
    from illusion.annotations.labelstudio.annotators import add_annotator as add
    from illusion.annotations.labelstudio.server import default_home

    home = default_home()
    place, login, password = add(name, (venv or home / "label-studio-venv").resolve(), home / "label-studio", email, port)
    click.echo(
        f"annotator {name}: server {place.url} (started by `illusion labelstudio serve --annotators`)\n"
        f"  login {login}\n  password {password}\n"
        "Send these to the annotator privately; the password is not stored anywhere and is not shown again."
    )


@click.command("export")
@RUN_DIR
@url_option
@key_option
@click.option("--overlap", type=click.IntRange(min=1), help="Annotators per task [default: the recorded one, else 2].")
@click.option("--title", help="Project title prefix [default: Campaign <tag>].")
@click.option(
    "--annotator",
    "annotators",
    multiple=True,
    help="Give tasks to this annotator's own server (repeatable; see add-annotator) instead of one shared server.",
)
@click.option(
    "--attention",
    type=click.IntRange(min=0),
    help="Attention checks (sets with a planted pattern) every annotator gets [default: as recorded, else 0].",
)
@click.option(
    "--reassign",
    is_flag=True,
    help="Deal the tasks anew to another --annotator list or --overlap than the recorded one; "
    "unanswered tasks an annotator loses are withdrawn, answered ones stay.",
)
def export(
    run_dir: Path,
    url: str | None,
    api_key: str | None,
    overlap: int | None,
    title: str | None,
    annotators,
    attention: int | None,
    reassign: bool,
) -> None:
    """Create (or resume) the blind labelling campaign of RUN_DIR in Label Studio.

    Everything is checked (annotators, overlap, every server reachable) before anything changes.
    Without --annotator, a campaign on annotators' own servers goes to the recorded annotators.
    When RUN_DIR/labelstudio.json is lost, the campaign's projects are found on the server(s) by
    their tag and taken up again, with the design kept in the organiser's private file.
    """
    from illusion.annotations.campaign.tasks import TASK_TYPES
    from illusion.annotations.labelstudio.export import export_campaign, plugin_predictions, recorded_url

    summary = export_campaign(
        run_dir,
        url,
        api_key,
        overlap=overlap,
        title=title,
        predict=plugin_predictions(),
        annotators=list(annotators),
        attention=attention,
        reassign=reassign,
    )
    shared = set(summary) <= set(TASK_TYPES)  # one shared server
    url = recorded_url(run_dir) if shared else None
    for who, projects in ({"": summary} if shared else summary).items():
        for task_type, done in projects.items():
            where = f"{who}'s server" if who else f"{url}/projects/{done['project']}"
            withdrawn = (
                f", {done['withdrawn']} unanswered withdrawn, {done['answered_kept']} answered kept"
                if "withdrawn" in done
                else ""
            )
            click.echo(
                f"{task_type} tasks: project {done['project']} at {where}, {done['added']} added{withdrawn}, {done['tasks']} in all"
            )


@click.command("import")
@RUN_DIR
@click.option(
    "--from-file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Label Studio JSON export to read instead of the server (repeatable).",
)
@url_option
@key_option
@click.option(
    "--strict", is_flag=True, help="Exit with status 1 when any answer was set aside (invalid, or saved in another's name)."
)
def import_(run_dir: Path, files: tuple[Path, ...], url: str | None, api_key: str | None, strict: bool) -> None:
    """Write RUN_DIR/annotations.jsonl from the campaign's labels.

    An answer the labelling config does not allow (a choice it lacks, a rating out of range) is set
    aside in RUN_DIR/annotations.rejects.jsonl and the rest is kept; so is, whole, an annotation of a
    shared server saved by another user than the one it names. When rows would be removed or
    changed, the earlier annotations.jsonl is kept as annotations.N.jsonl.
    """
    from illusion.annotations.campaign.importer import import_campaign
    from illusion.annotations.labelstudio.backend import LabelStudioBackend
    from illusion.run.folder import ANNOTATIONS, ANNOTATIONS_REJECTS, ANNOTATIONS_SUMMARY

    summary = import_campaign(run_dir, LabelStudioBackend(url, api_key), files)
    unannotated = ", ".join(f"{summary['unannotated_tasks'][t]} of {n} {t} tasks" for t, n in summary["tasks"].items() if n)
    changes = summary["changes"]
    click.echo(
        f"wrote {run_dir / ANNOTATIONS}: {summary['annotations']} annotations, "
        f"{summary['annotators']} annotators; unannotated: {unannotated}; "
        f"skipped: {summary['skipped']}\n"
        f"against the earlier {changes['before']} rows: {changes['added']} added, "
        f"{changes['removed']} removed, {changes['changed']} changed"
    )
    if "kept_as" in changes:
        click.echo(f"the earlier file is kept as {run_dir / changes['kept_as']}")
    read = "in the given files" if files else "on the server(s) any more"
    removed = {
        "gone": f"are not {read}; check that labelstudio.json points to the campaign's projects",
        "saved_by_another": f"were saved in another annotator's name and are set aside in {run_dir / ANNOTATIONS_REJECTS}",
        "another_run": f"belong to another run than {summary['run_id']} and were not carried on",
        "repeated": "were repeated in it and are written once",
    }
    for reason, count in changes.get("why_removed", {}).items():
        click.echo(f"warning: {count} rows of the earlier file {removed[reason]}", err=True)
    for name, score in summary["attention"].items():
        if score["flagged"]:
            click.echo(f"note: {name} saw the planted pattern in {score['passed']} of {score['checks']} attention checks")
    if summary["drafts"]:
        click.echo(
            f"note: {summary['drafts']} answers are drafts, saved but never submitted, and were not imported; "
            "ask their annotators to submit them"
        )
    if summary["inconsistent"]:
        click.echo(
            f"note: {len(summary['inconsistent'])} annotations answer 'Yes' with the kind 'No pattern' "
            f"(listed under 'inconsistent' in {run_dir / ANNOTATIONS_SUMMARY})"
        )
    if summary["rejects"]:
        click.echo(
            f"{'error' if strict else 'warning'}: {summary['rejects']} answers are not allowed by the labelling config "
            f"and were set aside in {run_dir / ANNOTATIONS_REJECTS} (annotator, task, field, value, why); "
            "the rest of each annotation is kept",
            err=True,
        )
    if summary["forged"]:
        click.echo(
            f"{'error' if strict else 'warning'}: {summary['forged']} annotations name another annotator than "
            f"the Label Studio user who saved them and were set aside in {run_dir / ANNOTATIONS_REJECTS} "
            "(field completed_by; why names both); they are credited to no one",
            err=True,
        )
    if strict and (summary["rejects"] or summary["forged"]):
        sys.exit(1)
