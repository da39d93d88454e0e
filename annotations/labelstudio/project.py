"""The campaign ledger in a run folder (``labelstudio.json``) and the projects it points to.

The ledger holds the server URL and the id of each project, never an API key. Projects are found
again by these ids, not by title, and must carry the campaign's tag in their description: a code
keyed with the organiser's private key, which names neither the run nor anything of its design.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from illusion.annotations.campaign.private import Private
from illusion.annotations.campaign.tasks import CampaignRun
from illusion.annotations.labelstudio.client import refused
from illusion.common.files import read_json, write_json
from illusion.errors import IllusionError
from illusion.run.folder import LABELSTUDIO


def ledger_path(run: CampaignRun) -> Path:
    return run.path / LABELSTUDIO


def read_ledger(run: CampaignRun) -> dict[str, Any] | None:
    """The run's campaign ledger, or None before its first export."""
    path = ledger_path(run)
    if not path.exists():
        return None
    ledger = read_json(path, "campaign ledger")
    projects = ledger.get("projects") if isinstance(ledger, dict) else None
    if not isinstance(projects, dict) or not all(isinstance(p, dict) and isinstance(p.get("id"), int) for p in projects.values()):
        raise IllusionError(f"{path}: not a campaign ledger written by `illusion export`; delete it to start a new campaign")
    if ledger.get("run_id") != run.run_id:
        raise IllusionError(
            f"{path}: belongs to run {ledger.get('run_id')}, not to run "
            f"{run.run_id} in manifest.json; delete it to start a new campaign"
        )
    return ledger


def write_ledger(run: CampaignRun, ledger: dict[str, Any]) -> None:
    write_json(ledger_path(run), ledger)


def campaign_tag(private: Private) -> str:
    """The campaign's public name: the same for every project of the run, meaningless without the key."""
    return private.keyed("campaign", size=8)


def project_description(private: Private) -> str:
    return f"Labelling campaign {campaign_tag(private)}. Read each set and answer the questions."


def find_project(client: LabelStudio, url: str, run: CampaignRun, private: Private, task_type: str, project_id: int) -> Any:
    """The recorded project of ``task_type``, checked to exist and to belong to the run."""
    with refused(
        404,
        f"the {task_type} project {project_id} recorded in {ledger_path(run)} "
        f"no longer exists at {url}; delete {ledger_path(run)} to start a new "
        "campaign (labels made in the old project are gone)",
    ):
        project = client.projects.get(project_id)
    if campaign_tag(private) not in (project.description or ""):
        raise IllusionError(
            f"project {project_id} at {url} is not the {task_type} project of run "
            f"{run.run_id} (another server?); pass the URL of the campaign's "
            f"server, or delete {ledger_path(run)} to start a new campaign"
        )
    return project
