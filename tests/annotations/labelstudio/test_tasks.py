"""Blind tasks from a run folder: what annotators see, their order, their ids, bad run folders."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from illusion.annotations.campaign.private import load_private
from illusion.annotations.campaign.tasks import (
    SENTENCE_KEYS,
    TASK_TYPES,
    group_keys,
    load_campaign_run,
    sentence_choices,
    sentence_html,
    task_uid,
)
from illusion.annotations.labelstudio.config import config_text
from illusion.errors import IllusionError
from tests.helpers.campaign import tasks_of

HIDDEN = ("neuron", "random", "control", "neuron:17", "random:3")


def test_sentence_text_is_escaped_before_the_token_is_marked():
    text = "<b>x</b> & <script>alert(1)</script>"
    start = text.index("alert")
    html = sentence_html(2, text, [start, start + 5])
    assert html == ("<p><b>2.</b> &lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;</p>")
    assert sentence_html(1, "a < b", None) == "<p><b>1.</b> a &lt; b</p>"


def test_visible_data_never_tells_the_condition(run_dir):
    run = load_campaign_run(run_dir)
    tasks = tasks_of(run_dir)
    assert len(tasks["set"]) == 6 and len(tasks["pair"]) == 3
    for items in tasks.values():
        # Every task of a type shows the same fields, whatever its condition.
        assert len({tuple(sorted(t.data)) for t in items}) == 1
        for task in items:
            visible = json.dumps(task.data)
            for word in (*HIDDEN, run.run_id, task.set_id):
                assert word not in re.sub(r"<[^>]+>", "", visible), (task.set_id, word)
            assert task.meta["condition"] == task.condition and task.meta["run_id"] == run.run_id
            assert task.payload() == {"data": task.data}  # meta never leaves the organiser's machine
    conditions = {t.condition for t in tasks["set"]}
    assert conditions == {"neuron", "random", "control"}


def test_a_sentence_carries_its_own_mark_in_every_set_and_none_without_marks(run_dir):
    shown = {}  # every sentence as it is shown, wherever it is
    for task in tasks_of(run_dir)["set"]:
        for line in re.findall(r"<p><b>\d+\.</b> (.*?)</p>", task.data["html"]):
            shown.setdefault(re.sub("</?mark>", "", line), set()).add(line)
    assert all(len(forms) == 1 for forms in shown.values())
    controls = [t for t in tasks_of(run_dir)["set"] if t.condition == "control"]
    assert all("<mark>" in t.data["html"] for t in controls)

    (run_dir / "marks.jsonl").unlink()  # a run folder made before such marks: no marks at all
    assert not any("<mark>" in t.data["html"] for t in tasks_of(run_dir)["set"])


def test_order_is_shuffled_by_the_seed_only(run_dir):
    before = [t.uid for t in tasks_of(run_dir)["set"]]
    lines = (run_dir / "topk.jsonl").read_text().splitlines()
    (run_dir / "topk.jsonl").write_text("\n".join(reversed(lines)) + "\n")
    assert [t.uid for t in tasks_of(run_dir)["set"]] == before

    by_condition = sorted(tasks_of(run_dir)["set"], key=lambda t: t.condition)
    assert before != [t.uid for t in by_condition]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["seed"] = 1
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    after = [t.uid for t in tasks_of(run_dir)["set"]]
    assert sorted(after) == sorted(before) and after != before


def test_task_uids_are_stable_and_keyed_with_the_organisers_private_key(run_dir, organiser_dir):
    run = load_campaign_run(run_dir)
    private = load_private(run.run_id)
    uids = {t.set_id: t.uid for items in tasks_of(run_dir).values() for t in items}
    assert uids["neuron:17@wiki-math"] == task_uid(private, "set", "neuron:17@wiki-math")
    assert all(re.fullmatch(r"t[0-9a-f]{20}", uid) for uid in uids.values())
    # The key lives outside the run folder; without it the uids cannot be rebuilt.
    assert private.path.parent == organiser_dir
    private.path.unlink()
    with pytest.raises(IllusionError, match=r"no private campaign file for run .*copy it from the machine"):
        load_private(run.run_id)
    other = {t.set_id: t.uid for items in tasks_of(run_dir).values() for t in items}
    assert not set(other.values()) & set(uids.values())
    assert not (private.path.stat().st_mode & 0o077)  # a new key is readable by its owner only


def test_pairs_compare_one_direction_or_the_nth_controls_across_datasets(run_dir):
    pairs = {t.set_id: t for t in tasks_of(run_dir)["pair"]}
    assert set(pairs) == {"neuron:17@wiki-math|bible", "random:3@wiki-math|bible", "control:wiki-math:0|control:bible:0"}
    neuron = pairs["neuron:17@wiki-math|bible"]
    assert neuron.datasets == ("wiki-math", "bible") and neuron.direction == "neuron:17"
    assert neuron.data["left_dataset"] == "wiki-math" and "Euler" in neuron.data["left_html"]
    assert "Abraham" in neuron.data["right_html"]
    assert pairs["control:wiki-math:0|control:bible:0"].direction is None


def test_groups_are_a_direction_or_the_nth_control_set_of_each_dataset(run_dir):
    run = load_campaign_run(run_dir)
    keys = dict(zip([st.set_id for st in run.sets], group_keys(run.sets), strict=True))
    assert keys["neuron:17@bible"] == keys["neuron:17@wiki-math"] == ("direction", "neuron:17")
    assert keys["control:wiki-math:0"] == keys["control:bible:0"] == ("control", "control:0")


def test_fit_options_number_the_sentences(run_dir):
    task = next(t for t in tasks_of(run_dir)["set"] if t.set_id == "neuron:17@bible")
    assert task.data["fit_options"] == [
        {"value": "1", "hotkey": "1"},
        {"value": "2", "hotkey": "2"},
        {"value": "3", "hotkey": "3"},
    ]
    assert sorted(task.meta["sentence_ids"]) == ["bible/10", "bible/11", "bible/12"]  # in an order drawn for the set
    assert task.data["html"].count("<p>") == 3


def _edit_first_row(path, **changes):
    lines = path.read_text().splitlines()
    row = json.loads(lines[0])
    row.update(changes)
    path.write_text("\n".join([json.dumps(row), *lines[1:]]) + "\n")


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda d: (d / "topk.jsonl").unlink(), r"topk.jsonl: no such file from `illusion run`"),
        (lambda d: (d / "manifest.json").unlink(), r"manifest.json: no such file from `illusion run`"),
        (lambda d: (d / "topk.jsonl").write_text("{not json\n"), r"topk.jsonl, line 1: not valid JSON"),
        (
            lambda d: _edit_first_row(d / "topk.jsonl", dataset=""),
            r"topk.jsonl, line 1: field 'dataset': String should have at least 1 character",
        ),
        (
            lambda d: _edit_first_row(d / "marks.jsonl", span=[2, 99]),
            r"marks.jsonl, line 1: span \[2, 99\] is not \[start, end\) inside the text of sentence 'wiki-math/0'",
        ),
        (lambda d: _edit_first_row(d / "topk.jsonl", direction="random:3"), r"set 'random:3@wiki-math' appears twice"),
        (lambda d: (d / "manifest.json").write_text("{}"), r"manifest.json: no run_id"),
    ],
)
def test_bad_run_folders_get_one_clear_message(run_dir, breakage, message):
    breakage(run_dir)
    with pytest.raises(IllusionError, match=message):
        tasks_of(run_dir)


def test_a_missing_run_folder_is_named(tmp_path):
    with pytest.raises(IllusionError, match=r"nowhere: no such run folder"):
        load_campaign_run(tmp_path / "nowhere")


def test_a_new_organiser_folder_is_closed_to_others_before_a_key_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("ILLUSION_ORGANISER_DIR", str(tmp_path / "fresh" / "organiser"))
    private = load_private("run-1", create=True)
    assert not (private.path.parent.stat().st_mode & 0o077) and not (private.path.stat().st_mode & 0o077)


def test_every_answer_has_a_key_of_its_own_and_sentences_answer_to_their_numbers():
    assert [option.get("hotkey") for option in sentence_choices(11)] == [*"1234567890", None]
    for task_type in TASK_TYPES:
        form = ET.fromstring(config_text(task_type))
        keys = [node.get("hotkey") for node in form.iter() if node.tag in ("Choice", "Rating")]
        assert None not in keys and len(set(keys)) == len(keys) and not set(keys) & set(SENTENCE_KEYS), keys
        questions = [node.get("value", "") for node in form.iter("Header")]
        for node in form.iter():
            if node.get("required") == "true":  # the message quotes the question, not the control's name
                quoted = re.match(r'Answer "([^"]+)"', node.get("requiredMessage", ""))
                assert quoted and any(question.startswith(quoted.group(1)) for question in questions), node.attrib
