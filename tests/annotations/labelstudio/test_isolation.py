"""Independent annotators: each on a Label Studio server of their own, reached with their own login."""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest

from illusion.annotations.labelstudio.annotators import seats
from illusion.annotations.labelstudio.export import export_campaign
from illusion.annotations.labelstudio.importer import import_campaign
from illusion.cli import main
from illusion.run.folder import ANNOTATIONS
from illusion.run.folder import LABELSTUDIO as RECORD
from tests.annotations.labelstudio.test_leaks import design_words, fetch_everything, leaked
from tests.helpers.campaign import annotator_servers, pseudonyms_of, tasks_of

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]
NAMES = ("alice", "bob", "carol")


def log_in(url: str, email: str, password: str) -> str:
    """The API token an annotator gets by logging in to the web page with their password."""
    with httpx.Client(base_url=url, follow_redirects=True, timeout=60) as browser:
        browser.get("/user/login/").raise_for_status()
        browser.post(
            "/user/login/",
            data={"email": email, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            headers={"Referer": url + "/user/login/"},
        ).raise_for_status()
        return browser.get("/api/current-user/token").raise_for_status().json()["token"]


@pytest.fixture(scope="module")
def campaign_servers(server, tmp_path_factory):
    """Three annotators, each with a server of their own (started), and their logins."""
    with annotator_servers(tmp_path_factory, NAMES) as (organiser, logins, _):
        private = "".join(path.read_text() for path in organiser.iterdir())
        assert not any(password in private or email in private for email, password in logins.values())
        yield organiser, {name: log_in(seats()[name].url, *logins[name]) for name in NAMES}


def result(description):
    return [
        {"from_name": "pattern", "to_name": "sentences", "type": "choices", "value": {"choices": ["yes"]}},
        {"from_name": "description", "to_name": "sentences", "type": "textarea", "value": {"text": [description]}},
    ]


def test_each_annotator_sees_only_their_own_tasks_and_answers(campaign_servers, fresh_run, monkeypatch, capsys):
    organiser, tokens = campaign_servers
    monkeypatch.setenv("ILLUSION_ORGANISER_DIR", str(organiser))
    summary = export_campaign(fresh_run, None, None, overlap=2, annotators=list(NAMES))
    record = json.loads((fresh_run / RECORD).read_text())
    assert set(summary) == set(record["annotators"]) and not set(NAMES) & set(json.dumps(record).split('"'))

    # Every set task goes to exactly two annotators; each gets the controls in the same proportion.
    tasks = {t.set_id: t for t in tasks_of(fresh_run)["set"]}
    given, controls = Counter(), {}
    for name in NAMES:
        place = seats()[name]
        with httpx.Client(base_url=place.url, headers={"Authorization": f"Token {tokens[name]}"}) as me:
            projects = me.get("/api/projects/").raise_for_status().json()["results"]
            set_project = next(p for p in projects if p["title"].endswith("sentence sets"))
            mine = me.get(f"/api/tasks/?project={set_project['id']}").raise_for_status().json()["tasks"]
            for task in mine:  # every annotator labels all of their set tasks
                me.post(
                    "/api/tasks/{}/annotations/".format(task["id"]), json={"result": result(f"{name}-private-answer")}
                ).raise_for_status()
        shown = [t["data"]["html"] for t in mine]
        given.update(shown)
        controls[name] = sum(tasks[s].condition == "control" for s in tasks if tasks[s].data["html"] in shown)
    assert set(given.values()) == {2} and len(given) == len(tasks)
    assert max(controls.values()) - min(controls.values()) <= 1

    words = design_words(fresh_run)
    for name in NAMES:
        place, others = seats()[name], [n for n in NAMES if n != name]
        project_ids = [p["id"] for p in record["annotators"][pseudonyms_of(fresh_run)[f"seat:{name}"]]["projects"].values()]
        answers = fetch_everything(place.url, tokens[name], project_ids)
        text = "".join(answers.values())
        assert f"{name}-private-answer" in text  # their own answers, and nobody else's
        assert not any(f"{other}-private-answer" in text for other in others)
        assert not leaked(text, words)
        for other in others:  # their credentials open no other server
            with httpx.Client(base_url=seats()[other].url, headers={"Authorization": f"Token {tokens[name]}"}) as them:
                assert them.get("/api/projects/").status_code == 401
                assert them.get("/api/users/").status_code == 401

    # The organiser follows the campaign: set tasks done, pair tasks left.
    main(["campaign", "status", str(fresh_run), "--json"])
    status = json.loads(capsys.readouterr().out)
    pairs = {n: record["annotators"][p]["projects"]["pair"]["tasks"] for p, n in by_seat(fresh_run).items()}
    for pseudonym, name in by_seat(fresh_run).items():
        row = status["annotators"][pseudonym]
        assert (row["done"], row["skipped"], row["left"]) == (row["assigned"] - pairs[name], 0, pairs[name])
    assert status["pattern_alpha"]["reason"]
    assert status["last_backup"] is None  # everyone said yes: alpha is undefined, and says why

    summary = import_campaign(fresh_run)
    rows = [json.loads(line) for line in (fresh_run / ANNOTATIONS).read_text().splitlines()]
    assert summary["annotators"] == 3 and len(rows) == 2 * len(tasks)
    by_name = by_seat(fresh_run)
    for row in rows:
        assert (
            tasks[row["set_id"]].condition == row["condition"]
            and row["description"] == f"{by_name[row['annotator']]}-private-answer"
        )
    # The export snapshots `import` made are gone from every server.
    for name in NAMES:
        place = seats()[name]
        with httpx.Client(base_url=place.url, headers={"Authorization": f"Token {place.admin_key()}"}) as admin:
            for project_id in project_ids_of(record, fresh_run, name):
                assert admin.get(f"/api/projects/{project_id}/exports/").json() == []


def by_seat(run_dir):
    return {pseudonyms_of(run_dir)[f"seat:{name}"]: name for name in NAMES}


def project_ids_of(record, run_dir, name):
    return [p["id"] for p in record["annotators"][pseudonyms_of(run_dir)[f"seat:{name}"]]["projects"].values()]
