"""The task list an annotator opens on: the sentences as plain text first, then whether a task is done.

Label Studio's data manager shows the columns of a project's view (``/api/dm/views``); a view that
names its hidden columns shows every other one, so the view hides every column the server offers
(``/api/dm/columns``) except the few an annotator needs. Data columns appear with the tasks that
carry them, so the view is brought up to date after each import: new columns are hidden, the rest of the
view is left as it is.
"""

from __future__ import annotations

from typing import Any

from label_studio_sdk import LabelStudio

from illusion.annotations.labelstudio.client import describe
from illusion.errors import IllusionError

# The plain-text preview of the sentences, the dataset, then the task's state (done, answers, skipped).
SHOWN = {
    "set": (
        "tasks:data.text",
        "tasks:data.dataset",
        "tasks:completed_at",
        "tasks:total_annotations",
        "tasks:cancelled_annotations",
    ),
    "pair": ("tasks:data.text", "tasks:completed_at", "tasks:total_annotations", "tasks:cancelled_annotations"),
}
# While labelling, the list beside the form shows the preview only.
SHOWN_WHILE_LABELLING = ("tasks:data.text",)
PREVIEW_WIDTH = 640


def column_ids(client: LabelStudio, project_id: int) -> list[str]:
    """Every column the data manager offers for the project, as ``tasks:<id>`` / ``tasks:data.<field>``."""
    # The SDK has no call for the data manager's columns; its HTTP client (address, key) does.
    answer = client._client_wrapper.httpx_client.request("api/dm/columns", method="GET", params={"project": project_id})
    if answer.status_code != 200:
        raise IllusionError(
            f"Label Studio answered {answer.status_code} when asked for project {project_id}'s task columns: {describe(answer.text)}"
        )
    columns = answer.json()["columns"]
    return [f"tasks:{c['parent'] + '.' if c.get('parent') else ''}{c['id']}" for c in columns if c["id"] != "data"]


def annotator_view(columns: list[str], task_type: str) -> dict[str, Any]:
    """The view's ``data``: every column but the annotator's hidden, the preview wide."""
    return {
        "title": "Tasks",
        "hiddenColumns": {
            "explore": [c for c in columns if c not in SHOWN[task_type]],
            "labeling": [c for c in columns if c not in SHOWN_WHILE_LABELLING],
        },
        "columnsWidth": {"tasks:data.text": PREVIEW_WIDTH},
    }


def ensure_annotator_view(client: LabelStudio, project_id: int, task_type: str) -> None:
    """Open the project's task list on the annotator's columns: make the view, or hide the columns new to it."""
    wanted = annotator_view(column_ids(client, project_id), task_type)
    views = client.views.list(project=project_id)
    if not views:
        client.views.create(project=project_id, data=wanted)
        return
    view, data = views[0], dict(views[0].data or {})
    hidden = {mode: list((data.get("hiddenColumns") or {}).get(mode, [])) for mode in wanted["hiddenColumns"]}
    new = {mode: [c for c in columns if c not in hidden[mode]] for mode, columns in wanted["hiddenColumns"].items()}
    if any(new.values()):
        data["hiddenColumns"] = {mode: hidden[mode] + new[mode] for mode in hidden}
        client.views.update(str(view.id), data=data)
