import numpy as np
import pytest

from illusion.run.topk import extremes


@pytest.mark.parametrize("rows_per_chunk", [1, 7, 1000, 100000])
def test_matches_a_full_sort(rows_per_chunk):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3000, 16)).astype(np.float32)
    directions = rng.standard_normal((9, 16)).astype(np.float32)
    found = extremes(vectors, directions, 10, rows_per_chunk=rows_per_chunk)
    scores = directions @ vectors.T
    assert (found.top_index == np.argsort(-scores, axis=1)[:, :10]).all()
    assert (found.bottom_index == np.argsort(scores, axis=1)[:, :10]).all()
    np.testing.assert_allclose(found.top_score, np.sort(scores, axis=1)[:, ::-1][:, :10], rtol=1e-5)
    assert (np.diff(found.top_score, axis=1) <= 0).all() and (np.diff(found.bottom_score, axis=1) >= 0).all()


def test_k_larger_than_the_data_gives_everything_ranked():
    vectors = np.array([[1.0], [3.0], [2.0]], dtype=np.float32)
    found = extremes(vectors, np.array([[1.0]]), 10)
    assert found.top_index.tolist() == [[1, 2, 0]] and found.bottom_index.tolist() == [[0, 2, 1]]
