"""Outliers on constructed data: far-out sentences that fill the top slots, and findings that change without them."""

import numpy as np
import pytest

from illusion.diagnostics.outliers import Rows, distances_from_mean, findings_without, most_distant, outliers, slot_shares
from illusion.run import stats
from illusion.run.topk import extremes


def test_distances_from_mean_streamed():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((101, 5)).astype(np.float32) + 3
    expected = np.linalg.norm(vectors - vectors.mean(axis=0), axis=1)
    np.testing.assert_allclose(distances_from_mean(vectors, rows_per_chunk=10), expected, rtol=1e-5)


def test_slot_shares_count_distinct_sentences_and_far_ones():
    distance = np.arange(200, dtype=float)  # sentence 199 is the most distant 1%, 180..199 the most distant 10%
    top = np.array([[199, 1, 2], [199, 1, 185]])
    shares = slot_shares(top, distance, (0.01, 0.1))
    assert shares == {"slots": 6, "distinct": 4, "share": {"0.01": pytest.approx(2 / 6), "0.1": pytest.approx(3 / 6)}}
    assert most_distant(np.arange(10.0), 0.01).tolist() == [9]  # at least one


def test_rows_reads_a_subset_by_slices():
    matrix = np.arange(20).reshape(10, 2)
    rows = Rows(matrix, [1, 4, 9])
    assert len(rows) == 3 and rows[0:2].tolist() == [[2, 3], [8, 9]] and rows[2:5].tolist() == [[18, 19]]


def test_outliers_fill_the_slots_and_removing_them_restores_overlap():
    rng = np.random.default_rng(1)
    dim = 8
    far = 40 * rng.standard_normal((10, dim))
    vectors = {
        "a": np.concatenate([rng.standard_normal((990, dim)), far]).astype(np.float32),
        "b": rng.standard_normal((1000, dim)).astype(np.float32),
    }
    directions = np.eye(dim, dtype=np.float32)
    ids, conditions = [f"neuron:{i}" for i in range(dim)], ["neuron"] * dim
    found = {n: extremes(v, directions, 5) for n, v in vectors.items()}
    overall = stats.summarise_by_condition(
        stats.direction_findings({n: (f.top_index, f.top_score) for n, f in found.items()}, ids, conditions, 5)
    )
    result = outliers(vectors, {n: f.top_index for n, f in found.items()}, directions, ids, conditions, 5, overall)
    a, b = result["per_dataset"]["a"], result["per_dataset"]["b"]
    assert a["by_condition"]["neuron"]["share"]["0.01"] > 0.5 and b["by_condition"]["neuron"]["share"]["0.01"] < 0.2
    assert a["all_neurons"] == a["by_condition"]["neuron"]  # the run's directions are every neuron here
    assert a["by_condition"]["neuron"]["slots"] == 40 and a["sentences"] == 1000
    findings = result["findings"]
    assert set(findings) == {"all", "without 1%", "without 10%"}
    assert findings["all"]["neuron"]["range_overlap_share"] < 0.5
    assert findings["without 1%"]["neuron"]["range_overlap_share"] >= 0.5 + findings["all"]["neuron"]["range_overlap_share"]


def test_findings_without_nothing_match_the_full_top_k():
    rng = np.random.default_rng(2)
    vectors = {"a": rng.standard_normal((50, 4)).astype(np.float32), "b": rng.standard_normal((60, 4)).astype(np.float32) + 1}
    directions = np.eye(4, dtype=np.float32)
    full = findings_without(vectors, {}, directions, list("wxyz"), ["c"] * 4, 3)
    found = {n: extremes(v, directions, 3) for n, v in vectors.items()}
    top = {n: (f.top_index, f.top_score) for n, f in found.items()}
    assert full == stats.summarise_by_condition(stats.direction_findings(top, list("wxyz"), ["c"] * 4, 3))
    assert full["c"].directions == 4 and 0 <= full["c"].range_overlap_share <= 1
    removed = findings_without(vectors, {"b": np.arange(60)[:57]}, directions, list("wxyz"), ["c"] * 4, 3)
    assert removed != full
