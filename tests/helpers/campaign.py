"""The labelling tasks of a run folder as the organiser builds them (with their private key)."""

from __future__ import annotations

from illusion.annotations.labelstudio.private import load_private
from illusion.annotations.labelstudio.tasks import Task, build_tasks, load_campaign_run


def tasks_of(run_dir) -> dict[str, list[Task]]:
    run = load_campaign_run(run_dir)
    return build_tasks(run, load_private(run.run_id, create=True))


def pseudonyms_of(run_dir) -> dict[str, str]:
    """The organiser's private map from Label Studio user id to pseudonym."""
    return load_private(load_campaign_run(run_dir).run_id).pseudonyms
