"""Import from recorded Label Studio JSON exports (as a real server wrote them for the fixture run)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from illusion.annotations.agreement.ratings import load_labelled_run
from illusion.annotations.campaign.backend import Question
from illusion.annotations.campaign.importer import gather, import_campaign
from illusion.annotations.campaign.rows import in_run_order, latest_per_annotator
from illusion.annotations.campaign.status import campaign_progress
from illusion.annotations.campaign.tasks import Task, set_html
from illusion.annotations.labelstudio.backend import LabelStudioBackend
from illusion.annotations.labelstudio.config import config_text, form_questions
from illusion.cli import main
from illusion.errors import IllusionError
from illusion.run.folder import ANNOTATIONS, RunFolder
from illusion.run.folder import ANNOTATIONS_REJECTS as REJECTS
from illusion.run.folder import ANNOTATIONS_SUMMARY as SUMMARY
from illusion.run.schema import Annotation
from tests.helpers.campaign import pseudonyms_of
from tests.helpers.labelled_runs import set_row

DATA = Path(__file__).parent / "data"
EXPORTS = (str(DATA / "export-set.json"), str(DATA / "export-pair.json"))
FIELDS = [
    "task_uid",
    "task_type",
    "run_id",
    "set_id",
    "direction",
    "condition",
    "dataset",
    "datasets",
    "annotator",
    "annotation_id",
    "pattern",
    "fits",
    "description",
    "taxonomy",
    "confidence",
    "same_concept",
    "lead_time",
    "created_at",
    "updated_at",
]


def rows_of(run_dir):
    return [json.loads(line) for line in (run_dir / ANNOTATIONS).read_text().splitlines()]


def test_configs_ask_exactly_the_questions_of_the_annotation_schema():
    sets, pairs = form_questions(config_text("set")), form_questions(config_text("pair"))
    assert set(sets) == {"pattern", "fits", "description", "taxonomy", "confidence"}
    assert set(pairs) == {"same_concept"}
    assert set(sets["pattern"].choices.values()) == {"yes", "no"}
    assert set(sets["taxonomy"].choices.values()) == {"single", "several", "none", "artifact"}
    assert sets["fits"].options_field == "fit_options" and sets["confidence"].max_rating == 5
    assert set(pairs["same_concept"].choices.values()) == {"same", "related", "different"}
    # The label shown to annotators is accepted too, and stored as the code.
    assert sets["taxonomy"].choices["Looks like an artifact of the dataset"] == "artifact"


def test_rows_carry_every_field_and_map_back_to_direction_dataset_and_condition(run_dir):
    summary = import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    rows = rows_of(run_dir)
    assert all(list(row) == FIELDS for row in rows)
    assert summary["annotations"] == len(rows) == 12
    assert summary["annotators"] == 2 and summary["skipped"] == 1 and summary["superseded"] == 1
    assert summary["tasks"] == {"set": 6, "pair": 3}
    assert summary["unannotated_tasks"] == {"set": 0, "pair": 1}
    assert json.loads((run_dir / SUMMARY).read_text()) == summary

    by_set = {}
    for row in rows:
        by_set.setdefault(row["set_id"], []).append(row)
    neuron = by_set["neuron:17@bible"]
    assert [(r["direction"], r["condition"], r["dataset"], r["datasets"]) for r in neuron] == [
        ("neuron:17", "neuron", "bible", ["bible"])
    ]
    control = by_set["control:bible:0"]  # the second annotator skipped it
    assert len(control) == 1 and control[0]["direction"] is None and control[0]["condition"] == "control"
    pair = by_set["neuron:17@wiki-math|bible"][0]
    assert pair["task_type"] == "pair" and pair["dataset"] is None and pair["datasets"] == ["wiki-math", "bible"]
    assert pair["same_concept"] == "different" and pair["pattern"] is None


def test_answers_are_converted_and_the_latest_annotation_of_an_annotator_wins(run_dir):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    rows = [r for r in rows_of(run_dir) if r["set_id"] == "random:3@wiki-math"]
    assert len(rows) == 2
    first = max(rows, key=lambda r: r["annotation_id"])  # the first annotator answered twice
    assert (first["pattern"], first["fits"], first["description"], first["taxonomy"], first["confidence"]) == (
        "yes",
        [2],
        "second thoughts",
        "several",
        3,
    )
    assert first["lead_time"] == 7.0 and first["created_at"].startswith("20")
    second = min(rows, key=lambda r: r["annotation_id"])
    assert (second["pattern"], second["fits"], second["description"]) == ("no", None, None)


def test_the_last_changed_annotation_wins_not_the_last_created(run_dir, tmp_path):
    def edit_the_first_answer_last(tasks):  # annotation 2 edited after annotation 12 was made
        tasks[0]["annotations"][0]["updated_at"] = "2026-11-26T06:00:00Z"

    import_campaign(run_dir, LabelStudioBackend(), files=(_export_with(tmp_path, edit_the_first_answer_last),))
    rows = [r for r in rows_of(run_dir) if r["set_id"] == "random:3@wiki-math" and r["annotation_id"] in (2, 12)]
    assert [(r["annotation_id"], r["updated_at"]) for r in rows] == [(2, "2026-11-26T06:00:00Z")]


def test_latest_per_annotator_orders_by_update_then_creation_then_id():
    def row(annotator, annotation_id, created_at=None, updated_at=None):
        labels = {"annotation_id": annotation_id, "created_at": created_at, "updated_at": updated_at}
        return Annotation.model_validate(set_row("s", annotator, "neuron", "bible", **labels))

    rows = [
        row("a", 1, "2026-01-01", "2026-01-05"),
        row("a", 2, "2026-01-02"),  # updated beats created
        row("b", 3, "2026-01-02"),
        row("b", 4, "2026-01-01"),  # no update: the last created
        row("c", 6),
        row("c", 5),
    ]  # no times: the highest id
    kept, dropped = latest_per_annotator(rows)
    assert [r.annotation_id for r in kept] == [1, 3, 6] and dropped == 3


def test_annotators_are_random_pseudonyms_kept_privately_and_no_address_is_written(run_dir, tmp_path, organiser_dir):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    annotators = {row["annotator"] for row in rows_of(run_dir)}
    private = pseudonyms_of(run_dir)
    assert set(private) == {"3", "4"} and set(private.values()) == annotators
    assert all(re.fullmatch(r"annotator-[0-9a-f]{8}", name) for name in annotators)
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)  # stable: the private map is reused
    assert {row["annotator"] for row in rows_of(run_dir)} == annotators

    def with_user_objects(tasks):  # some exports name the user instead of giving the id alone
        for task in tasks:
            for annotation in task["annotations"]:
                annotation["completed_by"] = {"id": annotation["completed_by"], "email": "ann@example.com"}

    import_campaign(run_dir, LabelStudioBackend(), files=(_export_with(tmp_path, with_user_objects),))
    assert {row["annotator"] for row in rows_of(run_dir)} == annotators
    assert "example.com" not in (run_dir / ANNOTATIONS).read_text()

    # Random, not derived from the user id: without the private map, the same users get new names.
    private_file = organiser_dir / f"{json.loads((run_dir / 'manifest.json').read_text())['run_id']}.json"
    private_file.write_text(json.dumps(dict(json.loads(private_file.read_text()), pseudonyms={})))
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    assert not {row["annotator"] for row in rows_of(run_dir)} & annotators


def _export_with(tmp_path, edit):
    tasks = json.loads((DATA / "export-set.json").read_text())
    edit(tasks)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    return str(path)


def _first_result(tasks, name):
    """The answer to ``name`` in the first annotation of the second task (the latest of its annotator)."""
    return next(item for item in tasks[1]["annotations"][0]["result"] if item["from_name"] == name)


@pytest.mark.parametrize(
    "edit, field, why",
    [
        (
            lambda t: _first_result(t, "pattern")["value"].update(choices=["maybe"]),
            "pattern",
            r"unknown choice 'maybe' \(expected one of: yes, no\)",
        ),
        (
            lambda t: _first_result(t, "fits")["value"].update(choices=["1", "11"]),
            "fits",
            r"unknown choice '11' \(expected one of: 1, 2, 3\)",
        ),
        (lambda t: _first_result(t, "confidence")["value"].update(rating=9), "confidence", r"rating 9 is not 1..5"),
        (lambda t: _first_result(t, "pattern").update(from_name="mood"), "mood", r"unknown question 'mood' for a set task"),
        (lambda t: t[1]["annotations"][0].update(lead_time="soon"), "lead_time", r"lead_time 'soon' is not a number"),
        (lambda t: t[1]["annotations"][0].update(lead_time=-3), "lead_time", r"lead_time -3 is not a number of seconds"),
        (lambda t: t[1]["annotations"][0].update(lead_time=True), "lead_time", r"lead_time True is not a number"),
        (lambda t: _first_result(t, "confidence")["value"].update(rating=True), "confidence", r"rating True is not 1..5"),
        # The ticks are numbers on the page the annotator saw: without it, or with other sentences on it, they say nothing.
        (lambda t: t[1]["data"].pop("html"), "fits", r"the exported task has no page of sentences \(data.html\)"),
        (lambda t: t[1]["data"].update(html=5), "fits", r"the exported task has no page of sentences"),
        (
            lambda t: t[1]["data"].update(html=t[1]["data"]["html"].replace("<b>1.</b> ", "<b>1.</b> Edited: ")),
            "fits",
            r"the exported task's page \(data.html\) shows other sentences than set \S+ of the run folder",
        ),
    ],
)
def test_a_bad_answer_is_set_aside_and_the_rest_kept(run_dir, tmp_path, edit, field, why):
    good = import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS[:1])
    before = rows_of(run_dir)
    summary = import_campaign(run_dir, LabelStudioBackend(), files=(_export_with(tmp_path, edit),))
    (reject,) = [json.loads(line) for line in (run_dir / REJECTS).read_text().splitlines()]
    assert reject["field"] == field and re.match(why, reject["why"]) and reject["annotator"].startswith("annotator-")
    assert summary["annotations"] == good["annotations"] and summary["rejects"] == 1
    after = rows_of(run_dir)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert [reject["task_uid"]] == [new["task_uid"] for _, new in changed]
    ((old, new),) = changed  # only the bad answer is gone from its row; the earlier file is kept
    lost = "pattern" if field == "mood" else field  # the answer under the unknown name is pattern's
    assert {k for k in old if old[k] != new[k]} == {lost} and new[lost] is None
    assert summary["changes"] == {"before": len(before), "added": 0, "removed": 0, "changed": 1, "kept_as": "annotations.1.jsonl"}
    assert [json.loads(line) for line in (run_dir / "annotations.1.jsonl").read_text().splitlines()] == before


@pytest.mark.parametrize("exported_order", [[0, 1, 2], [2, 0, 1]], ids=["as shown now", "as an earlier export showed it"])
def test_a_sentence_shown_twice_in_a_set_keeps_both_numbers(exported_order):
    shown = [{"text": "Thank you.", "span": None}, {"text": "Go on.", "span": None}, {"text": "Thank you.", "span": None}]
    task = Task("t1", "set", "neuron:1@d", "neuron:1", "neuron", ("d",), {"html": set_html(shown)}, {"numbers": [3, 1, 2]})
    exported = {"data": {"html": set_html([shown[i] for i in exported_order])}}
    both = [n for n, i in enumerate(exported_order, 1) if shown[i]["text"] == "Thank you."]
    assert in_run_order(both, exported, task) == [2, 3]
    assert in_run_order([exported_order.index(1) + 1], exported, task) == [1]


def test_a_question_answered_twice_in_one_annotation_keeps_the_first_and_sets_the_second_aside(run_dir, tmp_path):
    def twice(tasks):
        first = _first_result(tasks, "pattern")
        other = "no" if first["value"]["choices"] == ["yes"] else "yes"
        tasks[1]["annotations"][0]["result"].append(dict(first, value={"choices": [other]}))

    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS[:1])
    clean = rows_of(run_dir)
    summary = import_campaign(run_dir, LabelStudioBackend(), files=(_export_with(tmp_path, twice),))
    (reject,) = [json.loads(line) for line in (run_dir / REJECTS).read_text().splitlines()]
    assert rows_of(run_dir) == clean and summary["rejects"] == 1
    assert reject["field"] == "pattern" and "answered twice in one annotation" in reject["why"]


def test_a_sentence_number_chosen_twice_is_one_sentence(run_dir, tmp_path):
    def twice(tasks):
        chosen = _first_result(tasks, "fits")["value"]["choices"]
        chosen.append(chosen[0])

    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS[:1])
    clean = rows_of(run_dir)
    summary = import_campaign(run_dir, LabelStudioBackend(), files=(_export_with(tmp_path, twice),))
    assert rows_of(run_dir) == clean and summary["changes"]["changed"] == summary["rejects"] == 0


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda t: t[0]["data"].update(uid="t0000"),
            r"task 1: task uid t0000 is not a task of run \w+; .*, if Label Studio task \d+ was added to the project by hand, delete",
        ),
        (
            lambda t: t[0]["data"].pop("uid"),
            r"task 1: no data.uid; .*, if Label Studio task \d+ was added to the project by hand, delete it there",
        ),
        (lambda t: t[0]["annotations"][0].update(completed_by=None), r"no completed_by user id"),
        (lambda t: t[0]["annotations"][0].update(completed_by=True), r"no completed_by user id"),
        (lambda t: t[0]["annotations"][0].update(result={"a": 1}), r"'result' is not a list"),
    ],
)
def test_bad_exports_fail_with_one_line_and_leave_the_old_file(run_dir, tmp_path, edit, message):
    (run_dir / ANNOTATIONS).write_text("old\n")
    with pytest.raises(IllusionError, match=message):
        import_campaign(run_dir, LabelStudioBackend(), files=(_export_with(tmp_path, edit),))
    assert (run_dir / ANNOTATIONS).read_text() == "old\n"
    assert not (run_dir / SUMMARY).exists()


@pytest.mark.parametrize(
    "content, message",
    [
        ("{broken", r"export.json: not valid JSON"),
        ('{"tasks": []}', r"export.json: not a Label Studio JSON export \(expected a list of tasks\)"),
    ],
)
def test_a_malformed_export_file_is_named(run_dir, tmp_path, content, message):
    (tmp_path / "export.json").write_text(content)
    with pytest.raises(IllusionError, match=message):
        import_campaign(run_dir, LabelStudioBackend(), files=(str(tmp_path / "export.json"),))
    assert not (run_dir / ANNOTATIONS).exists()


def test_import_command_reports_counts_and_errors_in_one_line(run_dir, tmp_path, capsys):
    main(["import", str(run_dir), "--from-file", EXPORTS[0]])
    out = capsys.readouterr().out
    assert "9 annotations, 2 annotators" in out
    assert "unannotated: 0 of 6 set tasks, 3 of 3 pair tasks; skipped: 1" in out

    (tmp_path / "bad.json").write_text("[1]")
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(run_dir), "--from-file", str(tmp_path / "bad.json")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and err.count("\n") == 1
    assert err.startswith("error: ") and "bad.json, task 1: no data.uid" in err


def test_drafts_never_submitted_are_counted_and_noted_not_imported(run_dir, tmp_path, capsys):
    draft = {
        "id": 1,
        "result": [{"from_name": "pattern", "to_name": "sentences", "type": "choices", "value": {"choices": ["yes"]}}],
    }
    main(["import", str(run_dir), "--from-file", EXPORTS[0]])
    rows = rows_of(run_dir)
    assert "are drafts" not in capsys.readouterr().out
    main(["import", str(run_dir), "--from-file", _export_with(tmp_path, lambda t: t[2].update(drafts=[draft, draft]))])
    assert "note: 2 answers are drafts, saved but never submitted, and were not imported" in capsys.readouterr().out
    assert rows_of(run_dir) == rows and json.loads((run_dir / SUMMARY).read_text())["drafts"] == 2


def test_import_without_a_campaign_says_what_to_do(run_dir):
    with pytest.raises(IllusionError, match=r"labelstudio.json: no campaign yet; run `illusion export` first"):
        import_campaign(run_dir, LabelStudioBackend("http://127.0.0.1:9", "key"))


def test_follow_up_questions_appear_after_yes_and_confidence_is_required():
    root = ET.fromstring(config_text("set"))
    shown_after_yes = next(v for v in root.iter("View") if v.get("visibleWhen") == "choice-selected")
    assert (shown_after_yes.get("whenTagName"), shown_after_yes.get("whenChoiceValue")) == ("pattern", "Yes")
    assert {c.get("name") for c in shown_after_yes if c.get("name")} == {"fits", "description", "taxonomy"}
    assert next(root.iter("Rating")).get("required") == "true"


def test_yes_with_no_pattern_is_flagged_as_inconsistent(run_dir, tmp_path, capsys):
    def yes_but_no_pattern(tasks):
        for annotation in tasks[0]["annotations"]:
            annotation["result"] = [r for r in annotation["result"] if r["from_name"] not in ("pattern", "taxonomy")] + [
                {"from_name": "pattern", "to_name": "sentences", "type": "choices", "value": {"choices": ["yes"]}},
                {"from_name": "taxonomy", "to_name": "sentences", "type": "choices", "value": {"choices": ["none"]}},
            ]
        return tasks[0]["data"]["uid"]

    uid = []
    main(["import", str(run_dir), "--from-file", _export_with(tmp_path, lambda tasks: uid.append(yes_but_no_pattern(tasks)))])
    flagged = json.loads((run_dir / SUMMARY).read_text())["inconsistent"]
    assert flagged and {f["task_uid"] for f in flagged} == set(uid)
    assert f"note: {len(flagged)} annotations answer 'Yes' with the kind 'No pattern'" in capsys.readouterr().out


def test_importing_fewer_files_merges_with_the_previous_import(run_dir):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    both = rows_of(run_dir)
    summary = import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS[:1])  # the set project only
    assert rows_of(run_dir) == both
    assert summary["kept_from_previous_import"] == sum(r["task_type"] == "pair" for r in both) > 0


def test_rows_of_another_run_are_not_carried_on_by_a_merging_import(run_dir):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    both = rows_of(run_dir)
    copied = [dict(row, run_id="another-run") if row["task_type"] == "pair" else row for row in both]
    (run_dir / ANNOTATIONS).write_text("".join(json.dumps(row) + "\n" for row in copied))
    summary = import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS[:1])  # the pair rows would be kept
    assert rows_of(run_dir) == [row for row in both if row["task_type"] == "set"]
    assert summary["changes"]["removed"] == len(both) - len(rows_of(run_dir)) > 0
    kept = (run_dir / summary["changes"]["kept_as"]).read_text().splitlines()
    assert [json.loads(line) for line in kept] == copied


@pytest.mark.parametrize(
    "task_type, edit, message",
    [
        ("pair", {"same_concept": "maybe"}, r"field 'same_concept' is 'maybe', expected one of different, related, same"),
        ("set", {"fits": [1, 99]}, r"field 'fits' must list sentence numbers 1 to 3, got \[1, 99\]"),
        ("set", {"annotator": ""}, r"field 'annotator' must be a non-empty string"),
    ],
)
def test_a_row_agree_refuses_is_not_carried_on_by_a_merging_import(run_dir, task_type, edit, message):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    rows = rows_of(run_dir)
    line = next(n for n, row in enumerate(rows, 1) if row["task_type"] == task_type)
    rows[line - 1] |= edit  # typed as the model wants, but no form gives it
    (run_dir / ANNOTATIONS).write_text("".join(json.dumps(row) + "\n" for row in rows))
    before = sorted(path.name for path in run_dir.iterdir()), (run_dir / ANNOTATIONS).read_bytes()
    where = re.escape(f"{run_dir / ANNOTATIONS}, line {line}: ")
    with pytest.raises(IllusionError, match=where + message + ".*fix that line"):
        import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS[1:] if task_type == "set" else EXPORTS[:1])
    assert (sorted(path.name for path in run_dir.iterdir()), (run_dir / ANNOTATIONS).read_bytes()) == before
    with pytest.raises(IllusionError, match=where + message):  # agree refuses it with the same words
        load_labelled_run(run_dir)


def _forged_by_user_4(tasks):  # annotator 3's answer to the second task, saved by user 4
    tasks[1]["annotations"][0]["updated_by"] = 4


@pytest.mark.parametrize(
    "reason, message",
    [
        ("gone", "are not in the given files; check that labelstudio.json points to the campaign's projects"),
        ("saved_by_another", "were saved in another annotator's name and are set aside in"),
        ("another_run", "belong to another run than {run_id} and were not carried on"),
        ("repeated", "were repeated in it and are written once"),
    ],
)
def test_each_row_removed_is_warned_of_with_its_own_reason(run_dir, tmp_path, capsys, reason, message):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    rows = rows_of(run_dir)
    pair = next(row for row in rows if row["task_type"] == "pair")
    files = list(EXPORTS)
    if reason == "gone":  # an answer deleted on the server since
        rows.append(dict(pair, annotator="annotator-deleted"))
    elif reason == "saved_by_another":
        files[0] = _export_with(tmp_path, _forged_by_user_4)
    elif reason == "another_run":
        pair["run_id"], files = "another-run", files[:1]  # the pair rows would be kept from the file
    else:
        rows.append(pair)
    (run_dir / ANNOTATIONS).write_text("".join(json.dumps(row) + "\n" for row in rows))
    main(["import", str(run_dir), *(f"--from-file={file}" for file in files)])
    err = capsys.readouterr().err
    summary = json.loads((run_dir / SUMMARY).read_text())
    assert summary["changes"]["removed"] == 1 and summary["changes"]["why_removed"] == {reason: 1}
    assert f"warning: 1 rows of the earlier file {message.format(run_id=summary['run_id'])}" in err
    assert "any more" not in err and err.count("rows of the earlier file") == 1


def test_an_answer_saved_by_another_user_than_it_names_is_set_aside_whole(run_dir, tmp_path):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS[:1])
    honest = rows_of(run_dir)
    summary = import_campaign(run_dir, LabelStudioBackend(), files=(_export_with(tmp_path, _forged_by_user_4),))
    names = pseudonyms_of(run_dir)
    (reject,) = [json.loads(line) for line in (run_dir / REJECTS).read_text().splitlines()]
    forged = next(row for row in honest if row["annotator"] == names["3"] and row["task_uid"] == reject["task_uid"])
    assert rows_of(run_dir) == [row for row in honest if row is not forged] and summary["forged"] == 1
    assert (reject["annotator"], reject["field"], reject["value"], summary["rejects"]) == (names["3"], "completed_by", 3, 0)
    assert f"user 3 ({names['3']})" in reject["why"] and f"user 4 ({names['4']})" in reject["why"]


class Handed:
    """A backend other than Label Studio, as the campaign layer sees it: its own questions, and
    answers handed back in the shape of a Label Studio JSON export."""

    def ledger(self, run):
        return None

    def questions(self, task_type):
        return {"set": SET_QUESTIONS, "pair": PAIR_QUESTIONS}[task_type]

    def exports(self, run, private, ledger):
        return [(f"handed {Path(path).name}", json.loads(Path(path).read_text())) for path in EXPORTS]

    def assigned(self, ledger):
        return {}


SET_QUESTIONS = {
    "pattern": Question("pattern", "Choices", {"yes": "yes", "no": "no"}),
    "fits": Question("fits", "Choices", options_field="fit_options"),
    "description": Question("description", "TextArea"),
    "taxonomy": Question("taxonomy", "Choices", {c: c for c in ("single", "several", "none", "artifact")}),
    "confidence": Question("confidence", "Rating"),
}
PAIR_QUESTIONS = {"same_concept": Question("same_concept", "Choices", {c: c for c in ("same", "related", "different")})}


def test_another_backend_gives_the_same_rows_and_progress_through_the_campaign_layer(run_dir):
    from_files = import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    rows = rows_of(run_dir)
    handed = import_campaign(run_dir, Handed())
    assert rows_of(run_dir) == rows and handed["sources"] == ["handed export-set.json", "handed export-pair.json"]
    same = ("annotations", "annotators", "tasks", "unannotated_tasks", "skipped", "superseded", "attention", "rejects")
    assert {key: handed[key] for key in same} == {key: from_files[key] for key in same}
    progress = campaign_progress(gather(run_dir, Handed()), Handed())
    assert sum(mine["done"] for mine in progress["annotators"].values()) == len(rows)
    assert {mine["assigned"] for mine in progress["annotators"].values()} == {None}


def test_a_row_repeated_by_hand_is_imported_once_and_the_file_with_it_kept(run_dir):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    both = rows_of(run_dir)
    repeated = next(row for row in both if row["task_type"] == "pair")
    with (run_dir / ANNOTATIONS).open("a") as handle:
        handle.write(json.dumps(repeated) + "\n")
    summary = import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS[:1])  # the pair rows are kept from the file
    assert rows_of(run_dir) == both
    assert summary["changes"] == {
        "before": len(both) + 1,
        "added": 0,
        "removed": 1,
        "changed": 0,
        "kept_as": "annotations.1.jsonl",
        "why_removed": {"repeated": 1},
    }
    assert (run_dir / "annotations.1.jsonl").read_text().count(json.dumps(repeated)) == 2


def _text_confidence(line):
    return json.dumps(dict(json.loads(line), confidence="4"))


@pytest.mark.parametrize(
    "spoil, message",
    [
        (
            lambda lines: [b"", b""] + [_text_confidence(lines[0]).encode()] + lines[1:],
            r"line 3: field 'confidence'.*; fix that line, or rename the file and rerun `illusion import`",
        ),
        (
            lambda lines: lines[:1] + [b"", lines[1].replace(b'"annotator"', b'"annot\xe9r"')] + lines[2:],
            r"line 3: not UTF-8 text .*; save it as UTF-8",
        ),
    ],
    ids=["blank lines, then a text for a number", "not UTF-8"],
)
def test_a_spoilt_annotations_file_is_refused_at_its_line_with_a_remedy_that_works(run_dir, spoil, message):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    good = rows_of(run_dir)
    spoilt = b"\n".join(spoil((run_dir / ANNOTATIONS).read_bytes().splitlines())) + b"\n"
    (run_dir / ANNOTATIONS).write_bytes(spoilt)
    with pytest.raises(IllusionError, match=f"annotations.jsonl, {message}"):
        import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    assert (run_dir / ANNOTATIONS).read_bytes() == spoilt
    (run_dir / ANNOTATIONS).rename(run_dir / "annotations.by-hand.jsonl")  # as the message says
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    assert rows_of(run_dir) == good


def test_an_import_interrupted_while_writing_leaves_the_earlier_files(run_dir, tmp_path, monkeypatch):
    import_campaign(run_dir, LabelStudioBackend(), files=EXPORTS)
    before = {name: (run_dir / name).read_bytes() for name in (ANNOTATIONS, SUMMARY)}
    count = len(rows_of(run_dir))
    changed = _export_with(tmp_path, lambda t: _first_result(t, "confidence")["value"].update(rating=1))

    def interrupted(self, name, rows):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(RunFolder, "write_rows", interrupted)
        with pytest.raises(KeyboardInterrupt):
            import_campaign(run_dir, LabelStudioBackend(), files=(changed,))
    assert {name: (run_dir / name).read_bytes() for name in before} == before
    assert not (run_dir / "annotations.1.jsonl").exists()
    summary = import_campaign(run_dir, LabelStudioBackend(), files=(changed,))  # the pair rows are still kept
    assert summary["changes"] | {"kept_as": None} == {"before": count, "added": 0, "removed": 0, "changed": 1, "kept_as": None}
