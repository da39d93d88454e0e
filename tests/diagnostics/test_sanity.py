"""Sanity checks on constructed vectors: near-constant and constant dimensions, anisotropy, duplicates, small data."""

import numpy as np
import pytest

from illusion.diagnostics.anisotropy import anisotropy
from illusion.diagnostics.sanity import checks, dimension_spread, duplicates, sanity
from illusion.run.schema import Separability

WORDS = {"word_list": [f"w{i}" for i in range(40)], "min_count": 10}
CLASSIFIER = Separability(labels=["a", "b"], accuracy=0.9, test_size=500, chance=0.5, confusion=None)


def fired(vectors, directions=None, ids=None, roles=None, k=10, monotonicity=WORDS, classifier=CLASSIFIER):
    dim = next(iter(vectors.values())).shape[1]
    directions = np.eye(dim)[:3] if directions is None else directions
    ids = ids or [f"neuron:{i}" for i in range(len(directions))]
    result = sanity(vectors, directions, ids, roles or {"neuron": "candidate"}, k, anisotropy(vectors), monotonicity, classifier)
    return result, {c["check"]: c for c in result["checks"]}


def test_healthy_vectors_raise_nothing():
    rng = np.random.default_rng(0)
    result, found = fired({"a": rng.standard_normal((500, 16)), "b": rng.standard_normal((400, 16)) + 0.2})
    assert found == {} and result["duplicates"] == {} and result["dimensions"]["constant"] == []


def test_vectors_that_barely_vary_are_flagged_with_their_spread():
    rng = np.random.default_rng(1)
    offset = rng.standard_normal(16) * 5
    vectors = {name: offset + 0.001 * rng.standard_normal((300, 16)) for name in ("a", "b")}
    result, found = fired(vectors)
    spread = result["dimensions"]
    pooled = np.concatenate(list(vectors.values()))
    assert spread["median_std"] == pytest.approx(np.median(pooled.std(axis=0)), rel=1e-6)
    assert spread["relative_spread"] == pytest.approx(
        np.sqrt((pooled.std(axis=0) ** 2).sum()) / np.linalg.norm(pooled, axis=1).mean()
    )
    assert found["near-constant vectors"]["severity"] == "warning" and "extreme anisotropy" in found


def test_constant_dimensions_are_counted():
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((400, 8))
    vectors[:, [2, 5]] = 3.0
    assert dimension_spread({"a": vectors})["constant"] == [2, 5]
    assert "2 of 8 dimensions" in fired({"a": vectors})[1]["constant dimensions"]["message"]


def test_duplicates_map_to_the_first_of_them_sign_ignored():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((3, 10))
    directions = np.concatenate([base, [-base[1]], [base[0] + 0.001 * rng.standard_normal(10)]])
    ids = ["a", "b", "c", "d", "e"]
    assert duplicates(directions, ids) == {"d": "b", "e": "a"}
    result, found = fired({"x": rng.standard_normal((300, 10))}, directions, ids)
    assert result["duplicates"] == {"d": "b", "e": "a"} and "d = b" in found["duplicate directions"]["message"]


def test_small_datasets_few_words_and_small_tests_have_reasons():
    found = checks(
        {"relative_spread": 1.0, "constant": [], "median_std": 1.0},
        {"overall": 0.1},
        {},
        {"big": 5000, "tiny": 60},
        10,
        {"word_list": ["the", "a", "of", "war"], "min_count": 100},
        CLASSIFIER.model_copy(update={"accuracy": 0.8, "test_size": 30}),
        {"contrast": "dataset-level", "random": "baseline"},
        8,
    )
    by_check = {c["check"]: c["message"] for c in found}
    assert "tiny (17%)" in by_check["small datasets"] and "big" not in by_check["small datasets"]
    assert "4 words (3 of them stop words)" in by_check["few monotonicity words"]
    assert "30 sentences: accuracy 95% interval" in by_check["small classifier test"]
    assert by_check["dataset-level directions"].startswith("contrast:")
