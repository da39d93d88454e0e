"""Anisotropy: how similar sentence vectors are within and between datasets, and how much of their
variance dataset identity explains.

Mean cosine similarities over all pairs are exact without forming pairs: with unit vectors u and
S = sum of u over a dataset, the mean over its ordered pairs i != j is (|S|^2 - n) / (n (n - 1)), and
between datasets a and b it is S_a . S_b / (n_a n_b). The variance share is the between-dataset sum
of squares over the total sum of squares (a multivariate eta squared).

Cost: one streamed pass over the vectors, O(sentences x dim) time and O(datasets x dim) memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from illusion.common.chunks import ROWS_PER_CHUNK, chunks


def _sums(vectors: np.ndarray, rows_per_chunk: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Sum of the vectors, sum of the unit vectors, sum of squared norms."""
    total, unit, squares = np.zeros(vectors.shape[1]), np.zeros(vectors.shape[1]), 0.0
    for _, chunk in chunks(vectors, np.float64, rows_per_chunk):
        norms = np.linalg.norm(chunk, axis=1)
        total += chunk.sum(axis=0)
        unit += (chunk / np.where(norms > 0, norms, 1.0)[:, None]).sum(axis=0)
        squares += float((norms**2).sum())
    return total, unit, squares


def anisotropy(vectors: Mapping[str, np.ndarray], rows_per_chunk: int = ROWS_PER_CHUNK) -> dict[str, Any]:
    """Mean cosine within and between datasets (matrix, and pair-weighted summaries) and the dataset variance share."""
    labels = list(vectors)
    n = np.array([len(vectors[name]) for name in labels], dtype=np.float64)
    sums = [_sums(vectors[name], rows_per_chunk) for name in labels]
    unit = np.array([s[1] for s in sums])
    dots = unit @ unit.T
    pairs_within = n * (n - 1)
    within = np.divide(np.diag(dots) - n, pairs_within, out=np.full(len(n), np.nan), where=pairs_within > 0)
    cosine = dots / np.outer(n, n)
    np.fill_diagonal(cosine, within)
    off = ~np.eye(len(n), dtype=bool)
    everything = (dots.sum() - n.sum()) / (n.sum() * (n.sum() - 1)) if n.sum() > 1 else None
    means = np.array([s[0] for s in sums]) / n[:, None]
    grand = np.array([s[0] for s in sums]).sum(axis=0) / n.sum()
    total_ss = sum(s[2] for s in sums) - n.sum() * float(grand @ grand)
    between_ss = float((n * ((means - grand) ** 2).sum(axis=1)).sum())
    return {
        "labels": labels,
        "mean_cosine": [[None if np.isnan(v) else round(float(v), 6) for v in row] for row in cosine],
        "within": float(np.nansum(within * pairs_within) / pairs_within.sum()) if pairs_within.sum() else None,
        "between": float(dots[off].sum() / np.outer(n, n)[off].sum()) if len(n) > 1 else None,
        "overall": None if everything is None else float(everything),
        "dataset_variance_share": between_ss / total_ss if total_ss > 0 else None,
    }
