"""Locality on constructed clusters: a top-k set that is one cluster is local, one spread over clusters is not."""

import numpy as np
import pytest

from illusion.diagnostics.locality import histogram_similarity, locality, nearest_neighbours
from illusion.run.topk import extremes


def test_histogram_similarity_is_sum_of_minima_over_sum_of_maxima():
    assert histogram_similarity([1, 2, 3], [2, 4, 6]) == 1.0  # scaled first
    assert histogram_similarity([1, 0], [0, 5]) == 0.0
    assert histogram_similarity([1, 1, 0], [0, 1, 1]) == pytest.approx(1 / 3)
    assert histogram_similarity([0, 0], [1, 1]) == 0.0


@pytest.mark.parametrize("rows_per_chunk", [7, 64, 10000])
def test_nearest_neighbours_match_a_brute_force_search(rows_per_chunk):
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((300, 8)).astype(np.float32)
    rows = np.array([0, 5, 77, 299])
    found = nearest_neighbours(vectors, rows, 4, rows_per_chunk)
    expected = NearestNeighbors(n_neighbors=5).fit(vectors).kneighbors(vectors[rows], return_distance=False)[:, 1:]
    assert found.tolist() == expected.tolist()
    assert not any(r in f for r, f in zip(rows, found))


def clustered(rng, clusters=50, size=10, dim=20, radius=3.0, noise=0.3):
    """Tight clusters whose centres lie in dimensions 2.. except cluster 0's, which lies along dimension 0."""
    centres = rng.standard_normal((clusters, dim))
    centres[:, :2] = 0
    centres[0] = 0
    centres[0, 0] = 1
    centres = radius * centres / np.linalg.norm(centres, axis=1, keepdims=True)
    return (np.repeat(centres, size, axis=0) + noise * rng.standard_normal((clusters * size, dim))).astype(np.float32)


def test_a_cluster_is_local_and_a_spread_set_is_not():
    rng = np.random.default_rng(1)
    vectors = {"d": clustered(rng)}
    directions = np.eye(20, dtype=np.float32)[:2]  # dimension 0 picks cluster 0; dimension 1 picks noise
    top = {"d": extremes(vectors["d"], directions, 10).top_index}
    assert set(top["d"][0]) == set(range(10))
    result = locality(vectors, top, ["cluster", "spread"], ["c", "c"], seed=0, queries=200)
    cluster, spread = result["directions"]["cluster"], result["directions"]["spread"]
    assert cluster["score"] > 0.3 and spread["score"] < 0.05
    assert spread["random_similarity"] > cluster["random_similarity"]
    assert result["by_condition"]["c"]["score"] == pytest.approx((cluster["score"] + spread["score"]) / 2)


def test_locality_is_deterministic_for_a_seed():
    rng = np.random.default_rng(2)
    vectors = {"a": clustered(rng, clusters=20), "b": clustered(rng, clusters=20)}
    directions = rng.standard_normal((3, 20)).astype(np.float32)
    top = {n: extremes(v, directions, 5).top_index for n, v in vectors.items()}
    args = (vectors, top, ["x", "y", "z"], ["r", "r", "r"])
    assert locality(*args, seed=3, queries=50) == locality(*args, seed=3, queries=50)
    assert set(locality(*args, seed=3, queries=50)["directions"]["x"]["per_dataset"]) == {"a", "b"}
