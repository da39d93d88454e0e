"""Import a campaign's annotations into ``annotations.jsonl``: one row per (task, annotator).

Annotations come from the server (the projects recorded in ``labelstudio.json``) or from Label
Studio JSON export files. Tasks are matched by their uid against the tasks rebuilt from the run
folder and the organiser's private key, so rows carry direction, dataset and condition however the
export was made (nothing of them is on the server). Annotators become random pseudonyms, whose
link to Label Studio users stays in the organiser's private file; no name or e-mail is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from illusion.annotations.labelstudio.attention import CONDITION, attention_scores, campaign_tasks
from illusion.annotations.labelstudio.config import TASK_TYPES, Control, config_text, controls
from illusion.annotations.labelstudio.private import Private, load_private
from illusion.annotations.labelstudio.tasks import CampaignRun, Task, for_seat, load_campaign_run
from illusion.common.files import read_json
from illusion.errors import IllusionError
from illusion.run.folder import ANNOTATIONS, ANNOTATIONS_REJECTS, ANNOTATIONS_SUMMARY, RunFolder

ANSWERS = ("pattern", "fits", "description", "taxonomy", "confidence", "same_concept")


class BadAnswer(ValueError):
    """One answer an annotator gave that the labelling config does not allow: set aside, not fatal."""


@dataclass
class Gathered:
    """A campaign's labels as read from the server or from files, before anything is written."""

    run: CampaignRun
    private: Private
    tasks: dict[str, list[Task]]
    record: dict[str, Any]
    sources: list[str]
    rows: list[dict[str, Any]]
    counts: Counter
    covered: set[tuple[str, str | None]]
    rejects: list[dict[str, Any]]


def gather(run_dir, url: str | None = None, api_key: str | None = None, files: tuple[str | Path, ...] = ()) -> Gathered:
    """Every latest annotation of the campaign, as rows, from the server(s) or from export files."""
    from illusion.annotations.labelstudio.project import read_record

    run = load_campaign_run(run_dir)
    private = load_private(run.run_id)
    record = read_record(run) or {}
    tasks = campaign_tasks(run, private, record)
    if files:
        exports = [(str(f), read_json(f, "Label Studio export file")) for f in files]
    else:
        exports = _from_server(run, private, record, url, api_key)
    covered: set[tuple[str, str | None]] = set()
    rejects: list[dict[str, Any]] = []
    rows, counts = annotation_rows(run, private, tasks, exports, tuple(record.get("annotators", ())), covered, rejects)
    private.save()
    return Gathered(run, private, tasks, record, [source for source, _ in exports], rows, counts, covered, rejects)


def import_campaign(
    run_dir, url: str | None = None, api_key: str | None = None, files: tuple[str | Path, ...] = ()
) -> dict[str, Any]:
    """Write the run's ``annotations.jsonl``, its summary and its rejects; return the summary.

    Answers the labelling config does not allow go to ``annotations.rejects.jsonl``, the rest of
    their annotation is kept. When rows would be removed or changed, the earlier file is kept as
    ``annotations.N.jsonl`` first; the summary's ``changes`` says what changed.
    """
    got = gather(run_dir, url, api_key, files)
    run, tasks, counts = got.run, got.tasks, got.counts
    folder = RunFolder(run.path)
    kept = _kept_rows(folder, got.covered, got.record) if files else []
    rows = sorted(got.rows + kept, key=row_order)
    checks = [row for row in rows if row["condition"] == CONDITION]  # never counted as data
    rows = [row for row in rows if row["condition"] != CONDITION]
    annotated = Counter(task_type for task_type, _ in {(r["task_type"], r["task_uid"]) for r in rows})
    changes = _changes(folder, rows)
    if changes["removed"] or changes["changed"]:
        changes["kept_as"] = folder.keep_previous(ANNOTATIONS, ANNOTATIONS_SUMMARY)[ANNOTATIONS].name
    summary = {
        "run_id": run.run_id,
        "sources": got.sources,
        "annotations": len(rows),
        "annotators": len({row["annotator"] for row in rows}),
        "tasks": {t: sum(task.condition != CONDITION for task in tasks[t]) for t in TASK_TYPES},
        "unannotated_tasks": {t: sum(task.condition != CONDITION for task in tasks[t]) - annotated[t] for t in TASK_TYPES},
        "skipped": counts["skipped"],
        # "Yes, a pattern" whose kind is "No pattern": kept as answered, listed for a look.
        "inconsistent": [
            {"task_uid": r["task_uid"], "annotator": r["annotator"]}
            for r in rows
            if (r["pattern"], r["taxonomy"]) == ("yes", "none")
        ],
        "superseded": counts["superseded"],
        "kept_from_previous_import": len(kept),
        "attention": attention_scores(checks),
        "rejects": len(got.rejects),
        "changes": changes,
    }
    folder.write_jsonl(ANNOTATIONS_REJECTS, got.rejects)
    folder.write_jsonl(ANNOTATIONS, rows)
    folder.write_json(ANNOTATIONS_SUMMARY, summary)
    return summary


def _changes(folder: RunFolder, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows added, removed and changed against the run's current ``annotations.jsonl``."""
    before = (
        {row_order(row): row for row in folder.read_jsonl(ANNOTATIONS, "annotations file")} if folder.has(ANNOTATIONS) else {}
    )
    after = {row_order(row): row for row in rows}
    return {
        "before": len(before),
        "added": len(after.keys() - before.keys()),
        "removed": len(before.keys() - after.keys()),
        "changed": sum(before[key] != after[key] for key in after.keys() & before.keys()),
    }


def _from_server(
    run: CampaignRun, private: Private, record: dict[str, Any], url: str | None, api_key: str | None
) -> list[tuple[str, Any]]:
    """The JSON export of every recorded project: on the server at ``url``, or on each annotator's own."""
    from illusion.annotations.labelstudio.annotators import seat
    from illusion.annotations.labelstudio.client import connect, server_url
    from illusion.annotations.labelstudio.project import record_path

    if not record:
        raise IllusionError(
            f"{record_path(run)}: no campaign yet; run `illusion export` first (it takes up a campaign "
            "whose record was lost), or pass --from-file with a Label Studio JSON export"
        )
    if not record.get("annotators"):
        url = server_url(url or record.get("url"))
        return _exports(connect(url, api_key), url, run, private, record["projects"])
    names = {pseudonym: key.removeprefix("seat:") for key, pseudonym in private.pseudonyms.items() if key.startswith("seat:")}
    exports = []
    for pseudonym, holder in record["annotators"].items():
        place = seat(names[pseudonym])
        exports += _exports(connect(place.url, place.admin_key()), place.url, run, private, holder["projects"])
    return exports


def _exports(client: Any, url: str, run: CampaignRun, private: Private, projects: dict[str, Any]) -> list[tuple[str, Any]]:
    """Each project's JSON export; the snapshot the server keeps of it is deleted at once."""
    from illusion.annotations.labelstudio.client import talking_to
    from illusion.annotations.labelstudio.project import find_project

    exports = []
    with talking_to(url):
        for task_type, entry in projects.items():
            project = find_project(client, url, run, private, task_type, entry["id"])
            exports.append((f"project {project.id} at {url}", client.projects.exports.as_json(project.id)))
            for snapshot in client.projects.exports.list(project.id):
                client.projects.exports.delete(project.id, snapshot.id)
    return exports


def _kept_rows(folder: RunFolder, covered: set[tuple[str, str | None]], record: dict[str, Any]) -> list[dict[str, Any]]:
    """The previous import's rows from projects the given files do not cover (a task type, on the
    shared server or on one annotator's server), so importing fewer files merges instead of dropping."""
    if not folder.has(ANNOTATIONS):
        return []
    seats = set(record.get("annotators", ()))
    return [
        row
        for row in folder.read_jsonl(ANNOTATIONS, "annotations file")
        if (row["task_type"], row["annotator"] if row["annotator"] in seats else None) not in covered
    ]


def annotation_rows(
    run: CampaignRun,
    private: Private,
    tasks: dict[str, list[Task]],
    exports: list[tuple[str, Any]],
    seats: tuple[str, ...],
    covered: set[tuple[str, str | None]],
    rejects: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], Counter]:
    """Rows for every submitted annotation in ``exports``, latest per (task, annotator).

    A task of an annotator's own server (one of ``seats``, by pseudonym) is known by its uid, and its
    labels are that annotator's; on a shared server the Label Studio user tells who labelled it.
    ``covered`` collects the (task type, annotator's server or None) of every task in ``exports``;
    ``rejects`` collects the latest annotations' answers that the labelling config does not allow
    (left out of the rows).
    """
    by_uid: dict[str, tuple[Task, str | None]] = {task.uid: (task, None) for items in tasks.values() for task in items}
    for pseudonym in seats:
        by_uid |= {for_seat(t, private, pseudonym).uid: (t, pseudonym) for items in tasks.values() for t in items}
    questions = {t: controls(config_text(t)) for t in TASK_TYPES}
    rows = []
    counts: Counter = Counter()
    for source, exported in exports:
        if not isinstance(exported, list):
            raise IllusionError(
                f"{source}: not a Label Studio JSON export (expected a list of tasks); export the project as JSON"
            )
        for number, item in enumerate(exported, 1):
            task, seat = _task_of(item, by_uid, f"{source}, task {number}", run)
            covered.add((task.task_type, seat))
            for annotation in item.get("annotations") or []:
                where = f"{source}, task {task.uid}, annotation {_id_of(annotation)}"
                if not isinstance(annotation, dict):
                    raise IllusionError(f"{where}: expected a JSON object")
                if annotation.get("was_cancelled"):
                    counts["skipped"] += 1
                    counts["skipped", seat or private.pseudonym(str(_user(annotation, where)))] += 1
                    continue
                row = _row(run, private, task, seat, annotation, questions[task.task_type], where)
                row["rejected"] = [{"source": source, **{k: row[k] for k in REJECT_KEYS}, **bad} for bad in row["rejected"]]
                rows.append(row)
    rows, counts["superseded"] = latest_per_annotator(rows)
    for row in rows:  # a superseded annotation's bad answers count no more than its good ones
        rejects += row.pop("rejected")
    return sorted(rows, key=row_order), counts


REJECT_KEYS = ("annotator", "task_uid", "task_type", "annotation_id")


def row_order(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["task_type"], row["set_id"], row["annotator"]


def latest_per_annotator(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """One row per (task, annotator): the last changed (``updated_at``, else ``created_at``, then
    ``annotation_id``; on a tie the later row); and how many rows were dropped."""
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["task_type"], row["set_id"], row["annotator"])
        if key not in latest or _changed(row) >= _changed(latest[key]):
            latest[key] = row
    return list(latest.values()), len(rows) - len(latest)


def _changed(row: dict[str, Any]) -> tuple[str, int]:
    return row.get("updated_at") or row.get("created_at") or "", row.get("annotation_id") or 0


def _id_of(annotation: Any) -> Any:
    return annotation.get("id") if isinstance(annotation, dict) else None


def _task_of(item: Any, by_uid: dict[str, tuple[Task, str | None]], where: str, run: CampaignRun) -> tuple[Task, str | None]:
    data = item.get("data") if isinstance(item, dict) else None
    uid = data.get("uid") if isinstance(data, dict) else None
    if not isinstance(uid, str):
        raise IllusionError(f"{where}: no data.uid; export the project that `illusion export` created, as JSON")
    if uid not in by_uid:
        raise IllusionError(
            f"{where}: task uid {uid} is not a task of run {run.run_id}; import the export of this run's campaign"
        )
    if not isinstance(item.get("annotations", []), list):
        raise IllusionError(f"{where}: 'annotations' is not a list")
    return by_uid[uid]


def _user(annotation: dict[str, Any], where: str) -> int:
    user = annotation.get("completed_by")
    if isinstance(user, dict):
        user = user.get("id")
    if not isinstance(user, int):
        raise IllusionError(f"{where}: no completed_by user id; export the project as JSON")
    return user


def _row(
    run: CampaignRun,
    private: Private,
    task: Task,
    seat: str | None,
    annotation: dict[str, Any],
    questions: dict[str, Control],
    where: str,
) -> dict[str, Any]:
    user = _user(annotation, where)
    rejected: list[dict[str, Any]] = []
    lead_time = annotation.get("lead_time")
    if lead_time is not None and not isinstance(lead_time, (int, float)):
        rejected.append({"field": "lead_time", "value": lead_time, "why": f"lead_time {lead_time!r} is not a number"})
        lead_time = None
    answers = _answers(annotation.get("result"), task, questions, where, rejected)
    return {
        "task_uid": task.uid,
        "task_type": task.task_type,
        "run_id": run.run_id,
        "set_id": task.set_id,
        "direction": task.direction,
        "condition": task.condition,
        "dataset": task.datasets[0] if task.task_type == "set" else None,
        "datasets": list(task.datasets),
        "annotator": seat or private.pseudonym(str(user)),
        "annotation_id": annotation.get("id") if isinstance(annotation.get("id"), int) else None,
        **{name: answers.get(name) for name in ANSWERS},
        "lead_time": float(lead_time) if lead_time is not None else None,
        **{
            name: annotation.get(name) if isinstance(annotation.get(name), str) else None for name in ("created_at", "updated_at")
        },
        "rejected": rejected,
    }


def _answers(
    result: Any, task: Task, questions: dict[str, Control], where: str, rejected: list[dict[str, Any]]
) -> dict[str, Any]:
    """The answers in an annotation's ``result`` that the labelling config allows; the others go to ``rejected``."""
    if not isinstance(result, list):
        raise IllusionError(f"{where}: 'result' is not a list")
    answers = {}
    for item in result:
        name = item.get("from_name") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        try:
            if not isinstance(name, str) or name not in questions:
                raise BadAnswer(
                    f"unknown question {name!r} for a {task.task_type} task (known: {', '.join(questions)}); "
                    "was the labelling config changed on the server?"
                )
            answers[name] = _answer(questions[name], value if isinstance(value, dict) else {}, task)
        except BadAnswer as bad:
            rejected.append({"field": name, "value": value, "why": str(bad)})
    return answers


def _answer(control: Control, value: dict[str, Any], task: Task) -> Any:
    if control.tag == "TextArea":
        text = value.get("text")
        if not isinstance(text, list) or not all(isinstance(t, str) for t in text):
            raise BadAnswer(f"expected {{'text': [...]}}, got {value!r}")
        return "\n".join(text)
    if control.tag == "Rating":
        rating = value.get("rating")
        if not isinstance(rating, int) or not 1 <= rating <= control.max_rating:
            raise BadAnswer(f"rating {rating!r} is not 1..{control.max_rating}")
        return rating
    chosen = value.get("choices")
    if not isinstance(chosen, list) or not chosen or not all(isinstance(c, str) for c in chosen):
        raise BadAnswer(f"expected {{'choices': [...]}}, got {value!r}")
    allowed = control.choices
    if control.options_field:  # sentence numbers, from the task itself
        allowed = {option["value"]: option["value"] for option in task.data[control.options_field]}
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        raise BadAnswer(f"unknown choice {unknown[0]!r} (expected one of: {', '.join(dict.fromkeys(allowed.values()))})")
    if control.options_field:
        return sorted(int(c) for c in chosen)
    if len(chosen) > 1:
        raise BadAnswer(f"{len(chosen)} choices where one is expected")
    return allowed[chosen[0]]
