"""Outliers: do a few far-out sentences fill the top-k slots of many directions, and do the findings survive without them?

"Far out" is the Euclidean distance from the dataset's mean vector. For each dataset and condition
(and for every neuron, the basis directions, as in the paper's 768 x 10 slots): how many distinct
sentences fill the directions' top-k slots, and what share of the slots the most distant 1% and
10% of sentences fill (by chance: 1% and 10%). Then the top-k is recomputed without those sentences,
and the by-condition findings (top-k range overlap, pooled top-k concentration) are compared.

Cost: two streamed passes for distances, O(sentences x dim); the basis top-k, O(sentences x dim^2);
one streamed top-k per fraction, O(sentences x directions x dim). Memory stays O(chunk x (dim + directions)).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from illusion.common.chunks import ROWS_PER_CHUNK, chunks
from illusion.run import stats
from illusion.run.schema import ConditionStats
from illusion.run.topk import extremes

FRACTIONS = (0.01, 0.1)


class Rows:
    """A read-only row subset of a (memory-mapped) matrix, read chunk by chunk: ``Rows(m, r)[a:b] == m[r[a:b]]``."""

    def __init__(self, matrix: np.ndarray, rows: np.ndarray):
        self.matrix, self.rows = matrix, np.asarray(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, part: slice) -> np.ndarray:
        return np.asarray(self.matrix[self.rows[part]])


def distances_from_mean(vectors: np.ndarray, rows_per_chunk: int = ROWS_PER_CHUNK) -> np.ndarray:
    """Each sentence's Euclidean distance from the mean vector of its dataset."""
    total = np.zeros(vectors.shape[1])
    for _, chunk in chunks(vectors, np.float64, rows_per_chunk):
        total += chunk.sum(axis=0)
    mean = total / max(len(vectors), 1)
    return np.concatenate(
        [np.zeros(0), *(np.linalg.norm(chunk - mean, axis=1) for _, chunk in chunks(vectors, np.float64, rows_per_chunk))]
    )


def most_distant(distance: np.ndarray, fraction: float) -> np.ndarray:
    """Indices of the ceil(fraction x sentences) most distant sentences (at least one)."""
    count = max(1, math.ceil(fraction * len(distance)))
    return np.argsort(-distance, kind="stable")[:count]


def slot_shares(top_index: np.ndarray, distance: np.ndarray, fractions: Sequence[float] = FRACTIONS) -> dict[str, Any]:
    """How many slots (directions x k), how many distinct sentences fill them, and the share the most distant fill."""
    return {
        "slots": int(top_index.size),
        "distinct": len(np.unique(top_index)),
        "share": {str(f): float(np.isin(top_index, most_distant(distance, f)).mean()) for f in fractions},
    }


def findings_without(
    vectors: Mapping[str, np.ndarray],
    removed: Mapping[str, np.ndarray],
    directions: np.ndarray,
    ids: Sequence[str],
    conditions: Sequence[str],
    k: int,
) -> dict[str, ConditionStats]:
    """The by-condition findings (range overlap share, mean largest share) with ``removed[dataset]`` rows left out."""
    top = {}
    for name, matrix in vectors.items():
        kept = np.setdiff1d(np.arange(len(matrix)), removed.get(name, []))
        found = extremes(Rows(matrix, kept), directions, k)
        top[name] = (kept[found.top_index], found.top_score)
    return stats.summarise_by_condition(stats.direction_findings(top, ids, conditions, k))


def outliers(
    vectors: Mapping[str, np.ndarray],
    top_index: Mapping[str, np.ndarray],
    directions: np.ndarray,
    ids: Sequence[str],
    conditions: Sequence[str],
    k: int,
    overall: Mapping[str, ConditionStats],
    fractions: Sequence[float] = FRACTIONS,
) -> dict[str, Any]:
    """The outlier analysis of a run; ``top_index[dataset]`` is the run's top-k, shape (directions, k), and
    ``overall`` its by-condition findings with every sentence (``stats.summarise_by_condition``)."""
    conditions_array = np.asarray(conditions)
    distance = {name: distances_from_mean(matrix) for name, matrix in vectors.items()}
    per_dataset = {}
    for name, matrix in vectors.items():
        basis = extremes(matrix, np.eye(matrix.shape[1], dtype=np.float32), k).top_index
        per_dataset[name] = {
            "sentences": len(matrix),
            "by_condition": {
                c: slot_shares(top_index[name][conditions_array == c], distance[name], fractions) for c in sorted(set(conditions))
            },
            "all_neurons": slot_shares(basis, distance[name], fractions),
        }
    return {
        "distance": "Euclidean distance from the dataset's mean vector",
        "fractions": list(fractions),
        "per_dataset": per_dataset,
        "findings": {
            "all": _as_json(overall),
            **{
                f"without {f:.0%}": _as_json(
                    findings_without(
                        vectors, {n: most_distant(d, f) for n, d in distance.items()}, directions, ids, conditions, k
                    )
                )
                for f in fractions
            },
        },
    }


def _as_json(by_condition: Mapping[str, ConditionStats]) -> dict[str, Any]:
    return {condition: row.to_json() for condition, row in by_condition.items()}
