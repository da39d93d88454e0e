"""Top-k and bottom-k of every direction over a stream of vector chunks, in bounded memory.

Each chunk's scores are one float32 matrix product; ``torch.topk`` keeps a running top and
bottom k per direction. Memory is O(chunk x directions + directions x k), whatever the number
of sentences.
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


def _merge(best, scores, start: int, k: int, largest: bool):
    """The running (scores, indices) extended by one chunk of scores whose first column is sentence ``start``."""
    import torch

    score, index = torch.topk(scores, min(k, scores.shape[1]), dim=1, largest=largest)
    index += start
    if best is None:
        return score, index
    score, keep = torch.topk(torch.cat([best[0], score], 1), k, dim=1, largest=largest)
    return score, torch.gather(torch.cat([best[1], index], 1), 1, keep)


def extremes(vectors: np.ndarray, directions: np.ndarray, k: int, rows_per_chunk: int = ROWS_PER_CHUNK) -> Extremes:
    """The k highest and lowest projections ``vectors @ direction`` for each direction."""
    import torch

    k = min(k, len(vectors))
    directions = np.asarray(directions, dtype=np.float32)
    top = bottom = None
    for start in range(0, len(vectors) if k else 0, rows_per_chunk):
        chunk = np.asarray(vectors[start : start + rows_per_chunk], dtype=np.float32)
        scores = torch.from_numpy(directions @ chunk.T)  # (directions, chunk rows)
        top = _merge(top, scores, start, k, largest=True)
        bottom = _merge(bottom, scores, start, k, largest=False)
    if top is None:
        empty = (np.empty((len(directions), 0), dtype=np.int64), np.empty((len(directions), 0), dtype=np.float32))
        return Extremes(*empty, *empty)
    return Extremes(top[1].numpy(), top[0].numpy(), bottom[1].numpy(), bottom[0].numpy())
