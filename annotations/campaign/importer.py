"""Import a campaign's answers into ``annotations.jsonl``: one row per (task, annotator).

Answers come from the backend (``Backend.exports``: the campaign's servers) or from Label Studio
JSON export files. Tasks are matched by their uid against the tasks rebuilt from the run folder
and the organiser's private key, so rows carry direction, dataset and condition however the export
was made (nothing of them is on a server). Annotators become random pseudonyms, whose link to the
backend's users stays in the organiser's private file; no name or e-mail is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from illusion.annotations.campaign.attention import CONDITION, attention_scores, campaign_tasks
from illusion.annotations.campaign.backend import Backend
from illusion.annotations.campaign.private import Private, load_private
from illusion.annotations.campaign.row_checks import validate_row
from illusion.annotations.campaign.rows import annotation_rows, latest_per_annotator, row_order
from illusion.annotations.campaign.tasks import TASK_TYPES, CampaignRun, Task, load_campaign_run
from illusion.common.files import read_json
from illusion.run.folder import ANNOTATIONS, ANNOTATIONS_REJECTS, ANNOTATIONS_SUMMARY, RunFolder
from illusion.run.schema import Annotation


@dataclass
class Gathered:
    """A campaign's labels as read from its servers or from files, before anything is written."""

    run: CampaignRun
    private: Private
    tasks: dict[str, list[Task]]
    ledger: dict[str, Any]
    sources: list[str]
    rows: list[Annotation]
    counts: Counter
    covered: set[tuple[str, str | None]]
    rejects: list[dict[str, Any]]


def gather(run_dir, backend: Backend, files: tuple[str | Path, ...] = ()) -> Gathered:
    """Every latest annotation of the campaign, as rows, from the backend's servers or from export files."""
    run = load_campaign_run(run_dir)
    private = load_private(run.run_id)
    ledger = backend.ledger(run) or {}
    tasks = campaign_tasks(run, private, ledger, every_check=True)
    if files:
        exports = [(str(f), read_json(f, "Label Studio export file")) for f in files]
    else:
        exports = backend.exports(run, private, ledger)
    covered: set[tuple[str, str | None]] = set()
    rejects: list[dict[str, Any]] = []
    questions = {task_type: backend.questions(task_type) for task_type in TASK_TYPES}
    seats = tuple(ledger.get("annotators", ()))
    rows, counts = annotation_rows(run, private, tasks, questions, exports, seats, covered, rejects)
    private.save()
    return Gathered(run, private, tasks, ledger, [source for source, _ in exports], rows, counts, covered, rejects)


def import_campaign(run_dir, backend: Backend, files: tuple[str | Path, ...] = ()) -> dict[str, Any]:
    """Write the run's ``annotations.jsonl``, its summary and its rejects; return the summary.

    Answers the backend's forms do not allow go to ``annotations.rejects.jsonl``, the rest of
    their annotation is kept; so do, whole, annotations a shared server says another user saved.
    When rows would be removed or changed, the earlier file is kept as ``annotations.N.jsonl``
    first; the summary's ``changes`` says what changed, and why rows were removed.
    """
    got = gather(run_dir, backend, files)
    run, tasks, counts = got.run, got.tasks, got.counts
    folder = RunFolder(run.path)
    previous = folder.annotations() if folder.has(ANNOTATIONS) else []
    kept = _kept_rows(previous, folder / ANNOTATIONS, got, tasks) if files else []
    rows = sorted(latest_per_annotator(got.rows + kept)[0], key=row_order)  # a row repeated by hand is kept once
    checks = [row for row in rows if row.condition == CONDITION]  # never counted as data
    rows = [row for row in rows if row.condition != CONDITION]
    data_tasks = {t: sum(task.condition != CONDITION for task in tasks[t]) for t in TASK_TYPES}
    annotated = Counter(task_type for task_type, _ in {(r.task_type, r.task_uid) for r in rows})
    changes = _changes(previous, rows, run.run_id, got.rejects)
    summary = {
        "run_id": run.run_id,
        "sources": got.sources,
        "annotations": len(rows),
        "annotators": len({row.annotator for row in rows}),
        "tasks": data_tasks,
        "unannotated_tasks": {t: data_tasks[t] - annotated[t] for t in TASK_TYPES},
        "skipped": counts["skipped"],
        "drafts": counts["drafts"],
        # "Yes, a pattern" whose kind is "No pattern": kept as answered, listed for a look.
        "inconsistent": [
            {"task_uid": r.task_uid, "annotator": r.annotator} for r in rows if (r.pattern, r.taxonomy) == ("yes", "none")
        ],
        "superseded": counts["superseded"],
        "kept_from_previous_import": len(kept),
        "attention": attention_scores(checks),
        "rejects": len(got.rejects) - counts["forged"],  # answers the forms do not allow
        "forged": counts["forged"],  # annotations saved in another's name on a shared server
        "changes": changes,
    }
    earlier = folder.keep_previous(ANNOTATIONS, ANNOTATIONS_SUMMARY) if changes["removed"] or changes["changed"] else {}
    if earlier:
        changes["kept_as"] = earlier[ANNOTATIONS].name
    try:
        folder.write_rows(ANNOTATIONS, rows)
        folder.write_json(ANNOTATIONS_SUMMARY, summary)
        folder.write_jsonl(ANNOTATIONS_REJECTS, got.rejects)
    except BaseException:  # interrupted: the earlier files go back, as if this import had not begun
        for name, path in earlier.items():
            path.replace(folder / name)
        raise
    return summary


def _changes(previous: list[Annotation], rows: list[Annotation], run_id: str, rejects: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows added, removed and changed against the ``previous`` rows (the run's current ``annotations.jsonl``);
    with rows removed, ``why_removed``: how many for each reason (``REMOVED``)."""
    before = {row_order(row): row for row in previous}
    after = {row_order(row): row for row in rows}
    forged = {(r["task_uid"], r["annotator"]) for r in rejects if r["field"] == "completed_by"}
    why: Counter[str] = Counter()
    seen: set[tuple[str, str, str]] = set()
    for row in previous:
        key = row_order(row)
        if key in seen:
            why["repeated"] += 1
        elif key not in after:
            why[_why_removed(row, run_id, forged)] += 1
        seen.add(key)
    changes = {
        "before": len(previous),
        "added": len(after.keys() - before.keys()),
        "removed": why.total(),
        "changed": sum(before[key] != after[key] for key in after.keys() & before.keys()),
    }
    return changes | ({"why_removed": {reason: why[reason] for reason in REMOVED if why[reason]}} if why else {})


# Why a row of the earlier file is not in the new one, in the order ``why_removed`` lists them.
REMOVED = ("gone", "saved_by_another", "another_run", "repeated")


def _why_removed(row: Annotation, run_id: str, forged: set[tuple[str, str]]) -> str:
    """Why an earlier row (of a task and annotator the new rows lack) is not in them."""
    if row.run_id != run_id:
        return "another_run"  # not carried on
    return "saved_by_another" if (row.task_uid, row.annotator) in forged else "gone"


def _kept_rows(previous: list[Annotation], path: Path, got: Gathered, tasks: dict[str, list[Task]]) -> list[Annotation]:
    """The ``previous`` import's rows (read from ``path``) of this run from projects the files ``got`` do
    not cover (a task type, on the shared server or on one annotator's server), so importing fewer files
    merges instead of dropping; rows of another run (a file copied from another run folder) are not
    carried on. A row carried on that ``illusion agree`` would refuse stops the import, naming its line."""
    seats = set(got.ledger.get("annotators", ()))
    sizes = {task.set_id: len(task.meta["numbers"]) for task in tasks["set"]}
    kept = []
    for number, row in enumerate(previous, 1):
        if row.run_id == got.run.run_id and (row.task_type, row.annotator if row.annotator in seats else None) not in got.covered:
            fix = "fix that line, or rename the file and import every project again; nothing was written"
            validate_row(row, f"{path}, line {number}", sizes.get(row.set_id), fix)
            kept.append(row)
    return kept
