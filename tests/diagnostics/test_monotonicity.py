"""Monotonicity on constructed data: known monotone words, a direction monotone in one dataset only, the chance rate."""

import numpy as np
import pytest
from scipy import sparse

from illusion.diagnostics.monotonicity import chance, monotone_signs, monotonicity, shuffled_share, subset_shares, word_counts


def test_rising_falling_and_flat_words_get_their_sign():
    n = 100
    scores = np.arange(n, dtype=np.float32)[:, None]  # sentence i is in quintile i // 20
    quintile = np.arange(n) // 20
    counts = sparse.csr_matrix(np.stack([quintile + 1, 5 - quintile, np.ones(n), (quintile == 2) * 3.0], axis=1))
    totals = np.full(n, 10.0)
    assert monotone_signs(scores, counts, totals).tolist() == [[1, -1, 0, 0]]


def test_frequency_is_relative_to_the_words_of_the_quintile():
    n = 100
    quintile = np.arange(n) // 20
    counts = sparse.csr_matrix((quintile + 1.0)[:, None])  # occurrences rise ...
    totals = (quintile + 1.0) ** 2  # ... but the sentences grow longer faster
    assert monotone_signs(np.arange(n, dtype=np.float32)[:, None], counts, totals).tolist() == [[-1]]


def test_directions_are_ranked_independently():
    n = 50
    quintile = np.arange(n) // 10
    counts = sparse.csr_matrix((quintile + 1.0)[:, None])
    scores = np.stack([np.arange(n), -np.arange(n)], axis=1).astype(np.float32)
    assert monotone_signs(scores, counts, np.ones(n)).tolist() == [[1], [-1]]


def test_word_counts_keep_words_frequent_in_every_dataset():
    words, counts, totals = word_counts({"a": ["The cat, the cat.", "a dog"], "b": ["the THE cat", "dog cat"]}, 2)
    assert words == ["cat", "the"]  # 'dog' occurs once in a
    assert counts["a"].toarray().tolist() == [[2, 2], [0, 0]] and totals["b"].tolist() == [3, 2]


def test_subset_shares_against_chance():
    monotone = np.zeros((3, 10, 10), dtype=bool)
    monotone[0, :5] = True  # half the pairs in dataset 0
    monotone[1, :2] = True  # a fifth in dataset 1, all also in dataset 0
    rows = subset_shares(monotone)
    assert [r["datasets"] for r in rows] == [1, 2, 3]
    assert rows[0]["max"] == 0.5 and rows[0]["min"] == 0.0 and rows[0]["mean"] == pytest.approx(0.7 / 3)
    assert rows[1]["max"] == 0.2 and rows[2]["mean"] == 0.0
    assert rows[1]["chance"] == pytest.approx((2 / 120) ** 2) and chance() == pytest.approx(1 / 60)


def _constructed(rng, n, words, rising_with):
    """Sentences of filler words; 'marker' appears more often the higher ``rising_with`` (None: at random)."""
    texts = []
    for i in range(n):
        p = 0.1 + 0.8 * rising_with[i] if rising_with is not None else 0.5
        extra = ["marker"] * int(rng.random() < p)
        texts.append(" ".join(list(rng.choice(words, size=8)) + extra))
    return texts


def test_a_direction_monotone_in_one_dataset_only():
    rng = np.random.default_rng(0)
    n, dim = 1000, 4
    vectors = {name: rng.standard_normal((n, dim)).astype(np.float32) for name in ("a", "b")}
    along = vectors["a"][:, 0]
    rank = np.argsort(np.argsort(along)) / (n - 1)
    texts = {"a": _constructed(rng, n, ["x", "y", "z"], rank), "b": _constructed(rng, n, ["x", "y", "z"], None)}
    directions = np.eye(dim, dtype=np.float32)[:2]
    result = monotonicity(vectors, texts, directions, ["neuron:0", "neuron:1"], ["neuron", "neuron"], min_count=50, seed=0)
    assert result["words"] == 4 and "marker" in result["word_list"]
    assert result["directions"]["neuron:0"]["monotone_words"] >= 1
    assert result["directions"]["neuron:0"]["shared_words"] == 0 and result["directions"]["neuron:0"]["consistency"] == 0.0
    assert result["top_words"][0]["word"] == "marker"
    by_size = result["by_condition"]["neuron"]["in_datasets"]
    assert by_size[0]["max"] >= 1 / 8 and by_size[1]["mean"] == 0.0  # 'marker' along neuron 0 in a: one of 8 pairs


def test_a_direction_monotone_in_both_datasets_is_consistent():
    rng = np.random.default_rng(1)
    n = 1000
    vectors, texts = {}, {}
    for name in ("a", "b"):
        vectors[name] = rng.standard_normal((n, 3)).astype(np.float32)
        rank = np.argsort(np.argsort(vectors[name][:, 0])) / (n - 1)
        texts[name] = _constructed(rng, n, ["x", "y"], rank)
    result = monotonicity(vectors, texts, np.eye(3, dtype=np.float32)[:1], ["d"], ["c"], min_count=50, seed=0)
    assert result["directions"]["d"]["shared_words"] >= 1 and result["directions"]["d"]["consistency"] > 0


def test_chance_rate_under_the_null_is_two_over_five_factorial():
    rng = np.random.default_rng(2)
    n, directions, words = 5000, 64, 50
    counts = sparse.csr_matrix(rng.poisson(0.5, size=(n, words)).astype(np.float32))
    totals = np.full(n, 40.0)
    signs = monotone_signs(rng.standard_normal((n, directions)).astype(np.float32), counts, totals)
    assert abs((signs != 0).mean() - 1 / 60) < 0.007
    assert abs((signs > 0).mean() - (signs < 0).mean()) < 0.007


def test_shuffled_chance_accounts_for_ties():
    rng = np.random.default_rng(4)
    n = 5000
    frequent = sparse.csr_matrix(rng.poisson(0.5, size=(n, 50)).astype(np.float32))
    rare = sparse.lil_matrix((n, 50), dtype=np.float32)
    for word in range(50):
        rare[rng.choice(n, size=5, replace=False), word] = 1  # 5 occurrences cannot rise strictly over 5 quintiles
    totals = np.full(n, 40.0)
    assert abs(shuffled_share(frequent, totals, np.random.default_rng(0)) - 1 / 60) < 0.007
    assert shuffled_share(rare.tocsr(), totals, np.random.default_rng(0)) == 0.0


def test_no_frequent_word_is_reported_not_failed():
    vectors = {"a": np.ones((5, 2), dtype=np.float32), "b": np.ones((5, 2), dtype=np.float32)}
    texts = {"a": ["one two"] * 5, "b": ["three four"] * 5}
    result = monotonicity(vectors, texts, np.eye(2, dtype=np.float32), ["d0", "d1"], ["c", "c"], min_count=1, seed=0)
    assert result["words"] == 0 and "lower min_count" in result["note"] and result["directions"]["d0"]["consistency"] is None


def test_blocks_do_not_change_the_result():
    rng = np.random.default_rng(3)
    vectors = {"a": rng.standard_normal((300, 6)).astype(np.float32), "b": rng.standard_normal((200, 6)).astype(np.float32)}
    texts = {name: [" ".join(rng.choice(list("abcdef"), size=6)) for _ in range(len(v))] for name, v in vectors.items()}
    directions = np.eye(6, dtype=np.float32)
    ids, conditions = [f"n:{i}" for i in range(6)], ["n"] * 6
    assert monotonicity(vectors, texts, directions, ids, conditions, 5, 0, block=2) == monotonicity(
        vectors, texts, directions, ids, conditions, 5, 0
    )
