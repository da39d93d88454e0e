"""Top-k and bottom-k of every direction over a stream of vector chunks, in bounded memory.

Memory is O(chunk x directions + directions x k), whatever the number of sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROWS_PER_CHUNK = 8192


@dataclass
class Extremes:
    """For each direction (row): indices and scores of its k highest and k lowest sentences, in rank order."""

    top_index: np.ndarray
    top_score: np.ndarray
    bottom_index: np.ndarray
    bottom_score: np.ndarray


def _merge(best_index: np.ndarray, best_score: np.ndarray, index: np.ndarray, score: np.ndarray, k: int):
    all_index = np.concatenate([best_index, np.broadcast_to(index, score.shape)], axis=1)
    all_score = np.concatenate([best_score, score], axis=1)
    if all_score.shape[1] > k:
        keep = np.argpartition(-all_score, k - 1, axis=1)[:, :k]
        all_index = np.take_along_axis(all_index, keep, axis=1)
        all_score = np.take_along_axis(all_score, keep, axis=1)
    return all_index, all_score


def extremes(vectors: np.ndarray, directions: np.ndarray, k: int, rows_per_chunk: int = ROWS_PER_CHUNK) -> Extremes:
    """The k highest and lowest projections ``vectors @ direction`` for each direction."""
    m = len(directions)
    k = min(k, len(vectors))
    directions = np.asarray(directions, dtype=np.float32)
    top_i = np.empty((m, 0), dtype=np.int64)
    top_s = np.empty((m, 0), dtype=np.float32)
    bottom_i, bottom_s = top_i, top_s
    for start in range(0, len(vectors), rows_per_chunk):
        chunk = np.asarray(vectors[start : start + rows_per_chunk], dtype=np.float32)
        scores = directions @ chunk.T  # (m, c)
        index = np.arange(start, start + len(chunk))[None, :]
        top_i, top_s = _merge(top_i, top_s, index, scores, k)
        bottom_i, neg = _merge(bottom_i, -bottom_s, index, -scores, k)
        bottom_s = -neg
    top_order = np.argsort(-top_s, axis=1, kind="stable")
    bottom_order = np.argsort(bottom_s, axis=1, kind="stable")
    return Extremes(
        np.take_along_axis(top_i, top_order, 1), np.take_along_axis(top_s, top_order, 1),
        np.take_along_axis(bottom_i, bottom_order, 1), np.take_along_axis(bottom_s, bottom_order, 1),
    )
