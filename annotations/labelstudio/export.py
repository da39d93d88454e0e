"""Export a run folder as a blind labelling campaign: one project per task type, no duplicates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from label_studio_sdk import ImportApiRequest, LabelStudio, RoleBasedTask

from illusion.annotations.labelstudio.annotators import seat
from illusion.annotations.labelstudio.assign import assign
from illusion.annotations.labelstudio.attention import CONDITION, campaign_tasks
from illusion.annotations.labelstudio.client import connect, refused, server_url, talking_to
from illusion.annotations.labelstudio.config import TASK_TYPES, config_text
from illusion.annotations.labelstudio.private import Private, load_private
from illusion.annotations.labelstudio.project import campaign_tag, find_project, project_description, read_record, write_record
from illusion.annotations.labelstudio.tasks import CampaignRun, Task, for_seat, load_campaign_run
from illusion.annotations.labelstudio.views import ensure_annotator_view
from illusion.common.seeds import rng_for
from illusion.errors import PluginError
from illusion.host import Host

TITLES = {"set": "sentence sets", "pair": "dataset pairs"}
Predict = Callable[[dict[str, Any]], list[dict[str, Any]]]


def export_campaign(
    run_dir,
    url: str | None,
    api_key: str | None,
    overlap: int | None = None,
    title: str | None = None,
    predict: Predict | None = None,
    configs: dict[str, str] | None = None,
    annotators: list[str] | None = None,
    attention: int | None = None,
) -> dict[str, Any]:
    """Create or find the run's projects and import the tasks they lack; return what was done.

    With ``annotators`` (names given to ``add-annotator``), each annotator's own server gets the
    tasks assigned to them (``overlap`` annotators per task) and the summary is by pseudonym;
    otherwise the server at ``url`` gets every task. ``overlap`` defaults to the recorded one, else 2.
    ``attention`` attention checks (default: as recorded, else none) go to every annotator.
    ``predict`` gives a task's pre-annotations; ``configs`` replaces the shipped labelling configs.
    """
    run = load_campaign_run(run_dir)
    record = read_record(run)
    private = load_private(run.run_id, create=record is None)
    record = record or {"run_id": run.run_id, "projects": {}}
    overlap = overlap or record.get("overlap") or 2
    record["attention"] = record.get("attention", 0) if attention is None else attention
    tasks = campaign_tasks(run, private, record)
    options = {"title": title, "predict": predict, "configs": configs}
    if not annotators:
        url = server_url(url)
        summary = _export_to(connect(url, api_key), url, run, private, record, tasks, options | {"overlap": overlap})
        record["url"] = url
    else:
        summary = {}
        names = {name: private.pseudonym(f"seat:{name}") for name in annotators}
        data = [t for items in tasks.values() for t in items if t.condition != CONDITION]
        given = assign(data, list(names.values()), overlap, run.seed)
        for pseudonym, mine in given.items():  # every annotator gets every attention check, among their tasks
            mine += [t for t in tasks["set"] if t.condition == CONDITION]
            rng_for(run.seed, f"checks:{pseudonym}").shuffle(mine)  # type: ignore[arg-type]  # stubs want arrays; lists shuffle too
        for name, pseudonym in names.items():
            place = seat(name)
            by_type = {
                t: [for_seat(task, private, pseudonym) for task in given[pseudonym] if task.task_type == t] for t in TASK_TYPES
            }
            holder = record.setdefault("annotators", {}).setdefault(pseudonym, {"projects": {}})
            holder["url"] = place.url
            # One annotator per task on their own server: each sees and answers it once.
            summary[pseudonym] = _export_to(
                connect(place.url, place.admin_key()), place.url, run, private, holder, by_type, options | {"overlap": 1}, record
            )
        private.save()
    record["overlap"] = overlap
    write_record(run, record)
    return summary


def _export_to(
    client: LabelStudio,
    url: str,
    run: CampaignRun,
    private: Private,
    holder: dict[str, Any],
    tasks: dict[str, list[Task]],
    options: dict[str, Any],
    record: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Bring the projects recorded in ``holder`` (part of ``record``) on one server up to date."""
    summary = {}
    with talking_to(url):
        for task_type in TASK_TYPES:
            if not tasks[task_type]:
                continue
            config = (options["configs"] or {}).get(task_type) or config_text(task_type)
            settings = {"label_config": config, "maximum_annotations": options["overlap"]}
            if options["title"]:
                settings["title"] = f"{options['title']}: {TITLES[task_type]}"
            project_id = _ensure_project(client, url, run, private, holder, record or holder, task_type, settings)
            added = _import_missing(client, project_id, tasks[task_type], options["predict"])
            ensure_annotator_view(client, project_id, task_type)
            summary[task_type] = {"project": project_id, "tasks": len(tasks[task_type]), "added": added}
            holder["projects"][task_type]["tasks"] = len(tasks[task_type])
    return summary


def _ensure_project(
    client: LabelStudio,
    url: str,
    run: CampaignRun,
    private: Private,
    holder: dict[str, Any],
    record: dict[str, Any],
    task_type: str,
    settings: dict[str, Any],
) -> int:
    """The id of the project recorded in ``holder``, brought up to ``settings``, or of a new one."""
    entry = holder["projects"].get(task_type)
    with refused(
        400, f"Label Studio at {url} refused the {task_type} project's settings ({{reason}}); fix the labelling config or title"
    ):
        if entry:
            project = find_project(client, url, run, private, task_type, entry["id"])
            changes = {k: v for k, v in settings.items() if getattr(project, k, None) != v}
            if changes:
                client.projects.update(project.id, **changes)
                entry["title"] = changes.get("title", entry.get("title"))
            return project.id
        settings.setdefault("title", f"Campaign {campaign_tag(private)}: {TITLES[task_type]}")
        project = client.projects.create(description=project_description(private), **settings)
        assert project.id is not None  # the server numbers every project it creates
    # Recorded at once, so an export that fails later resumes with this project.
    holder["projects"][task_type] = {"id": project.id, "title": project.title}
    holder["url"] = url.rstrip("/")
    write_record(run, record)
    return project.id


def _existing_uids(client: LabelStudio, project_id: int) -> set[str]:
    listed: Iterable[RoleBasedTask] = client.tasks.list(project=project_id)  # the SDK types the pager's items as Never
    uids = ((task.data or {}).get("uid") for task in listed)
    return {uid for uid in uids if isinstance(uid, str)}


def _import_missing(client: LabelStudio, project_id: int, tasks: list[Task], predict: Predict | None) -> int:
    """Import the tasks whose uid the project lacks, in the given order; return how many."""
    existing = _existing_uids(client, project_id)
    missing = [task for task in tasks if task.uid not in existing]
    if not missing:
        return 0
    payloads = []
    for task in missing:
        payload = task.payload()
        predictions = predict(dict(payload, type=task.task_type, meta=task.meta)) if predict else []
        if predictions:
            payload["predictions"] = predictions
        payloads.append(payload)
    with refused(
        400, f"Label Studio refused the tasks for project {project_id} ({{reason}}); check the project's labelling config"
    ):
        # The SDK types the request as its models but sends these plain task dicts as they are.
        client.projects.import_tasks(id=project_id, request=cast(list[ImportApiRequest], payloads))
    return len(missing)


def _checked(answer: Any, uid: str) -> list[dict[str, Any]]:
    if not isinstance(answer, list) or not all(isinstance(p, dict) and isinstance(p.get("result"), list) for p in answer):
        raise PluginError(
            f"a plugin's pre-annotations for task {uid} are not a list of Label "
            "Studio predictions with a 'result' list; fix or remove the plugin"
        )
    return answer


def plugin_predictions(host: Host | None = None) -> Predict:
    """Pre-annotations from every plugin that implements ``illusion_task_predictions``.

    Without ``host``, the installed plugins are loaded when the first task needs them.
    """
    hooks: list[Callable[..., list[Any]]] = []

    def predict(task: dict[str, Any]) -> list[dict[str, Any]]:
        if not hooks:
            hooks.append((host or Host()).hook().illusion_task_predictions)
        try:
            answers = hooks[0](task=task)
        except Exception as exc:  # a plugin's failure stops the export before any task is sent
            raise PluginError(
                f"a plugin failed to pre-annotate task {task['data']['uid']} "
                f"({type(exc).__name__}: {exc}); fix or remove it (see "
                "`illusion plugins`), then rerun export"
            ) from None
        return [prediction for answer in answers for prediction in _checked(answer, task["data"]["uid"])]

    return predict
