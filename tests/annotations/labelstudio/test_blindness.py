"""Blind by measurement: a classifier given everything an annotator sees of a set task cannot tell
control sets from real ones (cross-validated AUROC <= 0.6), on the default run and another seed."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from illusion.run.config import load_config
from illusion.run.pipeline import run
from tests.helpers.campaign import tasks_of

pytestmark = pytest.mark.slow

SENTENCE = re.compile(r"<p><b>\d+\.</b> (.*?)</p>", re.S)
MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
MAX_AUROC = 0.6


def visible_features(page: str) -> list[float]:
    """What an annotator can see of a set task's sentences and marks, as numbers."""
    sentences = SENTENCE.findall(page)
    lengths, marked, partial, punctuation, position, first = [], [], 0, 0, [], 0
    for shown in sentences:
        text = html.unescape(MARK.sub(r"\1", shown))
        lengths.append(len(text))
        mark = MARK.search(shown)
        if not mark:
            continue
        before, inner, after = (html.unescape(part) for part in (shown[: mark.start()], mark.group(1), shown[mark.end() :]))
        marked.append(len(inner))
        position.append(len(before) / len(text))
        partial += bool(before[-1:].isalnum() or after[:1].isalnum())
        punctuation += not any(c.isalnum() for c in inner)
        first += not before.strip()
    n = max(len(marked), 1)
    return [
        len(marked),
        float(np.mean(marked)) if marked else 0.0,
        partial / n,
        punctuation / n,
        float(np.mean(position)) if position else 0.0,
        first / n,
        float(np.mean(lengths)),
        float(np.std(lengths)),
        len(sentences),
        len(page),
        page.count("<"),
    ]


def auroc(features: np.ndarray, is_control: np.ndarray, classifier) -> float:
    """Out-of-fold AUROC, averaged over five shuffles of a stratified 5-fold split."""
    scores = []
    for repeat in range(5):
        folds = StratifiedKFold(5, shuffle=True, random_state=repeat)
        proba = cross_val_predict(classifier, features, is_control, cv=folds, method="predict_proba")[:, 1]
        scores.append(roc_auc_score(is_control, proba))
    return float(np.mean(scores))


CLASSIFIERS = {
    "logistic regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    "random forest": lambda: RandomForestClassifier(100, min_samples_leaf=3, random_state=0),
}


@pytest.fixture(scope="session", params=[0, 1], ids=["default-run", "seed-1"])
def default_run(request, tmp_path_factory):
    """The embedded default run (no diagnostics), once per seed and session."""
    out = tmp_path_factory.mktemp(f"default-run-{request.param}") / "run"
    run(load_config(None, [f"seed={request.param}", "diagnostics=false"]), out)
    return out


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_marks_do_not_tell_controls_from_real_sets(default_run, name):
    tasks = tasks_of(default_run)["set"]
    features = np.array([visible_features(task.data["html"]) for task in tasks])
    is_control = np.array([task.direction is None for task in tasks])
    assert 20 <= is_control.sum() < len(tasks)
    assert auroc(features, is_control, CLASSIFIERS[name]()) <= MAX_AUROC


def test_every_mark_is_a_whole_word(default_run):
    for task in tasks_of(default_run)["set"]:
        for shown in SENTENCE.findall(task.data["html"]):
            mark = MARK.search(shown)
            if mark:
                before, inner, after = shown[: mark.start()], mark.group(1), shown[mark.end() :]
                assert re.fullmatch(r"\w+", inner) and not before[-1:].isalnum() and not after[:1].isalnum()
