"""Nothing an annotator can fetch with their own credentials names the condition or the run's design."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from illusion.annotations.labelstudio.export import export_campaign
from illusion.run.folder import LABELSTUDIO as RECORD
from tests.helpers.campaign import tasks_of

pytestmark = pytest.mark.labelstudio


def design_words(run_dir) -> set[str]:
    """What must not reach an annotator: conditions, samplers, directions, set and sentence ids, run id."""
    words = {json.loads((run_dir / "manifest.json").read_text())["run_id"]}
    for items in tasks_of(run_dir).values():
        for task in items:
            words |= {task.condition, task.set_id, *task.meta.get("sentence_ids", [])}
            words |= {task.direction} if task.direction else set()
    for line in (run_dir / "topk.jsonl").read_text().splitlines():
        words.add(json.loads(line)["sampler"])
    return words


def leaked(text: str, words: set[str]) -> set[str]:
    """The design words found in ``text`` as JSON values or whole words (not inside "control_weights")."""
    return {w for w in words if re.search(rf"(?<![\w_-]){re.escape(w)}(?![\w_-])", text)}


def fetch_everything(url: str, token: str, project_ids: list[int]) -> dict[str, str]:
    """Every answer an annotator's token gets from the endpoints that list projects, tasks, exports and users."""
    answers = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=60) as client:
        paths = ["/api/projects/", "/api/users/", "/api/current-user/whoami"]
        for pid in project_ids:
            paths += [
                f"/api/projects/{pid}/",
                f"/api/tasks/?project={pid}&fields=all",
                f"/api/projects/{pid}/export?exportType=JSON",
            ]
            tasks = client.get(f"/api/tasks/?project={pid}").json()
            paths += [f"/api/tasks/{task['id']}/" for task in tasks["tasks"]]
        for path in paths:
            answer = client.get(path)
            answers[path] = f"{answer.status_code} {answer.text}"
    return answers


def test_an_annotators_own_token_reaches_nothing_of_the_design(fresh_run, server, annotators):
    url, key = server
    export_campaign(fresh_run, url, key)
    projects = [p["id"] for p in json.loads((fresh_run / RECORD).read_text())["projects"].values()]
    words = design_words(fresh_run)
    assert {"neuron", "random", "control", "neuron:17", "control:bible:0", "bible/10"} <= words
    answers = fetch_everything(url, annotators[0].token, projects)
    assert sum(a.startswith("200") for a in answers.values()) == len(answers)  # Community shows it all...
    assert sum('"uid": "t' in a.replace('"uid":"t', '"uid": "t') for a in answers.values()) >= 3
    for path, answer in answers.items():
        assert not leaked(answer, words), (path, leaked(answer, words))  # ...but there is nothing to see
