"""Independent annotators: each on a Label Studio server of their own, reached with their own login."""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from illusion.annotations.campaign.importer import import_campaign
from illusion.annotations.campaign.private import load_private
from illusion.annotations.campaign.tasks import load_campaign_run
from illusion.annotations.labelstudio.annotators import seats
from illusion.annotations.labelstudio.backend import LabelStudioBackend
from illusion.annotations.labelstudio.export import export_campaign
from illusion.annotations.labelstudio.project import campaign_tag
from illusion.annotations.labelstudio.server import free_port
from illusion.cli import main
from illusion.run.folder import ANNOTATIONS
from illusion.run.folder import LABELSTUDIO as RECORD
from tests.annotations.labelstudio.test_leaks import design_words, fetch_everything, leaked
from tests.helpers.campaign import annotator_servers, pseudonyms_of, tasks_of

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]
NAMES = ("alice", "bob", "carol")


@contextmanager
def logged_in(url: str, email: str, password: str) -> Iterator[httpx.Client]:
    """A browser session of an annotator who logged in to the web page with their password."""
    with httpx.Client(base_url=url, follow_redirects=True, timeout=60) as browser:
        browser.get("/user/login/").raise_for_status()
        browser.post(
            "/user/login/",
            data={"email": email, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            headers={"Referer": url + "/user/login/"},
        ).raise_for_status()
        yield browser


def log_in(url: str, email: str, password: str) -> str:
    """The API token an annotator gets by logging in to the web page with their password."""
    with logged_in(url, email, password) as browser:
        return browser.get("/api/current-user/token").raise_for_status().json()["token"]


@pytest.fixture(scope="module")
def campaign_servers(tmp_path_factory):
    """Three annotators, each with a server of their own (started), and their API tokens; the organiser's shell
    exports a SECRET_KEY, which must not reach the servers."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SECRET_KEY", "one-key-in-the-organisers-shell")
        with annotator_servers(tmp_path_factory, NAMES) as (organiser, logins, _):
            private = "".join(path.read_text() for path in organiser.iterdir())
            assert not any(password in private or email in private for email, password in logins.values())
            yield organiser, {name: log_in(seats()[name].url, *logins[name]) for name in NAMES}


def result(description):
    return [
        {"from_name": "pattern", "to_name": "sentences", "type": "choices", "value": {"choices": ["yes"]}},
        {"from_name": "description", "to_name": "sentences", "type": "textarea", "value": {"text": [description]}},
    ]


def credentials(url: str, email: str, password: str) -> dict[str, Callable[[str, str], int]]:
    """Every credential an annotator can mint on her own server, each as a call that uses it at
    ``(server, API path)`` and gives the status: her session cookie, her legacy API token, her
    personal access token (a refresh token, used by refreshing it) and an access token refreshed from it."""
    with logged_in(url, email, password) as browser:
        legacy = browser.get("/api/current-user/token").raise_for_status().json()["token"]
        cookie = f"sessionid={browser.cookies['sessionid']}"
        csrf = {"X-CSRFToken": browser.cookies["csrftoken"], "Referer": url}
        personal = browser.post("/api/token/", headers=csrf).raise_for_status().json()["token"]
    access = httpx.post(f"{url}/api/token/refresh/", json={"refresh": personal}, timeout=60).raise_for_status().json()["access"]

    def sent(headers: dict[str, str]) -> Callable[[str, str], int]:
        return lambda server, path: httpx.get(f"{server}{path}", headers=headers, timeout=60).status_code

    def refreshed(server: str, path: str) -> int:
        return httpx.post(f"{server}/api/token/refresh/", json={"refresh": personal}, timeout=60).status_code

    return {
        "session cookie": sent({"Cookie": cookie}),
        "legacy token": sent({"Authorization": f"Token {legacy}"}),
        "personal access token": refreshed,
        "refreshed access token": sent({"Authorization": f"Bearer {access}"}),
    }


@pytest.mark.parametrize("secret_key", [None, "one-key-in-the-organisers-shell"], ids=["SECRET_KEY unset", "SECRET_KEY set"])
def test_no_credential_an_annotator_mints_opens_another_annotators_server(secret_key, tmp_path_factory, monkeypatch):
    if secret_key:
        monkeypatch.setenv("SECRET_KEY", secret_key)
    else:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    with annotator_servers(tmp_path_factory, ("ann", "ben")) as (organiser, logins, _):
        monkeypatch.setenv("ILLUSION_ORGANISER_DIR", str(organiser))
        places = seats()
        # Each server has a signing key, an admin password and an API token of its own, in files only the organiser reads.
        keys = {(p.data_dir / ".env").read_text() for p in places.values()}
        template = json.loads(
            (Path(os.environ["ILLUSION_LS_VENV"]) / "illusion-data-template" / "illusion-login.json").read_text()
        )
        admin = {name: json.loads((p.data_dir / "illusion-login.json").read_text()) for name, p in places.items()}
        assert len(keys) == 2 and not any(secret_key and secret_key in key for key in keys)
        for field in ("password", "api_key"):
            assert len({login[field] for login in admin.values()} | {template[field]}) == 3, field
        for name, other in (("ann", "ben"), ("ben", "ann")):  # one server's admin token opens no other
            headers = {"Authorization": f"Token {admin[name]['api_key']}"}
            assert httpx.get(f"{places[other].url}/api/projects/", headers=headers, timeout=60).status_code == 401
        for path in [
            organiser / "annotators.json",
            *(p.data_dir / f for p in places.values() for f in (".env", "illusion-login.json")),
        ]:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        for name, other in (("ann", "ben"), ("ben", "ann")):
            own, theirs = places[name].url, places[other].url
            for kind, use in credentials(own, *logins[name]).items():
                assert use(own, "/api/projects/") == 200, kind
                for path in ("/api/projects/", "/api/users/", "/api/projects/1/export?exportType=JSON"):
                    assert use(theirs, path) == 401, (kind, path)


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

    summary = import_campaign(fresh_run, LabelStudioBackend())
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


def campaign_on_servers(run_dir):
    """Per annotator, the uids of the campaign's tasks on their server, by project id."""
    from label_studio_sdk import LabelStudio

    tag = campaign_tag(load_private(load_campaign_run(run_dir).run_id))
    found = {}
    for name in NAMES:
        place = seats()[name]
        admin = LabelStudio(base_url=place.url, api_key=place.admin_key())
        for project in admin.projects.list():
            if tag in (project.description or ""):
                found[name, project.id] = sorted(t.data["uid"] for t in admin.tasks.list(project=project.id))
    return found


def test_export_checks_everything_before_it_changes_anything(campaign_servers, fresh_run, monkeypatch, capsys):
    organiser, _ = campaign_servers
    monkeypatch.setenv("ILLUSION_ORGANISER_DIR", str(organiser))
    everyone = [arg for name in NAMES for arg in ("--annotator", name)]
    main(["export", str(fresh_run), *everyone])
    before, record = campaign_on_servers(fresh_run), (fresh_run / RECORD).read_text()
    registry = organiser / "annotators.json"
    private = {path: path.read_text() for path in organiser.iterdir() if path != registry}
    listed = registry.read_text()
    down = dict(json.loads(listed), erin={"data_dir": str(seats()["carol"].data_dir), "port": free_port()})
    registry.write_text(json.dumps(down))  # an annotator whose server is not running
    try:
        for args, message in [
            (["--annotator", "alice", "--annotator", "dave"], "no annotator 'dave' (known: alice, bob, carol, erin)"),
            (
                ["--annotator", "alice", "--annotator", "bob"],
                "the campaign's annotators are alice, bob, carol with overlap 2; --annotator gives alice, bob with "
                "overlap 2: pass the recorded list, or add --reassign",
            ),
            ([*everyone, "--overlap", "3"], "--annotator gives alice, bob, carol with overlap 3"),
            ([*everyone, "--overlap", "4", "--reassign"], "--overlap 4 needs at least 4 annotators, and there are 3"),
            ([*everyone, "--annotator", "erin", "--reassign"], f"cannot reach Label Studio at {seats()['erin'].url}"),
        ]:
            with pytest.raises(SystemExit):
                main(["export", str(fresh_run), *args])
            assert message in capsys.readouterr().err
            assert campaign_on_servers(fresh_run) == before and (fresh_run / RECORD).read_text() == record
            assert {path: path.read_text() for path in organiser.iterdir() if path != registry} == private
    finally:
        registry.write_text(listed)


def test_reassign_withdraws_unanswered_tasks_and_keeps_every_answer(campaign_servers, fresh_run, monkeypatch, capsys):
    organiser, _ = campaign_servers
    monkeypatch.setenv("ILLUSION_ORGANISER_DIR", str(organiser))
    export_campaign(fresh_run, None, None, overlap=2, annotators=list(NAMES))
    carol = seats()["carol"]
    with httpx.Client(base_url=carol.url, headers={"Authorization": f"Token {carol.admin_key()}"}) as admin:
        project = json.loads((fresh_run / RECORD).read_text())["annotators"][by_name(fresh_run)["carol"]]["projects"]["set"]
        answered = admin.get(f"/api/tasks/?project={project['id']}").raise_for_status().json()["tasks"][:2]
        for task in answered:
            admin.post(f"/api/tasks/{task['id']}/annotations/", json={"result": result("carol-answer")}).raise_for_status()

    main(["export", str(fresh_run), "--annotator", "alice", "--annotator", "bob", "--reassign"])
    out = capsys.readouterr().out
    assert f"set tasks: project {project['id']} at {by_name(fresh_run)['carol']}'s server, 0 added, " in out
    assert ", 2 answered kept, 2 in all" in out
    on_servers = campaign_on_servers(fresh_run)
    for name in ("alice", "bob"):  # overlap 2 of 2: both have every task now
        assert sorted(len(uids) for (who, _), uids in on_servers.items() if who == name) == [3, 6]
    assert sorted(len(uids) for (who, _), uids in on_servers.items() if who == "carol") == [0, 2]

    import_campaign(fresh_run, LabelStudioBackend())
    rows = [json.loads(line) for line in (fresh_run / ANNOTATIONS).read_text().splitlines()]
    assert [row["description"] for row in rows if row["annotator"] == by_name(fresh_run)["carol"]] == ["carol-answer"] * 2


def test_a_lost_record_is_taken_up_again_on_every_annotators_server(campaign_servers, fresh_run, monkeypatch):
    organiser, tokens = campaign_servers
    monkeypatch.setenv("ILLUSION_ORGANISER_DIR", str(organiser))
    export_campaign(fresh_run, None, None, overlap=2, annotators=list(NAMES), attention=1)
    record = json.loads((fresh_run / RECORD).read_text())
    alice = seats()["alice"]
    with httpx.Client(base_url=alice.url, headers={"Authorization": f"Token {tokens['alice']}"}) as me:
        project = record["annotators"][by_name(fresh_run)["alice"]]["projects"]["set"]
        for task in me.get(f"/api/tasks/?project={project['id']}").raise_for_status().json()["tasks"]:
            me.post(f"/api/tasks/{task['id']}/annotations/", json={"result": result("alice-answer")}).raise_for_status()
    assert import_campaign(fresh_run, LabelStudioBackend())["annotations"] == 4  # her sets; the attention check is not data
    labels, before = (fresh_run / ANNOTATIONS).read_text(), campaign_on_servers(fresh_run)

    (fresh_run / RECORD).unlink()
    main(["export", str(fresh_run)])  # the recorded annotators, from the organiser's private file
    assert campaign_on_servers(fresh_run) == before  # no duplicate projects, no task more or less
    again = json.loads((fresh_run / RECORD).read_text())
    assert {k: again[k] for k in ("annotators", "attention", "overlap", "roster")} == {
        k: record[k] for k in ("annotators", "attention", "overlap", "roster")
    }
    changes = import_campaign(fresh_run, LabelStudioBackend())["changes"]
    assert (fresh_run / ANNOTATIONS).read_text() == labels and changes == {"before": 4, "added": 0, "removed": 0, "changed": 0}


def by_name(run_dir):
    return {name: pseudonym for pseudonym, name in by_seat(run_dir).items()}
