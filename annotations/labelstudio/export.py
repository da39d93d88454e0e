"""Export a run folder as a blind labelling campaign: one project per task type, no duplicates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from label_studio_sdk import ImportApiRequest, LabelStudio, RoleBasedTask

from illusion.annotations.campaign.assign import seat_tasks
from illusion.annotations.campaign.attention import campaign_tasks
from illusion.annotations.campaign.private import Private, load_private
from illusion.annotations.campaign.tasks import TASK_TYPES, CampaignRun, Task, load_campaign_run
from illusion.annotations.labelstudio.annotators import seat
from illusion.annotations.labelstudio.client import connect, refused, server_url, talking_to
from illusion.annotations.labelstudio.config import config_text, form_questions
from illusion.annotations.labelstudio.project import campaign_tag, find_project, project_description, read_ledger, write_ledger
from illusion.annotations.labelstudio.views import ensure_annotator_view
from illusion.errors import IllusionError, PluginError
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
    reassign: bool = False,
) -> dict[str, Any]:
    """Create or find the run's projects and import the tasks they lack; return what was done.

    With ``annotators`` (names given to ``add-annotator``; default: the recorded ones), each
    annotator's own server gets the tasks assigned to them (``overlap`` annotators per task) and the
    summary is by pseudonym; otherwise the server at ``url`` gets every task. ``overlap`` defaults to
    the recorded one, else 2. ``attention`` attention checks (default: as recorded, else none) are
    dealt like the other tasks. Another annotator list or overlap than the recorded one needs ``reassign``:
    tasks are dealt anew, and the unanswered tasks an annotator no longer has are withdrawn from
    their server (answered ones stay). Everything is checked, and every server reached, before
    anything changes. Without a ledger (``labelstudio.json``), projects that carry the campaign's
    tag are taken up again, with the design the organiser's private file keeps.
    ``predict`` gives a task's pre-annotations; ``configs`` replaces the shipped labelling configs.
    """
    run = load_campaign_run(run_dir)
    ledger = read_ledger(run)
    private = load_private(run.run_id, create=ledger is None)
    ledger = ledger or {"run_id": run.run_id, "projects": {}, **private.design}
    overlap = overlap or ledger.get("overlap") or 2
    ledger["attention"] = ledger.get("attention", 0) if attention is None else attention
    tasks = campaign_tasks(run, private, ledger)
    options = {"title": title, "predict": predict, "configs": configs}
    roster = _roster(run, private, ledger, annotators, overlap, reassign)
    if roster is None:
        url = server_url(url or ledger.get("url"))
        client = connect(url, api_key)
        ledger["url"] = url
        _remember(private, ledger, overlap)
        summary = _export_to(client, url, run, private, ledger, tasks, options | {"overlap": overlap})
    else:
        summary = {}
        names = {private.pseudonym(f"seat:{name}"): name for name in roster}
        given = seat_tasks(tasks, private, list(names), overlap, run.seed)
        for pseudonym in ledger.get("annotators", {}):
            given.setdefault(pseudonym, {t: [] for t in TASK_TYPES})  # reassigned away: their unanswered tasks are withdrawn
        places = {pseudonym: seat(names.get(pseudonym) or _name_of(private, pseudonym)) for pseudonym in given}
        clients = {pseudonym: connect(place.url, place.admin_key()) for pseudonym, place in places.items()}
        ledger["roster"] = list(names)
        _remember(private, ledger, overlap)
        for pseudonym, place in places.items():
            by_type = given[pseudonym]
            holder = ledger.setdefault("annotators", {}).setdefault(pseudonym, {"projects": {}})
            holder["url"] = place.url
            # One annotator per task on their own server: each sees and answers it once.
            seat_options = options | {"overlap": 1, "withdraw": reassign}
            summary[pseudonym] = _export_to(clients[pseudonym], place.url, run, private, holder, by_type, seat_options, ledger)
    ledger["overlap"] = overlap
    write_ledger(run, ledger)
    return summary


def recorded_url(run_dir) -> str:
    """The shared server a run's campaign was exported to."""
    return (read_ledger(load_campaign_run(run_dir)) or {})["url"]


def _roster(
    run: CampaignRun, private: Private, ledger: dict[str, Any], annotators: list[str] | None, overlap: int, reassign: bool
) -> list[str] | None:
    """The names of the annotators, in the order tasks are dealt; None for a campaign on one shared server.

    The recorded annotators (in their recorded order) unless ``reassign`` allows another list or overlap.
    """
    recorded = [_name_of(private, p) for p in ledger.get("roster") or ledger.get("annotators") or []]
    if ledger.get("url") and annotators:
        raise IllusionError(
            f"the campaign of run {run.run_id} is on one shared server ({ledger.get('url')}); "
            "export it without --annotator, or to a new run folder"
        )
    if not annotators:
        return recorded or None
    for name in annotators:
        seat(name)  # every name is known before anything is sent
    if recorded and (set(annotators) != set(recorded) or overlap != ledger.get("overlap", overlap)) and not reassign:
        raise IllusionError(
            f"the campaign's annotators are {', '.join(recorded)} with overlap {ledger.get('overlap')}; "
            f"--annotator gives {', '.join(annotators)} with overlap {overlap}: pass the recorded list, "
            "or add --reassign to deal the tasks anew (unanswered tasks an annotator loses are withdrawn "
            "from their server, answered ones stay)"
        )
    return recorded if recorded and set(annotators) == set(recorded) and not reassign else list(annotators)


def _name_of(private: Private, pseudonym: str) -> str:
    """The annotator's name, from the organiser's private file."""
    name = private.seat_names().get(pseudonym)
    if name is not None:
        return name
    raise IllusionError(f"{private.path}: no annotator has the pseudonym {pseudonym}; restore the private file from a backup")


def _remember(private: Private, ledger: dict[str, Any], overlap: int) -> None:
    """Keep the campaign's design in the private file too: a lost ledger is then taken up again as it was."""
    shared = {"url": ledger["url"]} if "url" in ledger else {"roster": ledger["roster"]}
    private.design = {"attention": ledger["attention"], "overlap": overlap, **shared}
    private.save()


def _export_to(
    client: LabelStudio,
    url: str,
    run: CampaignRun,
    private: Private,
    holder: dict[str, Any],
    tasks: dict[str, list[Task]],
    options: dict[str, Any],
    ledger: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Bring the projects recorded in ``holder`` (part of ``ledger``) on one server up to date."""
    summary = {}
    with talking_to(url):
        for task_type in TASK_TYPES:
            if not tasks[task_type] and task_type not in holder["projects"]:
                continue
            config = (options["configs"] or {}).get(task_type) or config_text(task_type)
            settings = {"label_config": config, "maximum_annotations": options["overlap"]}
            if options["title"]:
                settings["title"] = f"{options['title']}: {TITLES[task_type]}"
            project_id = _ensure_project(client, url, run, private, holder, ledger or holder, task_type, settings)
            done = {"project": project_id, "tasks": len(tasks[task_type])}
            if options.get("withdraw"):
                done |= _withdraw(client, project_id, {task.uid for task in tasks[task_type]})
                done["tasks"] += done["answered_kept"]
            done["added"] = _import_missing(client, project_id, tasks[task_type], options["predict"])
            ensure_annotator_view(client, project_id, task_type)
            summary[task_type] = done
            holder["projects"][task_type]["tasks"] = done["tasks"]
    return summary


def _ensure_project(
    client: LabelStudio,
    url: str,
    run: CampaignRun,
    private: Private,
    holder: dict[str, Any],
    ledger: dict[str, Any],
    task_type: str,
    settings: dict[str, Any],
) -> int:
    """The id of the project recorded in ``holder`` (or found on the server by the campaign's tag),
    brought up to ``settings``, or of a new one."""
    entry = holder["projects"].get(task_type) or _tagged(client, url, private, task_type)
    with refused(
        400, f"Label Studio at {url} refused the {task_type} project's settings ({{reason}}); fix the labelling config or title"
    ):
        if entry:
            project = find_project(client, url, run, private, task_type, entry["id"])
            changes = {k: v for k, v in settings.items() if getattr(project, k, None) != v}
            if changes:
                client.projects.update(project.id, **changes)
            project_id, project_title = project.id, changes.get("title", project.title)
        else:
            settings.setdefault("title", f"Campaign {campaign_tag(private)}: {TITLES[task_type]}")
            created = client.projects.create(description=project_description(private), **settings)
            assert created.id is not None  # the server numbers every project it creates
            project_id, project_title = created.id, created.title
    known = holder["projects"].get(task_type) or {}
    if (known.get("id"), known.get("title")) != (project_id, project_title):
        # Recorded at once, so an export that fails later resumes with this project.
        holder["projects"][task_type] = known | {"id": project_id, "title": project_title}
        holder["url"] = url.rstrip("/")
        write_ledger(run, ledger)
    return project_id


def _tagged(client: LabelStudio, url: str, private: Private, task_type: str) -> dict[str, Any] | None:
    """The project of ``task_type`` on the server that carries the campaign's tag (a campaign whose
    ledger was lost), or None."""
    tag = campaign_tag(private)
    listed: Iterable[Any] = client.projects.list()  # the SDK types the pager's items as Never
    found = [
        project
        for project in listed
        if tag in (project.description or "") and _task_type_of(project.label_config or "") == task_type
    ]
    if len(found) > 1:
        raise IllusionError(
            f"projects {', '.join(str(p.id) for p in found)} at {url} are all the {task_type} project of this "
            "campaign; keep the one with the labels, delete the others in Label Studio, then export again"
        )
    return {"id": found[0].id} if found else None


def _task_type_of(config: str) -> str:
    return "pair" if "same_concept" in form_questions(config) else "set"


def _withdraw(client: LabelStudio, project_id: int, keep: set[str]) -> dict[str, int]:
    """Delete the project's tasks whose uid is not in ``keep`` and that nobody answered or skipped;
    return how many went, and how many answered ones stay."""
    listed: Iterable[RoleBasedTask] = client.tasks.list(project=project_id)  # the SDK types the pager's items as Never
    gone = [task for task in listed if (task.data or {}).get("uid") not in keep]
    unanswered = [task.id for task in gone if not (task.total_annotations or task.cancelled_annotations)]
    for task_id in unanswered:
        client.tasks.delete(str(task_id))
    return {"withdrawn": len(unanswered), "answered_kept": len(gone) - len(unanswered)}


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
