"""Label Studio as a campaign's backend (see ``illusion.annotations.campaign.backend``): the
ledger in ``labelstudio.json``, the questions of ``set.xml`` and ``pair.xml``, and the JSON
export of every recorded project, on one shared server or on each annotator's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from illusion.annotations.campaign.backend import Question
from illusion.annotations.campaign.private import Private
from illusion.annotations.campaign.tasks import CampaignRun
from illusion.annotations.labelstudio.annotators import seat
from illusion.annotations.labelstudio.client import connect, server_url, talking_to
from illusion.annotations.labelstudio.config import config_text, form_questions
from illusion.annotations.labelstudio.project import find_project, ledger_path, read_ledger
from illusion.errors import IllusionError


@dataclass(frozen=True)
class LabelStudioBackend:
    """The campaign's Label Studio servers; ``url`` and ``api_key`` name a shared server (default: the recorded one)."""

    url: str | None = None
    api_key: str | None = None

    def ledger(self, run: CampaignRun) -> dict[str, Any] | None:
        return read_ledger(run)

    def questions(self, task_type: str) -> dict[str, Question]:
        return form_questions(config_text(task_type))

    def exports(self, run: CampaignRun, private: Private, ledger: dict[str, Any]) -> list[tuple[str, Any]]:
        """The JSON export of every recorded project: on the shared server, or on each annotator's own."""
        if not ledger:
            raise IllusionError(
                f"{ledger_path(run)}: no campaign yet; run `illusion export` first (it takes up a campaign "
                "whose ledger was lost), or pass --from-file with a Label Studio JSON export"
            )
        if not ledger.get("annotators"):
            url = server_url(self.url or ledger.get("url"))
            return _exports(connect(url, self.api_key), url, run, private, ledger["projects"])
        names = private.seat_names()
        exports = []
        for pseudonym, holder in ledger["annotators"].items():
            place = seat(names[pseudonym])
            exports += _exports(connect(place.url, place.admin_key()), place.url, run, private, holder["projects"])
        return exports

    def assigned(self, ledger: dict[str, Any]) -> dict[str, int]:
        return {
            pseudonym: sum(project.get("tasks", 0) for project in holder["projects"].values())
            for pseudonym, holder in ledger.get("annotators", {}).items()
        }


def _exports(client: Any, url: str, run: CampaignRun, private: Private, projects: dict[str, Any]) -> list[tuple[str, Any]]:
    """Each project's JSON export; the snapshot the server keeps of it is deleted at once."""
    exports = []
    with talking_to(url):
        for task_type, entry in projects.items():
            project = find_project(client, url, run, private, task_type, entry["id"])
            exports.append((f"project {project.id} at {url}", client.projects.exports.as_json(project.id)))
            for snapshot in client.projects.exports.list(project.id):
                client.projects.exports.delete(project.id, snapshot.id)
    return exports
