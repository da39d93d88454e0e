"""Top-k and bottom-k of every direction over a stream of vector chunks, in bounded memory.

Each chunk's scores are one float32 matrix product into a reused buffer; ``torch.topk`` keeps
a running top and bottom k per direction. Memory is O(chunk x directions + directions x k),
whatever the number of sentences: one (directions x ``rows_per_chunk``) float32 buffer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from illusion.common.chunks import ROWS_PER_CHUNK, chunks


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
    score = torch.cat([best[0], score], 1)
    score, keep = torch.topk(score, min(k, score.shape[1]), dim=1, largest=largest)
    return score, torch.gather(torch.cat([best[1], index], 1), 1, keep)


def _ranked(best, descending: bool) -> tuple[np.ndarray, np.ndarray]:
    """(indices, scores) in rank order, equal scores by sentence index (which of those tied at place k stay is unspecified)."""
    score, index = best[0].numpy(), best[1].numpy()
    order = np.lexsort((index, -score if descending else score), axis=1)
    return np.take_along_axis(index, order, 1), np.take_along_axis(score, order, 1)


def extremes(vectors: np.ndarray, directions: np.ndarray, k: int, rows_per_chunk: int = ROWS_PER_CHUNK) -> Extremes:
    """The k highest and lowest projections ``vectors @ direction`` for each direction."""
    import torch

    k = min(k, len(vectors))
    directions = np.asarray(directions, dtype=np.float32)
    top = bottom = None
    buffer = np.empty((len(directions), min(rows_per_chunk, len(vectors))), dtype=np.float32)  # reused: no page faults
    for start, chunk in chunks(vectors[: len(vectors) if k else 0], rows=rows_per_chunk):
        scores = torch.from_numpy(np.matmul(directions, chunk.T, out=buffer[:, : len(chunk)]))  # (directions, chunk rows)
        top = _merge(top, scores, start, k, largest=True)
        bottom = _merge(bottom, scores, start, k, largest=False)
    if top is None:
        empty = (np.empty((len(directions), 0), dtype=np.int64), np.empty((len(directions), 0), dtype=np.float32))
        return Extremes(*empty, *empty)
    return Extremes(*_ranked(top, descending=True), *_ranked(bottom, descending=False))
