"""The chunked top-k is exact: at scale, over memory-mapped and half-precision vectors, it matches a full sort."""

from __future__ import annotations

import numpy as np
import pytest

from illusion.run.topk import ROWS_PER_CHUNK, extremes
from tests.helpers.ranking import assert_brute_force_lists_but_near_ties

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_matches_a_full_sort_over_several_chunks_of_a_memory_mapped_file(tmp_path, dtype):
    rng = np.random.default_rng(1)
    n, dim, m, k = 3 * ROWS_PER_CHUNK + 123, 64, 300, 10
    np.save(tmp_path / "v.npy", rng.standard_normal((n, dim)).astype(dtype))
    vectors = np.load(tmp_path / "v.npy", mmap_mode="r")
    directions = rng.standard_normal((m, dim)).astype(np.float32)
    found = extremes(vectors, directions, k)

    scores = directions.astype(np.float64) @ np.asarray(vectors, dtype=np.float64).T
    ranked = np.sort(scores, axis=1)
    for index, score, expected in (
        (found.top_index, found.top_score, ranked[:, ::-1][:, :k]),
        (found.bottom_index, found.bottom_score, ranked[:, :k]),
    ):
        assert index.shape == (m, k) and all(len(set(row)) == k for row in index)
        np.testing.assert_allclose(score, expected, rtol=1e-4, atol=1e-4)  # the k best values, in rank order
        np.testing.assert_allclose(np.take_along_axis(scores, index, 1), score, rtol=1e-4, atol=1e-4)  # at these rows
    assert (found.top_index == np.argsort(-scores, axis=1)[:, :k]).mean() > 0.99


def test_more_directions_than_rows_per_chunk_and_k_above_a_chunk():
    rng = np.random.default_rng(2)
    vectors, directions = rng.standard_normal((50, 8)), rng.standard_normal((40, 8))
    found = extremes(vectors, directions, 12, rows_per_chunk=5)
    scores = directions.astype(np.float32) @ vectors.astype(np.float32).T
    np.testing.assert_array_equal(found.top_index, np.argsort(-scores, axis=1, kind="stable")[:, :12])
    np.testing.assert_array_equal(found.bottom_index, np.argsort(scores, axis=1, kind="stable")[:, :12])


@pytest.mark.parametrize("rows_per_chunk", [1, 2, 100])
def test_equal_scores_rank_by_sentence_index(rows_per_chunk):
    vectors = np.array([[1.0], [2.0], [2.0], [0.0], [2.0], [0.0]], dtype=np.float32)
    found = extremes(vectors, np.array([[1.0]]), 3, rows_per_chunk=rows_per_chunk)  # no tie across the k-th place
    assert found.top_index.tolist() == [[1, 2, 4]] and found.bottom_index.tolist() == [[3, 5, 0]]


def test_screened_at_scale_matches_a_float32_brute_force(tmp_path):
    """The benchmark's shape on a subset: 384 dims, many directions, a memory-mapped store over several chunks."""
    rng = np.random.default_rng(7)
    n, dim, m, k = 5 * ROWS_PER_CHUNK + 321, 384, 2000, 10
    np.save(tmp_path / "v.npy", rng.standard_normal((n, dim), dtype=np.float32))
    vectors = np.load(tmp_path / "v.npy", mmap_mode="r")
    directions = rng.standard_normal((m, dim), dtype=np.float32)
    found = extremes(vectors, directions, k, screen=True)
    scores = directions @ np.asarray(vectors).T
    for index, order in (
        (found.top_index, np.argsort(-scores, axis=1, kind="stable")),
        (found.bottom_index, np.argsort(scores, axis=1)),
    ):
        assert assert_brute_force_lists_but_near_ties(index, order[:, :k], vectors, directions) <= 2  # of 2,000 lists
    np.testing.assert_allclose(found.top_score, np.take_along_axis(scores, found.top_index, 1), rtol=1e-5, atol=1e-4)


def test_screened_near_ties_across_chunks_follow_the_documented_rule(tmp_path):
    """Sentences planted in every chunk with scores closer than float32's rounding, at the top and bottom of many lists."""
    rng = np.random.default_rng(9)
    n, dim, m, k = 4 * ROWS_PER_CHUNK + 77, 384, 1000, 10
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    planted = rng.choice(n, 60, replace=False)  # spread over the chunks, some in the last, ragged one
    vectors[planted] = 6 * rng.standard_normal(dim, dtype=np.float32) + 1e-6 * rng.standard_normal((60, dim), dtype=np.float32)
    np.save(tmp_path / "v.npy", vectors)
    vectors = np.load(tmp_path / "v.npy", mmap_mode="r")
    directions = rng.standard_normal((m, dim), dtype=np.float32)
    found = extremes(vectors, directions, k, screen=True)
    scores = directions @ np.asarray(vectors).T
    differ = 0
    for index, order in (
        (found.top_index, np.argsort(-scores, axis=1, kind="stable")),
        (found.bottom_index, np.argsort(scores, axis=1)),
    ):
        assert np.isin(index, planted).mean() > 0.2  # the near ties do fill many lists
        differ += assert_brute_force_lists_but_near_ties(index, order[:, :k], vectors, directions)
    assert differ < 0.5 * 2 * m  # most lists are the brute force's, place by place
