"""Annotators at work on servers of their own: the form in Label Studio's real web page, driven by the
keyboard in Chromium, and a backup that brings every label back after the servers' data is lost."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import httpx
import pytest

from illusion.annotations.campaign.importer import import_campaign
from illusion.annotations.labelstudio.annotators import seats
from illusion.annotations.labelstudio.backend import LabelStudioBackend
from illusion.annotations.labelstudio.backup import backup_campaign, restore_campaign
from illusion.annotations.labelstudio.export import export_campaign
from illusion.annotations.labelstudio.server import launch, stop_process
from illusion.cli import main
from illusion.run.folder import ANNOTATIONS, LABELSTUDIO, TOPK
from tests.helpers.browser import chromium
from tests.helpers.campaign import annotator_servers, pseudonyms_of, tasks_of

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]
NAMES = ("alice", "bob")
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> is not math.'


@pytest.fixture(scope="module")
def servers(server, tmp_path_factory):
    """Two annotators' servers (started; a test that restarts one puts it in ``running``), their logins and organiser folder."""
    with annotator_servers(tmp_path_factory, NAMES) as (organiser, logins, running):
        yield {"organiser": organiser, "logins": logins, "running": running}


@pytest.fixture
def campaign(servers, fresh_run, monkeypatch):
    """The fixture run, with a hostile sentence, exported to both annotators (every task to each)."""
    monkeypatch.setenv("ILLUSION_ORGANISER_DIR", str(servers["organiser"]))
    topk = fresh_run / TOPK
    topk.write_text(topk.read_text().replace("<script>alert('x')</script> is not math.", HOSTILE.replace('"', '\\"')))
    assert HOSTILE in topk.read_text().replace('\\"', '"')
    export_campaign(fresh_run, None, None, overlap=2, annotators=list(NAMES))
    return fresh_run


def admin(name: str) -> httpx.Client:
    place = seats()[name]
    return httpx.Client(base_url=place.url, headers={"Authorization": f"Token {place.admin_key()}"}, timeout=60)


def projects_of(run_dir: Path, name: str) -> dict[str, int]:
    """The ids of the run's projects on the annotator's server, by task type."""
    record = json.loads((run_dir / LABELSTUDIO).read_text())
    mine = record["annotators"][pseudonyms_of(run_dir)[f"seat:{name}"]]["projects"]
    return {task_type: project["id"] for task_type, project in mine.items()}


def tasks_in(name: str, project_id: int) -> list[dict]:
    with admin(name) as client:
        return client.get(f"/api/tasks/?project={project_id}&page_size=1000").raise_for_status().json()["tasks"]


def log_in(page, url: str, email: str, password: str) -> None:
    page.goto(url + "/user/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/user/login" not in address)


def open_task(page, url: str, project_id: int, task_id: int, question: str) -> None:
    page.goto(f"{url}/projects/{project_id}/data?task={task_id}")
    page.wait_for_selector(f"text={question}")
    page.wait_for_timeout(1000)  # the editor binds its keys once the task is shown
    page.get_by_text(question).first.click()  # the keys go to the form


def test_an_annotator_labels_with_the_keyboard_and_import_gets_every_answer(servers, campaign):
    url, (email, password) = seats()["alice"].url, servers["logins"]["alice"]
    projects = projects_of(campaign, "alice")
    set_tasks, pair_tasks = (tasks_in("alice", projects[t]) for t in ("set", "pair"))
    hostile = next(t for t in set_tasks if "pwned" in t["data"]["text"])
    pair = pair_tasks[0]
    dialogs = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        log_in(page, url, email, password)

        # The task list opens on the plain-text preview and the task's state, not Label Studio's ~15 defaults.
        page.goto(f"{url}/projects/{projects['set']}/data")
        page.wait_for_selector("text=Label All Tasks")
        page.wait_for_selector(".lsf-table-head >> text=dataset")
        header = page.locator(".lsf-table-head .lsf-th-content").all_inner_texts()
        assert [column.strip() for column in header][-2:] == ["dataset", "text"] and len(header) == 5, header

        # A set: Yes, sentences 1 and 3 by their numbers, a description, a kind and confidence, all from the keyboard.
        open_task(page, url, projects["set"], hostile["id"], "Is there a pattern")
        assert HOSTILE in page.locator("p").filter(has_text="is not math").first.inner_text()  # shown as text
        assert page.evaluate("window.pwned") is None and page.locator("img[src=x]").count() == 0
        page.keyboard.press("y")
        page.keyboard.press("1")
        page.keyboard.press("3")
        page.locator("textarea").first.click()
        page.keyboard.type("numbers & <shapes>")
        page.keyboard.press("Shift+Enter")  # adds the description
        page.keyboard.press("Escape")  # back to the form's keys
        page.keyboard.press("o")
        page.keyboard.press("Control+Enter")  # no confidence yet: the form says so in the question's words
        page.wait_for_selector('text=Answer "How confident are you?"')
        page.get_by_role("button", name="OK").click()
        for _ in range(4):
            page.keyboard.press("c")
        page.keyboard.press("Control+Enter")
        page.wait_for_timeout(1500)

        # Skip the next set in the stream of tasks to label; answer a pair.
        page.goto(f"{url}/projects/{projects['set']}/data")
        page.get_by_text("Label All Tasks").click()
        page.wait_for_selector("text=Is there a pattern")
        page.get_by_role("button", name="Skip").click()
        page.wait_for_timeout(1500)
        open_task(page, url, projects["pair"], pair["id"], "Do the two sets share")
        page.keyboard.press("r")
        page.keyboard.press("Control+Enter")
        page.wait_for_timeout(1500)

        # Change the first answer: one more star, and "several concepts".
        open_task(page, url, projects["set"], hostile["id"], "Is there a pattern")
        page.keyboard.press("c")
        page.keyboard.press("s")
        page.keyboard.press("Control+Enter")  # updates the annotation
        page.wait_for_timeout(1500)
        assert page.evaluate("window.pwned") is None
    assert dialogs == []

    summary = import_campaign(campaign, LabelStudioBackend())
    rows = {row["task_uid"]: row for row in map(json.loads, (campaign / ANNOTATIONS).read_text().splitlines())}
    # Rows name the organiser's set, found here by the text the annotator was shown.
    set_ids = {task.data["text"]: task.set_id for tasks in tasks_of(campaign).values() for task in tasks}
    rows = {row["set_id"]: row for row in rows.values()}
    assert len(rows) == 2 and summary["skipped"] == 1
    entered = rows[set_ids[hostile["data"]["text"]]]
    assert {k: entered[k] for k in ("pattern", "fits", "description", "taxonomy", "confidence", "same_concept")} == {
        "pattern": "yes",
        "fits": [1, 3],
        "description": "numbers & <shapes>",
        "taxonomy": "several",
        "confidence": 5,
        "same_concept": None,
    }
    assert entered["updated_at"] > entered["created_at"] and entered["task_type"] == "set"
    answered = rows[set_ids[pair["data"]["text"]]]
    assert (answered["task_type"], answered["same_concept"], answered["pattern"]) == ("pair", "related", None)


def test_a_backup_brings_every_label_back_after_the_servers_data_is_lost(servers, campaign, tmp_path, capsys):
    for name in NAMES:  # each annotator answers every set through their own API
        with admin(name) as client:
            token = client.get("/api/current-user/token").raise_for_status().json()["token"]
        with httpx.Client(base_url=seats()[name].url, headers={"Authorization": f"Token {token}"}, timeout=60) as me:
            for task in tasks_in(name, projects_of(campaign, name)["set"]):
                result = [{"from_name": "pattern", "to_name": "sentences", "type": "choices", "value": {"choices": ["no"]}}]
                me.post(f"/api/tasks/{task['id']}/annotations/", json={"result": result}).raise_for_status()
    import_campaign(campaign, LabelStudioBackend())
    labels = (campaign / ANNOTATIONS).read_bytes()
    done = backup_campaign(campaign, tmp_path / "campaign.tar.gz")  # while the servers run

    places = seats()
    for server in servers["running"].values():
        stop_process(server.process.pid)
    shutil.rmtree(servers["organiser"])
    for place in places.values():
        shutil.rmtree(place.data_dir)
    (campaign / ANNOTATIONS).unlink()

    restore_campaign(done["archive"])
    for name, place in seats().items():
        assert place == places[name]
        servers["running"][name] = launch(
            Path(os.environ["ILLUSION_LS_VENV"]) / "bin" / "label-studio", place.data_dir, place.port
        )
    import_campaign(campaign, LabelStudioBackend())
    assert hashlib.sha256((campaign / ANNOTATIONS).read_bytes()).digest() == hashlib.sha256(labels).digest()
    main(["campaign", "status", str(campaign)])
    assert f"last backup: {done['at'][:16].replace('T', ' ')} UTC" in " ".join(capsys.readouterr().out.split())
