"""Anisotropy against brute force over all pairs, and the variance share of dataset identity."""

import numpy as np
import pytest

from illusion.diagnostics.anisotropy import anisotropy


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_mean_cosines_match_all_pairs():
    rng = np.random.default_rng(0)
    vectors = {
        "a": (rng.standard_normal((40, 6)) + [2, 0, 0, 0, 0, 0]).astype(np.float32),
        "b": (rng.standard_normal((30, 6)) + [0, 2, 0, 0, 0, 0]).astype(np.float32),
    }
    result = anisotropy(vectors, rows_per_chunk=7)
    cos = {(p, q): unit(vectors[p]) @ unit(vectors[q]).T for p in vectors for q in vectors}
    within_a = cos["a", "a"][~np.eye(40, dtype=bool)]
    within_b = cos["b", "b"][~np.eye(30, dtype=bool)]
    assert result["mean_cosine"][0][0] == pytest.approx(within_a.mean(), abs=1e-5)
    assert result["mean_cosine"][0][1] == pytest.approx(cos["a", "b"].mean(), abs=1e-5) == result["mean_cosine"][1][0]
    assert result["within"] == pytest.approx(np.concatenate([within_a, within_b]).mean(), abs=1e-6)
    assert result["between"] == pytest.approx(cos["a", "b"].mean(), abs=1e-6)
    everything = unit(np.concatenate(list(vectors.values())))
    pairs = everything @ everything.T
    assert result["overall"] == pytest.approx(pairs[~np.eye(70, dtype=bool)].mean(), abs=1e-6)
    assert result["labels"] == ["a", "b"]


def test_variance_share_of_dataset_identity():
    rng = np.random.default_rng(1)
    same = {"a": rng.standard_normal((2000, 4)), "b": rng.standard_normal((2000, 4))}
    apart = {"a": rng.standard_normal((2000, 4)) + 10, "b": rng.standard_normal((2000, 4)) - 10}
    assert anisotropy(same)["dataset_variance_share"] < 0.01
    assert anisotropy(apart)["dataset_variance_share"] > 0.95
    x = np.concatenate(list(apart.values()))
    between = sum(len(v) * ((v.mean(0) - x.mean(0)) ** 2).sum() for v in apart.values())
    assert anisotropy(apart)["dataset_variance_share"] == pytest.approx(between / ((x - x.mean(0)) ** 2).sum())


def test_one_dataset_has_no_between():
    result = anisotropy({"only": np.eye(3)})
    assert result["between"] is None and result["mean_cosine"] == [[0.0]] and result["dataset_variance_share"] == 0.0
