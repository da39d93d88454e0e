"""``illusion explore``: every direction of a run in a browser, served on loopback or written as static files."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from illusion.commands.options import QUIET, RUN_DIR
from illusion.common.progress import Reporter
from illusion.explain.runner import SpecExplainer
from illusion.explore.ondemand import OnDemand
from illusion.explore.serve import server, url
from illusion.explore.site import cached_site, write_site
from illusion.run.store import default_cache_dir


@click.command()
@RUN_DIR
@click.option(
    "--static",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the explorer to this folder as static files (open index.html, or publish the folder) instead of serving it.",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to serve on; loopback keeps the page on this machine."
)
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port to serve on (default: a free one).")
@QUIET
def explore(run_dir: Path, out: Path | None, host: str, port: int, quiet: bool) -> None:
    """Browse every direction of the run in RUN_DIR: search, sort and filter them, see their histograms and samples.

    Served, the site is kept in the cache (written again only when the run folder changed) and any other
    direction the run can compute (neuron:N, file:PATH) opens too, computed from the run's stored vectors and
    explained on the page by the `keywords` explainer, as `illusion explain` would."""
    reporter = Reporter(quiet=quiet)
    if out is not None:
        write_site(run_dir, out, reporter)
        click.echo(f"wrote {out / 'index.html'}: open it in a browser, or publish the folder as it is")
        return
    site = cached_site(run_dir, default_cache_dir(), reporter)
    try:
        httpd = server(site, host, port, OnDemand(run_dir, SpecExplainer()))
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port} ({exc.strerror}); pick another --port") from None
    click.echo(f"exploring {run_dir} at {url(httpd)} (Ctrl-C stops)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
