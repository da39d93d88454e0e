"""Turn exported answers into rows: one per (task, annotator), the latest answer of each, checked
against the questions of the backend's forms; answers a form does not allow are set aside as rejects."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, TypeGuard

from illusion.annotations.campaign.backend import Question
from illusion.annotations.campaign.private import Private
from illusion.annotations.campaign.tasks import CampaignRun, Task, for_seat, shown_texts
from illusion.errors import IllusionError
from illusion.run.schema import Annotation


class BadAnswer(ValueError):
    """One answer an annotator gave that the form does not allow: set aside, not fatal."""


def annotation_rows(
    run: CampaignRun,
    private: Private,
    tasks: dict[str, list[Task]],
    questions: dict[str, dict[str, Question]],
    exports: list[tuple[str, Any]],
    seats: tuple[str, ...],
    covered: set[tuple[str, str | None]],
    rejects: list[dict[str, Any]],
) -> tuple[list[Annotation], Counter]:
    """Rows for every submitted annotation in ``exports``, latest per (task, annotator).

    A task of an annotator's own server (one of ``seats``, by pseudonym) is known by its uid, and its
    labels are that annotator's; on a shared server the Label Studio user tells who labelled it, and an
    annotation saved by another user than the one it names is set aside (see :func:`_forged`).
    ``questions`` are the questions of each task type's form, by name.
    ``covered`` collects the (task type, annotator's server or None) of every task in ``exports``;
    ``rejects`` collects the latest annotations' answers that the form does not allow
    (left out of the rows), and the annotations set aside as saved in another's name (``counts["forged"]``).
    """
    by_uid: dict[str, tuple[Task, str | None]] = {task.uid: (task, None) for items in tasks.values() for task in items}
    for pseudonym in seats:
        by_uid |= {for_seat(t, private, pseudonym).uid: (t, pseudonym) for items in tasks.values() for t in items}
    rows = []
    rejected: dict[int, list[dict[str, Any]]] = {}  # each row's answers the form does not allow, by the row's id()
    counts: Counter = Counter()
    for source, exported in exports:
        if not isinstance(exported, list):
            raise IllusionError(
                f"{source}: not a Label Studio JSON export (expected a list of tasks); export the project as JSON"
            )
        for number, item in enumerate(exported, 1):
            task, seat = _task_of(item, by_uid, f"{source}, task {number}", run)
            covered.add((task.task_type, seat))
            drafts = item.get("drafts")
            counts["drafts"] += len(drafts) if isinstance(drafts, list) else 0  # saved, never submitted: not imported
            for annotation in item.get("annotations") or []:
                where = f"{source}, task {task.uid}, annotation {_id_of(annotation)}"
                if not isinstance(annotation, dict):
                    raise IllusionError(f"{where}: expected a JSON object")
                if seat is None and (forged := _forged(annotation, task, private, where)):
                    counts["forged"] += 1
                    rejects.append({"source": source, **forged})
                    continue
                if annotation.get("was_cancelled"):
                    counts["skipped"] += 1
                    counts["skipped", seat or private.pseudonym(str(_user(annotation, where)))] += 1
                    continue
                row, bad = _row(run, private, task, seat, annotation, item, questions[task.task_type], where)
                rejected[id(row)] = [{"source": source, **{k: getattr(row, k) for k in REJECT_KEYS}, **b} for b in bad]
                rows.append(row)
    rows, counts["superseded"] = latest_per_annotator(rows)
    for row in rows:  # a superseded annotation's bad answers count no more than its good ones
        rejects += rejected[id(row)]
    return sorted(rows, key=row_order), counts


REJECT_KEYS = ("annotator", "task_uid", "task_type", "annotation_id")


def in_run_order(fits: list[int], item: dict[str, Any], task: Task) -> list[int]:
    """Sentence numbers as shown in the exported task (``item``, whatever order it was exported in) as
    numbers in the run folder's order, by the sentences' text (a text shown twice: its first showing is its
    first sentence). Raise ``BadAnswer`` when the exported task's page does not tell which sentences were
    ticked: none, or one showing other sentences than the run folder's set."""
    shown_now = shown_texts(task.data["html"])
    numbers_of: dict[str, list[int]] = {}
    for text, number in zip(shown_now, task.meta["numbers"]):
        numbers_of.setdefault(text, []).append(number)
    page = item["data"].get("html")
    if not isinstance(page, str):
        raise BadAnswer(
            "the exported task has no page of sentences (data.html), so the order the annotator saw them in "
            "is unknown and the ticked numbers cannot be read; export the project from Label Studio as JSON again"
        )
    exported = shown_texts(page)
    if Counter(exported) != Counter(shown_now):
        raise BadAnswer(
            f"the exported task's page (data.html) shows other sentences than set {task.set_id} of the run "
            "folder, so the ticked numbers cannot be matched to its sentences; import the campaign into the "
            "run folder it was exported from"
        )
    showing = Counter[str]()
    numbers = []
    for text in exported:
        numbers.append(numbers_of[text][showing[text]])
        showing[text] += 1
    return sorted(numbers[n - 1] for n in fits)


def row_order(row: Annotation) -> tuple[str, str, str]:
    return row.task_type, row.set_id, row.annotator


def latest_per_annotator(rows: list[Annotation]) -> tuple[list[Annotation], int]:
    """One row per (task, annotator): the last changed (``updated_at``, else ``created_at``, then
    ``annotation_id``; on a tie the later row); and how many rows were dropped."""
    latest: dict[tuple[str, str, str], Annotation] = {}
    for row in rows:
        key = row_order(row)
        if key not in latest or _changed(row) >= _changed(latest[key]):
            latest[key] = row
    return list(latest.values()), len(rows) - len(latest)


def _changed(row: Annotation) -> tuple[str, int]:
    return row.updated_at or row.created_at or "", row.annotation_id or 0


def _id_of(annotation: Any) -> Any:
    return annotation.get("id") if isinstance(annotation, dict) else None


def _task_of(item: Any, by_uid: dict[str, tuple[Task, str | None]], where: str, run: CampaignRun) -> tuple[Task, str | None]:
    data = item.get("data") if isinstance(item, dict) else None
    uid = data.get("uid") if isinstance(data, dict) else None
    identifier = item.get("id") if isinstance(item, dict) else None
    stray = f", or, if Label Studio task {identifier} was added to the project by hand, delete it there"
    stray = stray if isinstance(identifier, int) else ""
    if not isinstance(uid, str):
        raise IllusionError(f"{where}: no data.uid; export the project that `illusion export` created, as JSON{stray}")
    if uid not in by_uid:
        raise IllusionError(
            f"{where}: task uid {uid} is not a task of run {run.run_id}; import the export of this run's campaign{stray}"
        )
    if not isinstance(item.get("annotations", []), list):
        raise IllusionError(f"{where}: 'annotations' is not a list")
    return by_uid[uid]


def _user(annotation: dict[str, Any], where: str) -> int:
    user = annotation.get("completed_by")
    if isinstance(user, dict):
        user = user.get("id")
    if not _whole_number(user):
        raise IllusionError(f"{where}: no completed_by user id; export the project as JSON")
    return user


def _forged(annotation: dict[str, Any], task: Task, private: Private, where: str) -> dict[str, Any] | None:
    """The reject of a shared server's annotation that another user than the one it names saved, or None.

    Anyone may post ``completed_by`` through Label Studio's API, but the server itself records who
    saved the annotation last (``updated_by``, the requesting user; None for an annotation imported
    into the project). An export that does not say (no ``updated_by``) is taken as it is.
    """
    if "updated_by" not in annotation:
        return None
    user, saver = _user(annotation, where), annotation["updated_by"]
    saver = saver.get("id") if isinstance(saver, dict) else saver
    if _whole_number(saver) and saver == user:
        return None
    claimed = private.pseudonym(str(user))
    if _whole_number(saver):
        real = f"was saved by Label Studio user {saver} ({private.pseudonym(str(saver))})"
    else:
        real = "has no record of who saved it (imported into the project, or its user was deleted)"
    why = (
        f"names user {user} ({claimed}) as its annotator (completed_by) but {real}: credited to no one; "
        f"ask {claimed} to answer the task in Label Studio themselves"
    )
    named = (claimed, task.uid, task.task_type, _id_of(annotation))
    return {**dict(zip(REJECT_KEYS, named, strict=True)), "field": "completed_by", "value": user, "why": why}


def _row(
    run: CampaignRun,
    private: Private,
    task: Task,
    seat: str | None,
    annotation: dict[str, Any],
    item: dict[str, Any],
    questions: dict[str, Question],
    where: str,
) -> tuple[Annotation, list[dict[str, Any]]]:
    """The row of one exported annotation of ``item`` (the exported task), and its answers the form does not allow."""
    user = _user(annotation, where)
    rejected: list[dict[str, Any]] = []
    lead_time = annotation.get("lead_time")
    if lead_time is not None and not _seconds(lead_time):
        why = f"lead_time {lead_time!r} is not a number of seconds (>= 0)"
        rejected.append({"field": "lead_time", "value": lead_time, "why": why})
        lead_time = None
    answers = _answers(annotation.get("result"), task, questions, where, rejected)
    fits = answers.get("fits")
    if fits:
        try:
            fits = in_run_order(fits, item, task)
        except BadAnswer as bad:
            rejected.append({"field": "fits", "value": fits, "why": str(bad)})
            fits = None
    identifier, created, updated = (annotation.get(name) for name in ("id", "created_at", "updated_at"))
    row = Annotation(
        task_uid=task.uid,
        task_type=task.task_type,
        run_id=run.run_id,
        set_id=task.set_id,
        direction=task.direction,
        condition=task.condition,
        dataset=task.datasets[0] if task.task_type == "set" else None,
        datasets=list(task.datasets),
        annotator=seat or private.pseudonym(str(user)),
        annotation_id=identifier if isinstance(identifier, int) and not isinstance(identifier, bool) else None,
        pattern=answers.get("pattern"),
        fits=fits,
        description=answers.get("description"),
        taxonomy=answers.get("taxonomy"),
        confidence=answers.get("confidence"),
        same_concept=answers.get("same_concept"),
        lead_time=float(lead_time) if lead_time is not None else None,
        created_at=created if isinstance(created, str) else None,
        updated_at=updated if isinstance(updated, str) else None,
    )
    return row, rejected


def _seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _whole_number(value: Any) -> TypeGuard[int]:
    """An int that JSON wrote as a number (``true`` is a bool, which Python also counts as an int)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _answers(
    result: Any, task: Task, questions: dict[str, Question], where: str, rejected: list[dict[str, Any]]
) -> dict[str, Any]:
    """The answers in an annotation's ``result`` that the form allows; the others go to ``rejected``."""
    if not isinstance(result, list):
        raise IllusionError(f"{where}: 'result' is not a list")
    answers: dict[str, Any] = {}
    for item in result:
        name = item.get("from_name") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        try:
            if not isinstance(name, str) or name not in questions:
                raise BadAnswer(
                    f"unknown question {name!r} for a {task.task_type} task (known: {', '.join(questions)}); "
                    "was the labelling config changed on the server?"
                )
            if name in answers:
                raise BadAnswer(f"{name!r} answered twice in one annotation: the first answer, {answers[name]!r}, is kept")
            answers[name] = _answer(questions[name], value if isinstance(value, dict) else {}, task)
        except BadAnswer as bad:
            rejected.append({"field": name, "value": value, "why": str(bad)})
    return answers


def _answer(question: Question, value: dict[str, Any], task: Task) -> Any:
    if question.tag == "TextArea":
        text = value.get("text")
        if not isinstance(text, list) or not all(isinstance(t, str) for t in text):
            raise BadAnswer(f"expected {{'text': [...]}}, got {value!r}")
        return "\n".join(text)
    if question.tag == "Rating":
        rating = value.get("rating")
        if not _whole_number(rating) or not 1 <= rating <= question.max_rating:
            raise BadAnswer(f"rating {rating!r} is not 1..{question.max_rating}")
        return rating
    chosen = value.get("choices")
    if not isinstance(chosen, list) or not chosen or not all(isinstance(c, str) for c in chosen):
        raise BadAnswer(f"expected {{'choices': [...]}}, got {value!r}")
    allowed = question.choices
    if question.options_field:  # sentence numbers, from the task itself
        allowed = {option["value"]: option["value"] for option in task.data[question.options_field]}
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        raise BadAnswer(f"unknown choice {unknown[0]!r} (expected one of: {', '.join(dict.fromkeys(allowed.values()))})")
    if question.options_field:
        return sorted({int(c) for c in chosen})  # a number chosen twice is one sentence
    if len(chosen) > 1:
        raise BadAnswer(f"{len(chosen)} choices where one is expected")
    return allowed[chosen[0]]
