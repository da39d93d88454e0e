"""Monotonicity: do the same words grow more (or less) frequent along a direction in every dataset?

In each dataset, sentences are ranked by their activation on a direction and cut into quintiles.
A word is monotone for the direction in that dataset when its relative frequency (occurrences per
word of the quintile) strictly rises, or strictly falls, from the lowest quintile to the highest;
by chance that happens with probability 2/5! = 1/60. Only words that occur at least ``min_count``
times in every dataset are looked at (the paper: 100).

Cost: counting words is one pass over the text. Then, per dataset and block of directions, the
block's activations (streamed over vector chunks) and five sparse products with the word counts:
time O(sentences x directions x (dim + words per sentence)), memory O(sentences x block + directions
x words) -- never sentences x all directions. The subset summary enumerates the 2^datasets subsets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from illusion.common.chunks import project
from illusion.common.seeds import rng_for

if TYPE_CHECKING:
    from scipy import sparse

TOKEN_PATTERN = r"(?u)\b\w+\b"
QUANTILES = 5
BLOCK = 64
SHUFFLES = 64
TOP_WORDS = 15
MIN_COUNT = 10  # a word's occurrences needed in every dataset (the paper: 100)


WordCounts = tuple[list[str], dict[str, "sparse.csr_matrix"], dict[str, np.ndarray]]


def word_counts(texts: Mapping[str, Sequence[str]], min_count: int) -> WordCounts:
    """The lower-cased words occurring ``min_count``+ times in every dataset, sorted; per dataset their
    counts per sentence (sentences x words, sparse) and every sentence's total number of words."""
    from sklearn.feature_extraction.text import CountVectorizer

    fitted = {}
    for name, sentences in texts.items():
        vectorizer = CountVectorizer(token_pattern=TOKEN_PATTERN, lowercase=True)
        try:
            matrix = vectorizer.fit_transform(sentences).tocsc()
        except ValueError:  # no word at all in this dataset
            return [], {}, {}
        fitted[name] = (vectorizer.vocabulary_, matrix)
    frequent = []
    for vocabulary, matrix in fitted.values():
        occurrences = np.asarray(matrix.sum(axis=0)).ravel()
        frequent.append({word for word, column in vocabulary.items() if occurrences[column] >= min_count})
    words = sorted(set.intersection(*frequent)) if frequent else []
    counts = {
        name: matrix[:, [vocabulary[w] for w in words]].tocsr().astype(np.float32)
        for name, (vocabulary, matrix) in fitted.items()
    }
    totals = {name: np.asarray(matrix.sum(axis=1)).ravel().astype(np.float64) for name, (_, matrix) in fitted.items()}
    return words, counts, totals


def monotone_signs(
    scores: np.ndarray,
    counts: sparse.spmatrix,
    totals: np.ndarray,
    quantiles: int = QUANTILES,
    included: np.ndarray | None = None,
) -> np.ndarray:
    """For each direction (column of ``scores``) and word (column of ``counts``): +1 when the word's
    relative frequency strictly rises over the activation quantiles, -1 when it strictly falls, else 0.

    With ``included`` (sentences x sets, bool), the signs of each set of sentences on its own, as if the
    others were absent: (sets, directions, words).
    """
    n, block = scores.shape
    sets = np.ones((n, 1), dtype=bool) if included is None else np.asarray(included, dtype=bool)
    order = np.argsort(np.asarray(scores).T, axis=1, kind="stable")  # (directions, sentences), lowest first
    inside = sets.T[:, order].transpose(1, 0, 2)  # (directions, sets, sentences in activation order)
    rank = np.cumsum(inside, axis=-1, dtype=np.int32) - 1  # rank among the set's own sentences
    of_rank = np.full((sets.shape[1], n + 1), -1, dtype=np.int8)  # per set, the quantile of each rank (-1: none)
    for number, m in enumerate(sets.sum(axis=0)):
        of_rank[number, :m] = np.repeat(np.arange(quantiles), np.diff(np.linspace(0, m, quantiles + 1).round().astype(int)))
    place = np.where(inside, np.take_along_axis(of_rank[None], rank, axis=-1), -1)
    inverse = np.empty_like(order)
    np.put_along_axis(inverse, order, np.arange(n)[None, :], axis=1)
    quantile = np.take_along_axis(place, inverse[:, None, :], axis=-1).reshape(-1, n)  # rows: (direction, set)
    from scipy import sparse

    table = sparse.hstack([counts, np.asarray(totals, dtype=np.float32)[:, None]]).T.tocsr()  # words, then totals
    frequency = np.empty((quantiles, quantile.shape[0], counts.shape[1]))
    for q in range(quantiles):
        found = np.asarray(table @ (quantile == q).T.astype(np.float32))
        frequency[q] = (found[:-1] / np.maximum(found[-1], 1.0)).T
    steps = np.diff(frequency, axis=0)
    signs = np.where((steps > 0).all(axis=0), 1, np.where((steps < 0).all(axis=0), -1, 0)).astype(np.int8)
    signs = signs.reshape(block, sets.shape[1], -1).transpose(1, 0, 2)
    return signs[0] if included is None else signs


def chance(quantiles: int = QUANTILES) -> float:
    """Probability that a word is monotone (either way) in one dataset by chance: 2 / quantiles!."""
    return 2 / math.factorial(quantiles)


def subset_shares(monotone: np.ndarray, quantiles: int = QUANTILES) -> list[dict[str, Any]]:
    """For each subset size j: the share of (direction, word) pairs monotone in every dataset of a
    j-subset, as mean/min/max over the subsets, next to chance (2/5!)^j. ``monotone``: (datasets, ...) bool."""
    rows = []
    for size in range(1, len(monotone) + 1):
        shares = [float(monotone[list(subset)].all(axis=0).mean()) for subset in combinations(range(len(monotone)), size)]
        rows.append(
            {
                "datasets": size,
                "mean": float(np.mean(shares)),
                "min": min(shares),
                "max": max(shares),
                "chance": chance(quantiles) ** size,
            }
        )
    return rows


def shuffled_share(counts: sparse.spmatrix, totals: np.ndarray, rng: np.random.Generator, shuffles: int = SHUFFLES) -> float:
    """The share of words monotone when the sentences are put in random orders: the chance rate with
    the data's ties (rare words often tie, which makes strict monotonicity rarer than 2/5!)."""
    return float((monotone_signs(rng.standard_normal((counts.shape[0], shuffles)), counts, totals) != 0).mean())


def word_agreement(signs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per direction, from ``signs`` (datasets, directions, words): the words monotone in some dataset, and those
    monotone the same way in at least two."""
    same_way = np.maximum((signs > 0).sum(axis=0), (signs < 0).sum(axis=0))
    return (signs != 0).any(axis=0).sum(axis=1), (same_way >= 2).sum(axis=1)


def split_consistency(
    vectors: Mapping[str, np.ndarray],
    counted: WordCounts,
    directions: np.ndarray,
    masks: Mapping[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray] | None:
    """Word consistency of every direction on the two halves of each split, (splits, directions) each, as
    :func:`monotonicity` computes it, over the run's words (``counted``: :func:`word_counts` of the whole datasets).
    ``masks[name]``: (splits, sentences), 1 for the first half. None when there is no word or a single dataset."""
    words, counts, totals = counted
    if not words or len(vectors) < 2:
        return None
    splits = len(next(iter(masks.values())))
    signs = np.stack(
        [
            monotone_signs(
                project(vectors[n], directions), counts[n], totals[n], included=np.hstack([masks[n].T, 1 - masks[n].T])
            )
            for n in vectors
        ]
    )  # (datasets, both halves of every split, directions, words)
    anywhere, shared = word_agreement(signs.reshape(len(vectors), -1, signs.shape[-1]))
    consistency = np.where(anywhere > 0, shared / np.maximum(anywhere, 1), 0.0).reshape(2, splits, len(directions))
    return consistency[0], consistency[1]


def monotonicity(
    vectors: Mapping[str, np.ndarray],
    texts: Mapping[str, Sequence[str]],
    directions: np.ndarray,
    ids: Sequence[str],
    conditions: Sequence[str],
    min_count: int,
    seed: int,
    block: int = BLOCK,
    counted: WordCounts | None = None,
) -> dict[str, Any]:
    """The monotonicity analysis of a run; see the module docstring. ``counted``: ``word_counts(texts, min_count)``
    when already computed."""
    words, counts, totals = counted or word_counts(texts, min_count)
    base = {
        "words": len(words),
        "min_count": min_count,
        "quantiles": QUANTILES,
        "chance_per_dataset": chance(),
        "tokenizer": "lower-cased words (regular expression \\w+)",
    }
    if not words:
        return {
            **base,
            "note": f"no word occurs {min_count} times in every dataset; lower min_count",
            "by_condition": {},
            "top_words": [],
            "directions": {i: {"monotone_words": 0, "shared_words": 0, "consistency": None} for i in ids},
        }
    signs = np.zeros((len(vectors), len(directions), len(words)), dtype=np.int8)
    for number, name in enumerate(vectors):
        for start in range(0, len(directions), block):
            scores = project(vectors[name], directions[start : start + block])
            signs[number, start : start + block] = monotone_signs(scores, counts[name], totals[name])
    monotone = signs != 0
    anywhere, shared = word_agreement(signs)
    condition_of = np.asarray(conditions)
    by_condition = {}
    for condition in sorted(set(condition_of.tolist())):
        members = condition_of == condition
        by_condition[condition] = {
            "pairs": int(members.sum() * len(words)),
            "per_dataset": {name: float(monotone[i][members].mean()) for i, name in enumerate(vectors)},
            "in_datasets": subset_shares(monotone[:, members]),
        }
    word_share = monotone.mean(axis=(0, 1))
    directions_out = {}
    for d, identifier in enumerate(ids):
        directions_out[identifier] = {
            "monotone_words": int(anywhere[d]),
            "shared_words": int(shared[d]),
            "consistency": (shared[d] / anywhere[d] if anywhere[d] else 0.0) if len(vectors) > 1 else None,
        }
    return {
        **base,
        "word_list": words,
        "shuffled_per_dataset": {name: shuffled_share(counts[name], totals[name], rng_for(seed, name)) for name in vectors},
        "by_condition": by_condition,
        "top_words": [
            {"word": words[i], "share": float(word_share[i])} for i in np.argsort(-word_share, kind="stable")[:TOP_WORDS]
        ],
        "directions": directions_out,
    }
