"""Locality: is a direction's top-k set as tight as a nearest-neighbour cluster?

Per dataset, three kinds of dot products between sentence vectors (the paper's histograms):
a sample of sentences with their nearest neighbours, pairs within a direction's top-k set, and the
top-k set against random sentences. On shared bins, two normalised histograms are compared by
sum(min) / sum(max) (1 = identical, 0 = disjoint). The locality score of a direction in a dataset is
that similarity between its top-k histogram and the nearest-neighbour histogram (the paper: 0.026
for meaningful neurons, 0.010 for meaningless ones); ``random_similarity`` compares the top-k
histogram with top-k against random sentences.

Cost per dataset: nearest neighbours of ``queries`` sampled sentences by brute force over vector
chunks, O(queries x sentences x dim); then O(directions x (k^2 + k x random) x dim).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from illusion.common.chunks import ROWS_PER_CHUNK, chunks
from illusion.common.seeds import rng_for

NEIGHBOURS = 10
QUERIES = 500
RANDOM = 100
BINS = 50


def histogram_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """sum(min) / sum(max) of two histograms, each first scaled to sum to 1 (0 when either is empty)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.sum() == 0 or b.sum() == 0:
        return 0.0
    a, b = a / a.sum(), b / b.sum()
    return float(np.minimum(a, b).sum() / np.maximum(a, b).sum())


def nearest_neighbours(vectors: np.ndarray, rows: np.ndarray, k: int, rows_per_chunk: int = ROWS_PER_CHUNK) -> np.ndarray:
    """Indices of the ``k`` nearest sentences (Euclidean, self excluded) of each sentence in ``rows``, nearest first."""
    rows = np.asarray(rows)
    queries = np.asarray(vectors[rows], dtype=np.float64)
    k = min(k, len(vectors) - 1)
    best_distance: np.ndarray = np.empty((len(rows), 0))
    best_index: np.ndarray = np.empty((len(rows), 0), dtype=np.int64)
    for start, chunk in chunks(vectors[: len(vectors) if k > 0 else 0], np.float64, rows_per_chunk):
        distance = (chunk**2).sum(axis=1)[None, :] - 2 * queries @ chunk.T  # |x - q|^2 - |q|^2
        inside = (rows >= start) & (rows < start + len(chunk))
        distance[np.flatnonzero(inside), rows[inside] - start] = np.inf
        best_distance = np.concatenate([best_distance, distance], axis=1)
        best_index = np.concatenate([best_index, np.broadcast_to(np.arange(start, start + len(chunk)), distance.shape)], axis=1)
        keep = np.argpartition(best_distance, k - 1, axis=1)[:, :k]
        best_distance = np.take_along_axis(best_distance, keep, axis=1)
        best_index = np.take_along_axis(best_index, keep, axis=1)
    return np.take_along_axis(best_index, np.argsort(best_distance, axis=1, kind="stable"), axis=1)


def _dataset_locality(
    vectors: np.ndarray, top_index: np.ndarray, rng: np.random.Generator, neighbours: int, queries: int, random: int, bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """Locality and random similarity of every direction (row of ``top_index``) in one dataset."""
    n = len(vectors)
    rows = np.sort(rng.choice(n, size=min(queries, n), replace=False))
    near = nearest_neighbours(vectors, rows, neighbours)
    sample = np.asarray(vectors[rows], dtype=np.float64)
    near_dots = np.concatenate([(np.asarray(vectors[np.sort(idx)], dtype=np.float64) @ q) for q, idx in zip(sample, near)])
    others = np.asarray(vectors[np.sort(rng.choice(n, size=min(random, n), replace=False))], dtype=np.float64)
    upper = np.triu_indices(top_index.shape[1], 1)
    within, against = [], []
    for index in top_index:
        top = np.asarray(vectors[np.sort(index)], dtype=np.float64)
        within.append((top @ top.T)[upper])
        against.append((top @ others.T).ravel())
    edges = np.histogram_bin_edges(np.concatenate([near_dots, *within, *against]), bins=bins)
    reference = np.histogram(near_dots, edges)[0]
    score = np.array([histogram_similarity(np.histogram(w, edges)[0], reference) for w in within])
    versus = np.array(
        [histogram_similarity(np.histogram(w, edges)[0], np.histogram(a, edges)[0]) for w, a in zip(within, against)]
    )
    return score, versus


def locality(
    vectors: Mapping[str, np.ndarray],
    top_index: Mapping[str, np.ndarray],
    ids: Sequence[str],
    conditions: Sequence[str],
    seed: int,
    neighbours: int = NEIGHBOURS,
    queries: int = QUERIES,
    random: int = RANDOM,
    bins: int = BINS,
) -> dict[str, Any]:
    """Per direction and dataset: locality score and random similarity; their means per direction and condition.

    ``top_index[dataset]`` holds each direction's top-k sentence indices, shape (directions, k).
    """
    per_dataset = {
        name: _dataset_locality(vectors[name], top_index[name], rng_for(seed, name), neighbours, queries, random, bins)
        for name in vectors
    }
    score = np.array([per_dataset[name][0] for name in vectors])  # (datasets, directions)
    versus = np.array([per_dataset[name][1] for name in vectors])
    condition_of = np.asarray(conditions)
    return {
        "neighbours": neighbours,
        "queries": queries,
        "random": random,
        "bins": bins,
        "by_condition": {
            c: {
                "score": float(score[:, condition_of == c].mean()),
                "random_similarity": float(versus[:, condition_of == c].mean()),
            }
            for c in sorted(set(condition_of.tolist()))
        },
        "directions": {
            identifier: {
                "score": float(score[:, d].mean()),
                "random_similarity": float(versus[:, d].mean()),
                "per_dataset": {name: float(score[i, d]) for i, name in enumerate(vectors)},
            }
            for d, identifier in enumerate(ids)
        },
    }
