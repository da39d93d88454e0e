"""The campaign record in a run folder (``labelstudio.json``) and the projects it points to.

The record holds the server URL and the id of each project, never an API key. Projects are found
again by these ids, not by title, and must name the run in their description.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from illusion.annotations.labelstudio.client import refused
from illusion.annotations.labelstudio.tasks import CampaignRun
from illusion.common.files import read_json, write_json
from illusion.errors import IllusionError
from illusion.run.folder import LABELSTUDIO


def record_path(run: CampaignRun) -> Path:
    return run.path / LABELSTUDIO


def read_record(run: CampaignRun) -> dict[str, Any] | None:
    """The run's campaign record, or None before its first export."""
    path = record_path(run)
    if not path.exists():
        return None
    record = read_json(path, "campaign record")
    projects = record.get("projects") if isinstance(record, dict) else None
    if not isinstance(projects, dict) or not all(isinstance(p, dict) and isinstance(p.get("id"), int) for p in projects.values()):
        raise IllusionError(f"{path}: not a campaign record written by `illusion export`; delete it to start a new campaign")
    if record.get("run_id") != run.run_id:
        raise IllusionError(
            f"{path}: belongs to run {record.get('run_id')}, not to run "
            f"{run.run_id} in manifest.json; delete it to start a new campaign"
        )
    return record


def write_record(run: CampaignRun, record: dict[str, Any]) -> None:
    write_json(record_path(run), record)


def project_description(run: CampaignRun, task_type: str) -> str:
    return f"illusion run {run.run_id}: {task_type} tasks"


def find_project(client: LabelStudio, url: str, run: CampaignRun, task_type: str, project_id: int) -> Any:
    """The recorded project of ``task_type``, checked to exist and to belong to the run."""
    with refused(
        404,
        f"the {task_type} project {project_id} recorded in {record_path(run)} "
        f"no longer exists at {url}; delete {record_path(run)} to start a new "
        "campaign (labels made in the old project are gone)",
    ):
        project = client.projects.get(project_id)
    if run.run_id not in (project.description or ""):
        raise IllusionError(
            f"project {project_id} at {url} is not the {task_type} project of run "
            f"{run.run_id} (another server?); pass the URL of the campaign's "
            f"server, or delete {record_path(run)} to start a new campaign"
        )
    return project
