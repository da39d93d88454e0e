"""The labelling tasks of a run folder as the organiser builds them (with their private key), and
annotators' servers of their own for tests against real Label Studio."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from illusion.annotations.campaign.private import load_private
from illusion.annotations.campaign.tasks import Task, build_tasks, load_campaign_run
from illusion.annotations.labelstudio.annotators import add_annotator, seats
from illusion.annotations.labelstudio.server import Server, free_port, launch, stop_process


def tasks_of(run_dir) -> dict[str, list[Task]]:
    run = load_campaign_run(run_dir)
    return build_tasks(run, load_private(run.run_id, create=True))


def pseudonyms_of(run_dir) -> dict[str, str]:
    """The organiser's private map from Label Studio user id to pseudonym."""
    return load_private(load_campaign_run(run_dir).run_id).pseudonyms


@contextmanager
def annotator_servers(tmp_path_factory, names) -> Iterator[tuple[Path, dict[str, tuple[str, str]], dict[str, Server]]]:
    """Annotators ``names``, each with a server of their own (started), in an organiser folder of their
    own: yield that folder, each one's login (e-mail, password) and the running servers by name
    (a test that restarts a server puts the new one there, to be stopped at the end)."""
    venv = Path(os.environ["ILLUSION_LS_VENV"])
    home = tmp_path_factory.mktemp("ls-home")
    shutil.copytree(venv / "illusion-data-template", home / "template")  # initialised once, for speed
    organiser = tmp_path_factory.mktemp("organiser")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ILLUSION_ORGANISER_DIR", str(organiser))
        logins = {name: add_annotator(name, venv, home, port=free_port())[1:] for name in names}
        running = {name: launch(venv / "bin" / "label-studio", place.data_dir, place.port) for name, place in seats().items()}
        try:
            yield organiser, logins, running
        finally:
            for server in running.values():
                stop_process(server.process.pid)
