"""``illusion labelstudio serve``, ``illusion export`` and ``illusion import``."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from illusion.errors import IllusionError

run_dir_argument = click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
url_option = click.option("--url", envvar="LABEL_STUDIO_URL", show_envvar=True, help="Label Studio server address.")
key_option = click.option(
    "--api-key", envvar="LABEL_STUDIO_API_KEY", show_envvar=True, help="Label Studio API token (never printed or written)."
)


@click.group()
def labelstudio() -> None:
    """Run a local Label Studio server for a labelling campaign."""


@labelstudio.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the server keeps projects and labels [default: ~/.local/share/illusion/label-studio].",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    show_default=True,
    help="Port on 127.0.0.1 (the next free one if taken).",
)
@click.option(
    "--venv",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ILLUSION_LS_VENV",
    show_envvar=True,
    help="Virtual environment of the server, created if missing [default: ~/.local/share/illusion/label-studio-venv].",
)
def serve(data_dir: Path | None, port: int, venv: Path | None) -> None:
    """Start Label Studio on 127.0.0.1 and print its URL and API key; Ctrl-C stops it."""
    from illusion.annotations.labelstudio.server import default_home, ensure_venv, launch, stop_process

    exe = ensure_venv((venv or default_home() / "label-studio-venv").resolve())
    server = launch(exe, (data_dir or default_home() / "label-studio").resolve(), port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        click.echo(
            f"Label Studio is running at {server.url}\n"
            f"  log in as {server.username}, password {server.password}\n"
            f"  export LABEL_STUDIO_URL={server.url}\n"
            f"  export LABEL_STUDIO_API_KEY={server.api_key}\n"
            f"data: {server.data_dir}; press Ctrl-C to stop"
        )
        status = server.process.wait()
        raise IllusionError(f"Label Studio stopped with status {status} (log: {server.data_dir / 'server.log'})")
    except KeyboardInterrupt:
        click.echo("stopping Label Studio", err=True)
    finally:
        stop_process(server.process.pid)


@click.command("export")
@run_dir_argument
@url_option
@key_option
@click.option("--overlap", type=click.IntRange(min=1), default=2, show_default=True, help="Annotators per task.")
@click.option("--title", help="Project title prefix [default: illusion <run id>].")
def export(run_dir: Path, url: str | None, api_key: str | None, overlap: int, title: str | None) -> None:
    """Create (or resume) the blind labelling campaign of RUN_DIR in Label Studio."""
    from illusion.annotations.labelstudio.export import export_campaign, plugin_predictions

    summary = export_campaign(run_dir, url, api_key, overlap=overlap, title=title, predict=plugin_predictions())
    for task_type, done in summary.items():
        click.echo(
            f"{task_type} tasks: project {done['project']} at {url.rstrip('/')}/projects/"
            f"{done['project']}, {done['added']} added, {done['tasks']} in all"
        )


@click.command("import")
@run_dir_argument
@click.option(
    "--from-file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Label Studio JSON export to read instead of the server (repeatable).",
)
@url_option
@key_option
def import_(run_dir: Path, files: tuple[Path, ...], url: str | None, api_key: str | None) -> None:
    """Write RUN_DIR/annotations.jsonl from the campaign's labels."""
    from illusion.annotations.labelstudio.importer import import_campaign
    from illusion.run.folder import ANNOTATIONS

    summary = import_campaign(run_dir, url, api_key, files)
    unannotated = ", ".join(f"{summary['unannotated_tasks'][t]} of {n} {t} tasks" for t, n in summary["tasks"].items() if n)
    click.echo(
        f"wrote {run_dir / ANNOTATIONS}: {summary['annotations']} annotations, "
        f"{summary['annotators']} annotators; unannotated: {unannotated}; "
        f"skipped: {summary['skipped']}"
    )
