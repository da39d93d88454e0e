"""A campaign from a folder that `illusion run` wrote (a tiny random BERT on two small datasets)."""

from __future__ import annotations

import html
import json
import re

import pytest

from illusion.annotations.campaign.attention import attention_scores, attention_sets, campaign_tasks
from illusion.annotations.campaign.importer import import_campaign
from illusion.annotations.campaign.private import load_private
from illusion.annotations.campaign.tasks import build_tasks, load_campaign_run
from illusion.annotations.labelstudio.backend import LabelStudioBackend
from illusion.annotations.labelstudio.export import export_campaign
from illusion.errors import IllusionError
from illusion.run.config import load_config
from illusion.run.pipeline import run
from illusion.run.schema import Annotation
from tests.helpers.campaign import tasks_of
from tests.helpers.labelled_runs import set_row
from tests.helpers.run_configs import TWO_OF_EACH, write_text_run_config

SENTENCES = {
    "animals": [
        "the cat sat on the mat.",
        "the dog sat on the mat.",
        "a cat and a dog.",
        "the dog was on the cat.",
        "<b>a cat</b> sat in the mat.",
        "the cat was a dog.",
        "a dog sat on a cat.",
    ],
    "scripture": [
        "god said let there be light.",
        "and there was light.",
        "god said it was light.",
        "let there be war.",
        "the king said let there be love.",
        "and god said love.",
        "let the king be.",
    ],
}


@pytest.fixture(scope="module")
def real_run(illusion_tiny_bert, tmp_path_factory):
    folder = tmp_path_factory.mktemp("real-run")
    config = write_text_run_config(folder, SENTENCES, illusion_tiny_bert, samplers=TWO_OF_EACH, seed=3, k=3, controls=1)
    run(load_config(config), folder / "out")
    return folder / "out"


def test_tasks_show_each_sentence_with_the_whole_word_of_its_own_driving_token_marked(real_run):
    tasks = tasks_of(real_run)
    assert len(tasks["set"]) == 4 * 2 + 2 and len(tasks["pair"]) == 4 + 1
    marks = {(r["dataset"], r["id"]): r for r in map(json.loads, (real_run / "marks.jsonl").read_text().splitlines())}
    texts = {
        (r["dataset"], s["text"]): s["id"]
        for r in map(json.loads, (real_run / "topk.jsonl").read_text().splitlines())
        for s in r["top"]
    }
    texts |= {
        (r["dataset"], s["text"]): s["id"]
        for r in map(json.loads, (real_run / "controls.jsonl").read_text().splitlines())
        for s in r["sentences"]
    }
    for task in tasks["set"]:
        for line in re.findall(r"<p><b>\d+\.</b> (.*?)</p>", task.data["html"]):
            text = html.unescape(line.replace("<mark>", "").replace("</mark>", ""))
            mark = marks[task.datasets[0], texts[task.datasets[0], text]]
            words = [
                m for m in re.finditer(r"\w+", text) if mark["span"] and m.start() < mark["span"][1] and mark["span"][0] < m.end()
            ]
            if words:  # the whole word(s) the sentence's own driving token touches
                assert f"<mark>{html.escape(text[words[0].start() : words[-1].end()])}</mark>" in line
            else:  # punctuation alone is not marked
                assert "<mark>" not in line


@pytest.mark.labelstudio
def test_a_real_run_becomes_a_campaign_and_imports_empty(real_run, server, admin, tmp_path):
    url, key = server
    folder = tmp_path / "run"
    folder.mkdir()
    for path in real_run.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    summary = export_campaign(folder, url, key)
    assert (summary["set"]["added"], summary["pair"]["added"]) == (10, 5)
    record = json.loads((folder / "labelstudio.json").read_text())
    for task in admin.tasks.list(project=record["projects"]["set"]["id"]):
        assert not {"neuron", "random", "control"} & set(re.findall(r"\w+", json.dumps(task.data)))
    done = import_campaign(folder, LabelStudioBackend(url, key))
    assert done["annotations"] == 0 and done["unannotated_tasks"] == {"set": 10, "pair": 5}
    assert (folder / "annotations.jsonl").read_text() == ""


def test_attention_checks_share_a_word_look_like_sets_and_take_part_in_pairs(real_run):
    run = load_campaign_run(real_run)
    private = load_private(run.run_id, create=True)
    plain, checked = build_tasks(run, private), campaign_tasks(run, private, {"attention": 2})
    checks = [t for t in checked["set"] if t.condition == "attention"]
    assert len(checks) == 2 and len(checked["set"]) == len(plain["set"]) + 2
    assert {t.datasets for t in checks} == {("animals",), ("scripture",)}
    assert len(checked["pair"]) == len(plain["pair"]) + 1  # the two checks are compared like two controls
    words = {r["set"]: r["word"] for r in map(json.loads, (real_run / "checks.jsonl").read_text().splitlines())}
    for task in checks:
        assert set(task.data) == set(plain["set"][0].data)  # shown like any other set
        sentences = [
            html.unescape(re.sub("</?mark>", "", s)) for s in re.findall(r"<p><b>\d+\.</b> (.*?)</p>", task.data["html"])
        ]
        assert len(sentences) == 3 and all(words[task.set_id] in re.findall(r"\w+", s.lower()) for s in sentences)
    with pytest.raises(IllusionError, match=r"checks.jsonl: the run has 4 attention checks, fewer than --attention 5"):
        attention_sets(run, 5)


def test_attention_scores_flag_annotators_who_miss_the_planted_pattern():
    def check(annotator, pattern):
        return Annotation.model_validate(set_row("attention:bible:0", annotator, "attention", "bible", pattern=pattern))

    rows = [check("a", "yes")] * 5 + [check("b", "yes")] * 3 + [check("b", "no")] * 2
    scores = attention_scores(rows)
    assert scores["a"] == {"checks": 5, "passed": 5, "score": 1.0, "flagged": False}
    assert scores["b"] == {"checks": 5, "passed": 3, "score": 0.6, "flagged": True}


def test_attention_checks_are_scored_at_import_and_kept_out_of_the_annotations(real_run, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    for path in real_run.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    run = load_campaign_run(folder)
    (folder / "labelstudio.json").write_text(json.dumps({"run_id": run.run_id, "projects": {}, "attention": 2}))
    tasks = campaign_tasks(run, load_private(run.run_id, create=True), {"attention": 2})["set"]

    def answered(task, user, pattern):
        result = [{"from_name": "pattern", "to_name": "sentences", "type": "choices", "value": {"choices": [pattern]}}]
        return {"data": task.data, "annotations": [{"id": user * 100 + len(task.uid), "completed_by": user, "result": result}]}

    # User 1 sees both planted patterns, user 2 neither; both label every other set "no".
    export = [answered(t, user, "yes" if t.condition == "attention" and user == 1 else "no") for t in tasks for user in (1, 2)]
    (tmp_path / "sets.json").write_text(json.dumps(export))
    summary = import_campaign(folder, LabelStudioBackend(), files=(str(tmp_path / "sets.json"),))
    rows = [json.loads(line) for line in (folder / "annotations.jsonl").read_text().splitlines()]
    assert {row["condition"] for row in rows} == {"neuron", "random", "control"} and len(rows) == 2 * (len(tasks) - 2)
    assert summary["tasks"]["set"] == len(tasks) - 2
    scores = sorted((s["passed"], s["checks"], s["flagged"]) for s in summary["attention"].values())
    assert scores == [(0, 2, True), (2, 2, False)]


def copied(real_run, folder):
    folder.mkdir()
    for path in real_run.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    return folder


def test_a_campaign_of_a_run_folder_without_checks_keeps_the_checks_it_was_exported_with(real_run, tmp_path):
    folder = copied(real_run, tmp_path / "run")
    (folder / "checks.jsonl").unlink()  # made before runs wrote checks: the campaign planted them
    run = load_campaign_run(folder)
    checks = [
        t
        for t in campaign_tasks(run, load_private(run.run_id, create=True), {"attention": 2})["set"]
        if t.condition == "attention"
    ]
    assert sorted(t.set_id for t in checks) == ["attention:0", "attention:1"]  # the ids, so the uids, they had
    for task in checks:
        marked = re.findall(r"<mark>(.*?)</mark>", task.data["html"])
        assert len(marked) == 3 and len({m.lower() for m in marked}) == 1


def test_fits_are_numbered_in_the_run_folders_order_whatever_order_they_were_shown_in(real_run, tmp_path):
    folder = copied(real_run, tmp_path / "run")
    run = load_campaign_run(folder)
    (folder / "labelstudio.json").write_text(json.dumps({"run_id": run.run_id, "projects": {}}))
    tops = {
        f"{r['direction']}@{r['dataset']}": r["top"] for r in map(json.loads, (folder / "topk.jsonl").read_text().splitlines())
    }

    def shown(task):
        return [html.unescape(re.sub("</?mark>", "", s)) for s in re.findall(r"<p><b>\d+\.</b> (.*?)</p>", task.data["html"])]

    tasks = campaign_tasks(run, load_private(run.run_id, create=True), None)["set"]
    task = next(t for t in tasks if t.direction and shown(t)[0] != tops[t.set_id][0]["text"])  # shown in another order
    top = tops[task.set_id]
    in_run_order = "".join(f"<p><b>{n}.</b> {html.escape(s['text'])}</p>" for n, s in enumerate(top, 1))
    result = [
        {"from_name": "pattern", "to_name": "sentences", "type": "choices", "value": {"choices": ["yes"]}},
        {"from_name": "fits", "to_name": "sentences", "type": "choices", "value": {"choices": ["1"]}},
    ]
    # The same answer ("sentence 1 fits") on the task as shown now, and on the task as an earlier export showed it.
    export = [
        {"data": task.data, "annotations": [{"id": 1, "completed_by": 1, "result": result}]},
        {"data": dict(task.data, html=in_run_order), "annotations": [{"id": 2, "completed_by": 2, "result": result}]},
    ]
    (tmp_path / "sets.json").write_text(json.dumps(export))
    import_campaign(folder, LabelStudioBackend(), files=(str(tmp_path / "sets.json"),))
    fits = {row["annotation_id"]: row["fits"] for row in map(json.loads, (folder / "annotations.jsonl").read_text().splitlines())}
    assert fits == {1: [[s["text"] for s in top].index(shown(task)[0]) + 1], 2: [1]}
