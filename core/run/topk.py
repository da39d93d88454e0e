"""Top-k and bottom-k of every direction over a stream of vector chunks, in bounded memory, exactly.

Each chunk's scores are one matrix product into a reused buffer, then ``torch.topk`` keeps a
running top and bottom k per direction: memory is O(chunk x directions + directions x k), whatever
the number of sentences. On processors with native bfloat16 the product is screened in bfloat16
first (:mod:`illusion.run.screen`): only the (direction, sentence) pairs that could still enter a
list are scored again exactly, so the result is the float32 one for about 0.6 of its work (benchmarks/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from illusion.common.chunks import ROWS_PER_CHUNK, RowSource, chunks
from illusion.common.hardware import native_bf16

SCREEN_FROM = 256  # directions: below this, one float32 product per chunk is as fast as screening
PAIR_BATCH = 8192  # (direction, sentence) pairs scored again at a time
NUMPY_UP_TO = 2**22  # scores: a block this small is selected in NumPy (a small run imports no torch)


@dataclass
class Extremes:
    """For each direction (row): indices and scores of its k highest and k lowest sentences, in rank order."""

    top_index: np.ndarray
    top_score: np.ndarray
    bottom_index: np.ndarray
    bottom_score: np.ndarray


class Running:
    """The running k best (score, sentence) of every direction, on one side (``largest``: top)."""

    def __init__(self, directions: int, k: int, largest: bool):
        self.largest = largest
        self.score = np.full((directions, k), -np.inf if largest else np.inf, dtype=np.float32)
        self.index = np.full((directions, k), -1, dtype=np.int64)

    @property
    def kth(self) -> np.ndarray:
        """Each direction's k-th best score so far (-inf or +inf while fewer than k are seen)."""
        return self.score.min(1) if self.largest else self.score.max(1)

    def merge(self, rows, score, index) -> None:
        """Offer ``score`` and sentence ``index`` (both (len(rows), w) tensors or arrays) to the directions ``rows``."""
        k = self.score.shape[1]
        if score.shape[1] > k and score.shape[0] * score.shape[1] > NUMPY_UP_TO:  # wide: torch's threaded selection first
            import torch

            score, first = torch.topk(torch.as_tensor(score), k, dim=1, largest=self.largest)
            index = torch.gather(torch.as_tensor(index), 1, first)
        rows = np.asarray(rows)
        best, where = self.score, self.index  # k + w values per row are merged in NumPy, without threads
        both, indices = np.concatenate([best[rows], np.asarray(score)], 1), np.concatenate([where[rows], np.asarray(index)], 1)
        keep = np.argpartition(-both if self.largest else both, k - 1, axis=1)[:, :k]
        best[rows], where[rows] = np.take_along_axis(both, keep, 1), np.take_along_axis(indices, keep, 1)

    def ranked(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices, scores) in rank order, equal scores by sentence index (which of those tied at place k stay is unspecified)."""
        score, index = self.score, self.index
        order = np.lexsort((index, -score if self.largest else score), axis=1)
        return np.take_along_axis(index, order, 1), np.take_along_axis(score, order, 1)


def extremes(
    vectors: RowSource, directions: np.ndarray, k: int, rows_per_chunk: int = ROWS_PER_CHUNK, screen: bool | None = None
) -> Extremes:
    """The k highest and lowest projections ``vectors @ direction`` for each direction.

    ``screen``: bfloat16 screening (default: where the processor has native bfloat16, there are at least
    ``SCREEN_FROM`` directions and a chunk's scores are more than ``NUMPY_UP_TO``); the result is the same either way.
    """
    k = min(k, len(vectors))
    directions = np.ascontiguousarray(directions, dtype=np.float32)
    m = len(directions)
    if not k:
        empty = (np.empty((m, 0), dtype=np.int64), np.empty((m, 0), dtype=np.float32))
        return Extremes(*empty, *empty)
    top, bottom = Running(m, k, largest=True), Running(m, k, largest=False)
    if screen is None:
        screen = m >= SCREEN_FROM and m * min(rows_per_chunk, len(vectors)) > NUMPY_UP_TO and native_bf16()
    if screen:
        from illusion.run.screen import Screen

        screener = Screen(directions, min(rows_per_chunk, len(vectors)))
    else:
        screener = None
    buffer = np.empty(m * min(rows_per_chunk, len(vectors)), dtype=np.float32)  # reused: no page faults
    everything = np.arange(m)
    for start, chunk in chunks(vectors, rows=rows_per_chunk):
        # the screen merges the pairs that could enter a list; rows crowded with them come back to be scored in full
        rows = everything if screener is None else screener.screen(chunk, start, top, bottom, PAIR_BATCH)
        if len(rows):
            scores = buffer[: len(rows) * len(chunk)].reshape(len(rows), len(chunk))
            np.matmul(directions[rows] if len(rows) < m else directions, chunk.T, out=scores)
            for running in (top, bottom):
                running.merge(rows, scores, _columns(start, scores.shape))
    return Extremes(*top.ranked(), *bottom.ranked())


def _columns(start: int, shape: tuple[int, ...]):
    """The sentence index of each score of a chunk starting at sentence ``start``: a view, not a copy (a torch one
    for the blocks torch selects in)."""
    if shape[0] * shape[1] <= NUMPY_UP_TO:
        return np.broadcast_to(np.arange(start, start + shape[1]), shape)
    import torch

    return torch.arange(start, start + shape[1]).expand(shape[0], -1)
