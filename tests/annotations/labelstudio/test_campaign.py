"""A whole campaign against a real Label Studio server: export, label as two people, import."""

from __future__ import annotations

import json
import re

import pytest

from illusion import hookimpl
from illusion.annotations.campaign.importer import import_campaign
from illusion.annotations.campaign.private import load_private
from illusion.annotations.campaign.tasks import load_campaign_run
from illusion.annotations.labelstudio.backend import LabelStudioBackend
from illusion.annotations.labelstudio.config import config_text
from illusion.annotations.labelstudio.export import export_campaign, plugin_predictions
from illusion.annotations.labelstudio.project import campaign_tag
from illusion.annotations.labelstudio.views import SHOWN, column_ids
from illusion.cli import main
from illusion.errors import IllusionError, PluginError
from illusion.host import Host
from illusion.run.folder import ANNOTATIONS, ANNOTATIONS_REJECTS
from illusion.run.folder import LABELSTUDIO as RECORD
from tests.helpers.campaign import pseudonyms_of, tasks_of

pytestmark = pytest.mark.labelstudio


def record_of(run_dir):
    return json.loads((run_dir / RECORD).read_text())


def server_tasks(admin, project_id):
    return sorted(admin.tasks.list(project=project_id), key=lambda task: task.id)


def choice(name, to_name, *values):
    return {"from_name": name, "to_name": to_name, "type": "choices", "value": {"choices": list(values)}}


def label_set(annotator, task_id, pattern, fits, description, confidence):
    result = [
        choice("pattern", "sentences", pattern),
        choice("taxonomy", "sentences", "single"),
        {"from_name": "description", "to_name": "sentences", "type": "textarea", "value": {"text": [description]}},
        {"from_name": "confidence", "to_name": "sentences", "type": "rating", "value": {"rating": confidence}},
    ]
    if fits:
        result.append(choice("fits", "sentences", *map(str, fits)))
    annotator.client.annotations.create(id=task_id, result=result, lead_time=12.5)


def test_export_creates_a_blind_campaign_in_the_seeded_order(fresh_run, server, admin):
    url, key = server
    summary = export_campaign(fresh_run, url, key)
    run = load_campaign_run(fresh_run)
    expected = tasks_of(fresh_run)
    record = record_of(fresh_run)
    assert record["run_id"] == run.run_id and record["url"] == url.rstrip("/") and record["overlap"] == 2
    for task_type in ("set", "pair"):
        project_id = record["projects"][task_type]["id"]
        assert summary[task_type] == {"project": project_id, "tasks": len(expected[task_type]), "added": len(expected[task_type])}
        project = admin.projects.get(project_id)
        assert project.label_config == config_text(task_type) and project.maximum_annotations == 2
        assert run.run_id not in project.description + project.title
        tasks = server_tasks(admin, project_id)
        # Annotators are shown tasks in import order: the seeded shuffle, not grouped by condition.
        assert [t.data["uid"] for t in tasks] == [t.uid for t in expected[task_type]]
        views = admin.views.list(project=project_id)
        hidden = views[0].data["hiddenColumns"]["explore"]
        assert len(views) == 1 and any(h.endswith("html") for h in hidden)
        # The task list shows the plain-text preview and the task's state, nothing else.
        assert set(column_ids(admin, project_id)) - set(hidden) == set(SHOWN[task_type])
        for task, mine in zip(tasks, expected[task_type], strict=True):
            assert not {"<p>", "<mark>"} & set(re.findall(r"<\w+>", task.data["text"]))  # plain sentences
            assert task.data["text"].startswith(("1. ", "wiki-math: 1. ", "bible: 1. "))
            on_server = json.dumps({"data": task.data, "meta": task.meta})
            for hidden in ("neuron", "random", "control", run.run_id, mine.set_id):
                assert hidden not in on_server
    assert key not in "".join(p.read_text() for p in fresh_run.iterdir())


def test_reexport_adds_only_missing_tasks_and_applies_the_overlap(fresh_run, server, admin):
    url, key = server
    export_campaign(fresh_run, url, key)
    again = export_campaign(fresh_run, url, key, overlap=3)
    assert again["set"]["added"] == again["pair"]["added"] == 0
    set_project = record_of(fresh_run)["projects"]["set"]["id"]
    assert admin.projects.get(set_project).maximum_annotations == 3

    tasks = server_tasks(admin, set_project)
    admin.tasks.delete(str(tasks[2].id))
    restored = export_campaign(fresh_run, url, key, overlap=3)
    assert restored["set"]["added"] == 1 and restored["pair"]["added"] == 0
    uids = [t.data["uid"] for t in server_tasks(admin, set_project)]
    assert len(uids) == len(set(uids)) == 6


class PreAnnotator:
    """A plugin that guesses "yes, a pattern" for set tasks, and cannot handle pair tasks when told so."""

    def __init__(self, fail_on_pairs=False):
        self.fail_on_pairs = fail_on_pairs

    @hookimpl
    def illusion_task_predictions(self, task):
        if task["type"] == "pair":
            if self.fail_on_pairs:
                raise RuntimeError("no model for pairs")
            return None
        assert "condition" not in task["data"] and task["meta"]["condition"]  # meta: for local plugins only
        return [{"model_version": "guess-1", "score": 0.5, "result": [choice("pattern", "sentences", "yes")]}]


def host_with(plugin):
    host = Host(autoload=False)
    assert host.register(plugin, "pre-annotator")
    return host


def test_plugins_pre_annotate_tasks(fresh_run, server, admin):
    url, key = server
    export_campaign(fresh_run, url, key, predict=plugin_predictions(host_with(PreAnnotator())))
    record = record_of(fresh_run)
    exported = admin.projects.exports.as_json(record["projects"]["set"]["id"])
    assert all(len(task["predictions"]) == 1 for task in exported)
    pairs = admin.projects.exports.as_json(record["projects"]["pair"]["id"])
    assert all(task["predictions"] == [] for task in pairs)


def test_an_export_that_failed_midway_is_completed_without_duplicates(fresh_run, server, admin):
    url, key = server
    failing = plugin_predictions(host_with(PreAnnotator(fail_on_pairs=True)))
    with pytest.raises(
        PluginError,
        match=r"a plugin failed to pre-annotate task t[0-9a-f]+ "
        r"\(RuntimeError: no model for pairs\)",
    ):
        export_campaign(fresh_run, url, key, predict=failing)
    record = record_of(fresh_run)  # both projects are recorded, the pair project is still empty
    assert server_tasks(admin, record["projects"]["pair"]["id"]) == []

    done = export_campaign(fresh_run, url, key)
    assert done["set"]["added"] == 0 and done["pair"]["added"] == 3
    assert record_of(fresh_run)["projects"] == {t: dict(p, tasks=done[t]["tasks"]) for t, p in record["projects"].items()}
    for project in record["projects"].values():
        uids = [t.data["uid"] for t in server_tasks(admin, project["id"])]
        assert len(uids) == len(set(uids))


def test_two_annotators_label_and_import_maps_labels_back(fresh_run, server, admin, annotators, tmp_path):
    url, key = server
    export_campaign(fresh_run, url, key)
    record = record_of(fresh_run)
    run_id = load_campaign_run(fresh_run).run_id
    sets = server_tasks(admin, record["projects"]["set"]["id"])
    pairs = server_tasks(admin, record["projects"]["pair"]["id"])
    first, second = annotators
    for task in sets:
        label_set(first, task.id, "yes", [1, 3], "names of mathematicians", 4)
    for task in sets[:2]:
        label_set(second, task.id, "no", None, "nothing shared", 2)
    first.client.annotations.create(id=pairs[0].id, result=[choice("same_concept", "left", "related")])

    summary = import_campaign(fresh_run, LabelStudioBackend(url, key))
    assert summary["annotations"] == 9 and summary["annotators"] == 2
    assert summary["unannotated_tasks"] == {"set": 0, "pair": 2}
    rows = [json.loads(line) for line in (fresh_run / ANNOTATIONS).read_text().splitlines()]
    expected = {t.uid: t for items in tasks_of(fresh_run).values() for t in items}
    for row in rows:
        task = expected[row["task_uid"]]
        assert (row["set_id"], row["condition"], row["direction"], row["run_id"]) == (
            task.set_id,
            task.condition,
            task.direction,
            run_id,
        )
    by_annotator = {}
    for row in rows:
        by_annotator.setdefault(row["annotator"], []).append(row)
    names = pseudonyms_of(fresh_run)
    mine = by_annotator[names[str(first.user_id)]]
    theirs = by_annotator[names[str(second.user_id)]]
    assert len(mine) == 7 and len(theirs) == 2
    for r in mine:  # sentences 1 and 3 as shown, numbered in the run folder's order
        if r["task_type"] == "set":
            numbers = expected[r["task_uid"]].meta["numbers"]
            assert r["fits"] == sorted([numbers[0], numbers[2]])
    assert {(r["pattern"], r["description"], r["confidence"], r["lead_time"]) for r in mine if r["task_type"] == "set"} == {
        ("yes", "names of mathematicians", 4, 12.5)
    }
    assert {(r["pattern"], r["fits"]) for r in theirs} == {("no", None)}
    assert [r["same_concept"] for r in mine if r["task_type"] == "pair"] == ["related"]
    text = (fresh_run / ANNOTATIONS).read_text()
    assert first.email not in text and second.email not in text

    # People who work offline import Label Studio's JSON exports and get the same rows.
    files = []
    for task_type, project in record["projects"].items():
        files.append(tmp_path / f"{task_type}.json")
        files[-1].write_text(json.dumps(admin.projects.exports.as_json(project["id"])))
    offline = tmp_path / "offline"
    offline.mkdir()
    for name in ("manifest.json", "topk.jsonl", "controls.jsonl"):
        (offline / name).write_bytes((fresh_run / name).read_bytes())
    import_campaign(offline, LabelStudioBackend(), files=tuple(map(str, files)))
    assert (offline / ANNOTATIONS).read_text() == text


def test_answers_the_config_does_not_allow_are_set_aside_and_the_rest_kept(
    fresh_run, server, admin, annotators, capsys, monkeypatch
):
    url, key = server
    export_campaign(fresh_run, url, key)
    sets = server_tasks(admin, record_of(fresh_run)["projects"]["set"]["id"])
    first, second = annotators
    label_set(first, sets[0].id, "yes", [2], "a good answer", 3)
    # Label Studio takes answers its own form would never send, through the API.
    second.client.annotations.create(
        id=sets[0].id,
        result=[
            choice("pattern", "sentences", "maybe"),
            {"from_name": "confidence", "to_name": "sentences", "type": "rating", "value": {"rating": 9}},
            {"from_name": "description", "to_name": "sentences", "type": "textarea", "value": {"text": ["kept"]}},
        ],
    )
    main(["import", str(fresh_run), "--url", url, "--api-key", key])
    err = capsys.readouterr().err
    assert "2 answers are not allowed by the labelling config and were set aside in" in err and "annotations.rejects.jsonl" in err
    rows = {row["annotator"]: row for row in map(json.loads, (fresh_run / ANNOTATIONS).read_text().splitlines())}
    names = pseudonyms_of(fresh_run)
    good, bad = rows[names[str(first.user_id)]], rows[names[str(second.user_id)]]
    numbers = next(t for t in tasks_of(fresh_run)["set"] if t.uid == good["task_uid"]).meta["numbers"]
    assert (good["pattern"], good["fits"], good["confidence"]) == ("yes", [numbers[1]], 3)  # sentence 2 as shown
    assert (bad["pattern"], bad["confidence"], bad["description"]) == (None, None, "kept")
    rejects = [json.loads(line) for line in (fresh_run / ANNOTATIONS_REJECTS).read_text().splitlines()]
    uid = sets[0].data["uid"]
    assert [(r["annotator"], r["task_uid"], r["field"], r["value"]) for r in rejects] == [
        (bad["annotator"], uid, "pattern", {"choices": ["maybe"]}),
        (bad["annotator"], uid, "confidence", {"rating": 9}),
    ]
    assert (
        rejects[0]["why"].startswith("unknown choice 'maybe' (expected one of: yes, no")
        and rejects[1]["why"] == "rating 9 is not 1..5"
    )

    monkeypatch.setenv("COLUMNS", "80")
    main(["campaign", "status", str(fresh_run), "--url", url, "--api-key", key])
    shown = capsys.readouterr().out
    assert max(map(len, shown.splitlines())) <= 80
    assert all(any(line.startswith(f"│ {name} ") for line in shown.splitlines()) for name in rows)  # whole pseudonyms
    assert f"set aside: {bad['annotator']}, set task {uid}, pattern: unknown choice 'maybe'" in " ".join(shown.split())
    with pytest.raises(SystemExit) as strict:
        main(["import", str(fresh_run), "--url", url, "--api-key", key, "--strict"])
    assert strict.value.code == 1 and "error: 2 answers are not allowed" in capsys.readouterr().err


def test_an_annotation_posted_in_another_annotators_name_is_set_aside_and_theirs_kept(
    fresh_run, server, admin, annotators, capsys
):
    url, key = server
    export_campaign(fresh_run, url, key)
    sets = server_tasks(admin, record_of(fresh_run)["projects"]["set"]["id"])
    first, second = annotators
    label_set(second, sets[0].id, "no", None, "honest", 2)
    label_set(first, sets[1].id, "yes", [1], "mine", 4)
    # The API takes any completed_by; the server records who saved the annotation (updated_by).
    forged = [choice("pattern", "sentences", "yes"), choice("fits", "sentences", "1", "2")]
    first.client.annotations.create(id=sets[0].id, result=forged, completed_by=second.user_id)
    first.client.annotations.create(id=sets[1].id, result=forged, completed_by=second.user_id)
    main(["import", str(fresh_run), "--url", url, "--api-key", key])
    err = capsys.readouterr().err
    assert "2 annotations name another annotator than the Label Studio user who saved them" in err
    names = pseudonyms_of(fresh_run)
    me, them = names[str(first.user_id)], names[str(second.user_id)]
    rows = {
        (row["annotator"], row["task_uid"]): row for row in map(json.loads, (fresh_run / ANNOTATIONS).read_text().splitlines())
    }
    uids = [task.data["uid"] for task in sets[:2]]
    assert rows.keys() == {(them, uids[0]), (me, uids[1])}  # the honest labels, neither forged one
    assert (rows[them, uids[0]]["description"], rows[me, uids[1]]["description"]) == ("honest", "mine")
    rejects = [json.loads(line) for line in (fresh_run / ANNOTATIONS_REJECTS).read_text().splitlines()]
    assert [(r["annotator"], r["task_uid"], r["field"], r["value"]) for r in rejects] == [
        (them, uid, "completed_by", second.user_id) for uid in uids
    ]
    assert all(f"({them})" in r["why"] and f"user {first.user_id} ({me})" in r["why"] for r in rejects)


def test_a_wrong_key_is_refused_clearly(fresh_run, server):
    url, _ = server
    with pytest.raises(IllusionError, match=r"refused the API key: pass a valid --api-key or set LABEL_STUDIO_API_KEY"):
        export_campaign(fresh_run, url, "0" * 40)
    assert not (fresh_run / RECORD).exists()


def test_a_project_deleted_on_the_server_is_reported(fresh_run, server, admin):
    url, key = server
    export_campaign(fresh_run, url, key)
    project_id = record_of(fresh_run)["projects"]["set"]["id"]
    admin.projects.delete(project_id)
    message = rf"the set project {project_id} recorded in .*labelstudio.json no longer exists .*delete .*labelstudio.json"
    with pytest.raises(IllusionError, match=message):
        export_campaign(fresh_run, url, key)
    with pytest.raises(IllusionError, match=message):
        import_campaign(fresh_run, LabelStudioBackend(url, key))
    assert not (fresh_run / ANNOTATIONS).exists()


def test_a_project_of_another_run_is_not_taken_for_this_one(fresh_run, server, tmp_path):
    url, key = server
    export_campaign(fresh_run, url, key)
    other = tmp_path / "other"
    other.mkdir()
    for name in ("manifest.json", "topk.jsonl", "controls.jsonl"):
        (other / name).write_bytes((fresh_run / name).read_bytes())
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["run_id"] = "f" * 32
    (other / "manifest.json").write_text(json.dumps(manifest))
    tasks_of(other)  # the organiser's key of the other run
    record = record_of(fresh_run)
    record["run_id"] = manifest["run_id"]
    (other / RECORD).write_text(json.dumps(record))
    with pytest.raises(IllusionError, match=r"project \d+ at .* is not the set project of run f{32}"):
        export_campaign(other, url, key)


def test_an_invalid_labelling_config_is_reported_and_nothing_recorded(fresh_run, server):
    url, key = server
    broken = config_text("set").replace('toName="sentences"', 'toName="nowhere"', 1)
    with pytest.raises(IllusionError, match=r"refused the set project's settings \(label_config: .*\); fix the labelling config"):
        export_campaign(fresh_run, url, key, configs={"set": broken})
    assert not (fresh_run / RECORD).exists()


def test_export_command_prints_the_projects_but_never_the_key(fresh_run, server, monkeypatch, capsys):
    url, key = server
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", key)
    main(["export", str(fresh_run), "--title", "Pilot"])
    out, err = capsys.readouterr()
    projects = record_of(fresh_run)["projects"]
    assert f"set tasks: project {projects['set']['id']} at {url.rstrip('/')}/projects/" in out
    assert "6 added, 6 in all" in out and "3 added, 3 in all" in out
    assert key not in out + err
    assert projects["set"]["title"] == "Pilot: sentence sets"

    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "wrong")
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(fresh_run)])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 1 and err.startswith("error: Label Studio at") and err.count("\n") == 1
    assert not (fresh_run / ANNOTATIONS).exists()


def tagged_projects(admin, run_dir):
    tag = campaign_tag(load_private(load_campaign_run(run_dir).run_id))
    return sorted(p.id for p in admin.projects.list() if tag in (p.description or ""))


def test_a_lost_record_is_found_again_and_import_never_shrinks_the_labels(fresh_run, server, admin, annotators, capsys):
    url, key = server
    login = ["--url", url, "--api-key", key]
    main(["export", str(fresh_run), *login, "--attention", "2"])
    record = record_of(fresh_run)
    data = {t.uid for t in tasks_of(fresh_run)["set"]}  # not the attention checks
    sets = [task for task in server_tasks(admin, record["projects"]["set"]["id"]) if task.data["uid"] in data]
    for task in sets[:3]:
        label_set(annotators[0], task.id, "no", None, "nothing", 2)
    main(["import", str(fresh_run), *login])
    labels = (fresh_run / ANNOTATIONS).read_text()
    assert "against the earlier 0 rows: 3 added, 0 removed, 0 changed" in capsys.readouterr().out

    (fresh_run / RECORD).unlink()
    with pytest.raises(SystemExit):  # the private file knows the campaign is on one shared server
        main(["export", str(fresh_run), *login, "--annotator", "alice"])
    assert f"is on one shared server ({url.rstrip('/')}); export it without --annotator" in capsys.readouterr().err
    main(["export", str(fresh_run), *login])  # no duplicate projects, and the attention checks stay
    assert "0 added, 8 in all" in capsys.readouterr().out
    assert tagged_projects(admin, fresh_run) == sorted(p["id"] for p in record["projects"].values())
    assert {k: record_of(fresh_run)[k] for k in ("projects", "attention", "overlap")} == {
        k: record[k] for k in ("projects", "attention", "overlap")
    }
    main(["import", str(fresh_run), *login])
    assert (fresh_run / ANNOTATIONS).read_text() == labels
    assert "3 added" not in capsys.readouterr().out and not list(fresh_run.glob("annotations.[0-9]*"))

    # Labels gone from the server: the import says so and keeps the earlier file.
    admin.annotations.delete(next(iter(admin.annotations.list(id=sets[0].id))).id)
    main(["import", str(fresh_run), *login])
    out, err = capsys.readouterr()
    assert "against the earlier 3 rows: 0 added, 1 removed, 0 changed" in out
    assert f"the earlier file is kept as {fresh_run / 'annotations.1.jsonl'}" in out
    assert "warning: 1 rows of the earlier file are not on the server(s) any more" in err
    assert (fresh_run / "annotations.1.jsonl").read_text() == labels and len(
        (fresh_run / ANNOTATIONS).read_text().splitlines()
    ) == 2


def test_agree_and_status_work_from_the_first_answers(fresh_run, server, admin, annotators, capsys, monkeypatch):
    url, key = server
    export_campaign(fresh_run, url, key)
    tasks = {t.uid: t for t in tasks_of(fresh_run)["set"]}
    by_condition = {}
    for task in server_tasks(admin, record_of(fresh_run)["projects"]["set"]["id"]):
        by_condition.setdefault(tasks[task.data["uid"]].condition, task)
    for task in by_condition.values():  # one set with ticked sentences per condition
        label_set(annotators[0], task.id, "yes", [1, 2], "a pattern", 4)
    monkeypatch.setenv("COLUMNS", "80")
    main(["campaign", "status", str(fresh_run), "--url", url, "--api-key", key])
    main(["import", str(fresh_run), "--url", url, "--api-key", key])
    main(["agree", str(fresh_run), "--bootstrap", "20"])
    shown = capsys.readouterr().out
    assert max(len(line) for line in shown.splitlines() if not line.startswith("wrote ")) <= 80  # paths are not cut
    name = pseudonyms_of(fresh_run)[str(annotators[0].user_id)]
    assert shown.count(f"│ {name} │") == 2  # whole, in the status and in agree's table of annotators
    comparisons = json.loads((fresh_run / "agreement.json").read_text())["conditions"]["comparisons"]
    fits = [c for c in comparisons if c["outcome"] == "fits_mean"]
    assert fits and all(c["p"] is None and c["reason"].startswith("not enough data") for c in fits)
