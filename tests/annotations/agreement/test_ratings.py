"""Reading a labelled run folder: clear errors for bad input, partial campaigns, ratings per field."""

from __future__ import annotations

import numpy as np
import pytest

from illusion.annotations.agreement.ratings import FIELDS, field_codes, load_labelled_run
from illusion.errors import IllusionError
from tests.helpers.labelled_runs import control_pair_row, control_row, direction_row, pair_row

DIRECTIONS = {"neuron:1": "neuron", "random:1": "random"}
SPEC = {spec.name: spec for spec in FIELDS}


def test_empty_annotations_file(make_run):
    run_dir = make_run([], directions=DIRECTIONS)
    with pytest.raises(IllusionError, match=r"annotations.jsonl: no annotations; label some sets"):
        load_labelled_run(run_dir)


def test_missing_annotations_file(make_run):
    run_dir = make_run([], directions=DIRECTIONS)
    (run_dir / "annotations.jsonl").unlink()
    with pytest.raises(IllusionError, match=r"no such annotations file \(run `illusion import` first\)"):
        load_labelled_run(run_dir)


def test_line_that_is_not_json(make_run):
    run_dir = make_run([direction_row("neuron:1", "bible", "ann-a", pattern="yes")], directions=DIRECTIONS)
    with (run_dir / "annotations.jsonl").open("a") as handle:
        handle.write('{"task_uid": \n')
    with pytest.raises(IllusionError, match=r"annotations.jsonl, line 2: not valid JSON"):
        load_labelled_run(run_dir)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"annotator": None}, r"line 1: field 'annotator': Input should be a valid string"),
        ({"annotator": ""}, r"line 1: field 'annotator' must be a non-empty string"),
        ({"pattern": "maybe"}, r"line 1: field 'pattern' is 'maybe', expected one of yes, no"),
        ({"taxonomy": "global"}, r"field 'taxonomy' is 'global', expected one of single, several, none, artifact"),
        ({"confidence": 6}, r"field 'confidence' is 6, expected an integer 1 to 5"),
        ({"confidence": True}, r"field 'confidence': Input should be a valid integer"),
        ({"fits": [0, 3]}, r"field 'fits' must list sentence numbers 1 to 10, got \[0, 3\]"),
        ({"fits": [11]}, r"field 'fits' must list sentence numbers 1 to 10"),
        ({"fits": "1,2"}, r"field 'fits': Input should be a valid list"),
        ({"lead_time": -1}, r"field 'lead_time' must be seconds"),
        ({"datasets": "bible"}, r"field 'datasets': Input should be a valid list"),
        ({"task_type": "triple"}, r"field 'task_type' is 'triple'"),
        ({"run_id": "another-run"}, r"run_id 'another-run' is not this run's 'run-1'"),
    ],
)
def test_malformed_row_names_the_row_and_field(make_run, change, message):
    rows = [
        direction_row("neuron:1", "bible", "ann-a", pattern="yes", fits=[1, 2]),
        direction_row("neuron:1", "bible", "ann-b", pattern="no"),
    ]
    rows[0].update(change)
    with pytest.raises(IllusionError, match=message) as error:
        load_labelled_run(make_run(rows, directions=DIRECTIONS))
    assert "\n" not in str(error.value) and "illusion" in str(error.value)


def test_row_that_is_not_an_object(make_run):
    run_dir = make_run([["not", "a", "row"]], directions=DIRECTIONS)
    with pytest.raises(IllusionError, match=r"line 1: expected a JSON object"):
        load_labelled_run(run_dir)


def test_pair_needs_two_datasets(make_run):
    row = pair_row("neuron:1", "wiki-math", "bible", "ann-a", "same")
    row["datasets"] = ["wiki-math"]
    with pytest.raises(IllusionError, match=r"a pair task needs exactly 2 'datasets'"):
        load_labelled_run(make_run([row], directions=DIRECTIONS))


def test_every_set_of_the_run_is_counted_labelled_or_not(make_run):
    rows = [direction_row("neuron:1", "bible", "ann-a", pattern="yes"), control_row(0, "bible", "ann-a", pattern="no")]
    run = load_labelled_run(make_run(rows, directions=DIRECTIONS, controls=2))
    assert len(run.sets) == 2 * 4 + 2 * 4  # 2 directions and 2 control sets, in 4 datasets
    assert sum(bool(task.labels) for task in run.sets.values()) == 2
    assert len(run.pairs) == 4 * 6  # every pair of 4 datasets, for 2 directions and 2 control groups
    assert run.groups == {"neuron:1": "neuron", "random:1": "random", "control:0": "control", "control:1": "control"}
    assert run.sets["control:chat:1"].group == "control:1" and run.k == 10 and run.seed == 7


def test_control_pairs_join_their_group(make_run):
    run = load_labelled_run(
        make_run([control_pair_row(1, "wiki-math", "bible", "ann-a", "same")], directions=DIRECTIONS, controls=2)
    )
    task = run.pairs["control:wiki-math:1|control:bible:1"]
    assert task.group == "control:1" and task.votes("same_concept") == ["same"]


def test_repeated_labels_keep_the_latest(make_run):
    old = direction_row("neuron:1", "bible", "ann-a", pattern="no", created_at="2025-01-01T10:00:00Z")
    new = direction_row("neuron:1", "bible", "ann-a", pattern="yes", created_at="2025-01-02T10:00:00Z")
    run = load_labelled_run(make_run([new, old], directions=DIRECTIONS))
    assert run.sets["neuron:1@bible"].votes("pattern") == ["yes"]
    assert run.duplicates == 1 and any("kept the latest" in note for note in run.notes)


def test_repeated_labels_follow_the_import_rule_the_last_changed_wins(make_run):
    edited = direction_row(
        "neuron:1", "bible", "ann-a", pattern="yes", created_at="2025-01-01T10:00:00Z", updated_at="2025-01-03T10:00:00Z"
    )
    newer = direction_row("neuron:1", "bible", "ann-a", pattern="no", created_at="2025-01-02T10:00:00Z")
    run = load_labelled_run(make_run([edited, newer], directions=DIRECTIONS))
    assert run.sets["neuron:1@bible"].votes("pattern") == ["yes"] and run.duplicates == 1


def test_labels_of_unknown_tasks_are_kept_and_noted(make_run):
    stranger = direction_row("neuron:99", "bible", "ann-a", pattern="yes")
    run = load_labelled_run(make_run([stranger], directions=DIRECTIONS))
    assert run.sets["neuron:99@bible"].votes("pattern") == ["yes"]
    assert "neuron:99" not in run.groups
    assert any("does not list" in note for note in run.notes)


def test_fits_codes_one_unit_per_sentence(make_run):
    rows = [
        direction_row("neuron:1", "bible", "ann-a", pattern="yes", fits=[1, 3]),
        direction_row("neuron:1", "bible", "ann-b", pattern="no"),  # no pattern: no sentence fits
        direction_row("neuron:1", "bible", "ann-c", pattern="yes"),  # saw a pattern, marked nothing: missing
    ]
    run = load_labelled_run(make_run(rows, directions=DIRECTIONS, k=4))
    task = run.sets["neuron:1@bible"]
    codes = field_codes([task], SPEC["fits"], ["ann-a", "ann-b", "ann-c"], run.k)
    assert codes.shape == (3, 1, 4)
    np.testing.assert_array_equal(codes[0, 0], [1, 0, 1, 0])
    np.testing.assert_array_equal(codes[1, 0], [0, 0, 0, 0])
    assert np.isnan(codes[2, 0]).all()
    pattern = field_codes([task], SPEC["pattern"], ["ann-a", "ann-b", "ann-c"], run.k)
    np.testing.assert_array_equal(pattern[:, 0, 0], [0, 1, 0])  # indices into ("yes", "no")
    assert task.call == "conflict" and task.fit_counts() == [2]
