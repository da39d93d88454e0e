"""bfloat16 screening for the exact top-k: which (direction, sentence) pairs could still enter a list.

The bound. Let u = 2^-8 (bfloat16's unit roundoff) and n the dimension. Rounding a vector x and a
direction d to bfloat16 moves each product x_i d_i by at most (2u + u^2) |x_i d_i|; products of two
bfloat16 numbers are exact in float32 and their float32 sum adds at most g = n 2^-24 / (1 - n 2^-24)
times the sum of their magnitudes; the result, rounded to bfloat16, moves by at most u of itself.
With E = (2u + u^2 + g (1 + u)^2) |x| |d| (Cauchy-Schwarz: sum |x_i d_i| <= |x| |d|), the screened
score s' of a true score s satisfies |s' - s| <= E + u (|s| + E). So a sentence whose true score
reaches a direction's current k-th best t has s' >= t - u |t| - (1 + u) E (s - u|s| grows with s),
and symmetrically for the bottom list. Scores are screened around a center c (the first chunk's
mean), s = d.(x - c) + d.c with d.c exact in float64, so |x| above is |x - c| (plus 2^-23 for
the float32 subtraction): anisotropic embeddings, far from the origin, keep a tight line.
Pairs above the line are scored again in float64 and rounded to float32. The bound assumes the
product accumulates in float32 and rounds once, as torch's CPU kernels do; tests/run/test_screen.py
checks it against the kernel on data built to make its error largest.
Each chunk is looked at in spans of ``SPAN`` sentences: a span is looked into only if its bfloat16
maximum (minimum) reaches the line; a direction with more than ``HEAVY_SPANS`` such spans is scored in full.
"""

from __future__ import annotations

import numpy as np

UNIT = 2.0**-8
SPAN = 256  # sentences per screened span: a span whose bfloat16 extreme cannot reach the line is skipped whole
SPANS_AT_ONCE = 4096  # flagged spans looked into at a time (bounded memory)
HEAVY_SPANS = 8  # a direction with more spans to look into in a chunk is scored in full, in float32


def error_bound(direction_norms: np.ndarray, vector_norm: float, dim: int) -> np.ndarray:
    """E above, per direction, for vectors of norm at most ``vector_norm``."""
    g = dim * 2.0**-24 / (1 - dim * 2.0**-24)
    return (2 * UNIT + UNIT**2 + 2.0**-23 + g * (1 + UNIT) ** 2) * direction_norms * vector_norm


def ordered(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns (as int16) mapped to int16 keys in the order of their values."""
    return bits ^ ((bits >> 15) & 0x7FFF)


def keys(values: np.ndarray, up: bool) -> np.ndarray:
    """Ordered keys (int32) of the bfloat16 number nearest each value from below (``up``: from above)."""
    import torch

    rounded = torch.from_numpy(np.asarray(values, dtype=np.float32)).bfloat16()
    back = rounded.float().numpy()
    result = ordered(rounded.view(torch.int16).numpy()).astype(np.int32)
    return result + (back < values) if up else result - (back > values)


class Screen:
    """Scores chunks in bfloat16 against fixed directions and merges the pairs that could enter a list."""

    def __init__(self, directions: np.ndarray, rows: int):
        import torch

        self.directions = directions
        self.center: np.ndarray | None = None
        self.offsets = np.zeros(len(directions))
        self.low = torch.from_numpy(directions).bfloat16()
        self.norms = np.linalg.norm(directions.astype(np.float64), axis=1)
        self.buffer = torch.empty(len(directions) * rows, dtype=torch.bfloat16)

    def screen(self, chunk: np.ndarray, start: int, top, bottom, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Merge the candidate pairs of this chunk into ``top`` and ``bottom``; return the rows to score in full (per side)."""
        import torch

        if self.center is None:  # scores are screened around the first chunk's mean: the error bound scales with |x - center|
            center = chunk.mean(0, dtype=np.float64)
            self.center, self.offsets = center.astype(np.float32), self.directions.astype(np.float64) @ center.astype(np.float32)
        centered = chunk - self.center
        scores = self.buffer[: len(self.directions) * len(chunk)].view(len(self.directions), len(chunk))
        torch.mm(self.low, torch.from_numpy(centered).bfloat16().T, out=scores)
        bits = scores.view(torch.int16).numpy()
        starts = np.arange(0, len(chunk), SPAN)
        high, low = np.maximum.reduceat(bits, starts, axis=1), np.minimum.reduceat(bits, starts, axis=1)
        most_negative = np.maximum.reduceat(bits.view(np.uint16), starts, axis=1).view(np.int16)
        span_max = ordered(np.where(high >= 0, high, low))  # all negative: the one nearest zero
        span_min = ordered(np.where(low < 0, most_negative, low))
        bound = (1 + UNIT) * error_bound(
            self.norms, float(np.sqrt(np.einsum("ij,ij->i", centered, centered).max())), chunk.shape[1]
        )
        t, b = top.kth.astype(np.float64) - self.offsets, bottom.kth.astype(np.float64) - self.offsets
        above = keys(t - UNIT * np.abs(np.nan_to_num(t)) - bound, up=False)
        below = keys(b + UNIT * np.abs(np.nan_to_num(b)) + bound, up=True)
        full = []
        for running, flagged, line in ((top, span_max >= above[:, None], above), (bottom, span_min <= below[:, None], below)):
            heavy = flagged.sum(1) > HEAVY_SPANS
            heavy |= ~np.isfinite(running.kth)  # fewer than k sentences so far
            flagged[heavy] = False
            all_rows, all_spans = np.nonzero(flagged)
            pairs = []
            for first in range(0, len(all_rows), SPANS_AT_ONCE):
                rows, spans = all_rows[first : first + SPANS_AT_ONCE], all_spans[first : first + SPANS_AT_ONCE]
                columns = (spans * SPAN)[:, None] + np.arange(SPAN)
                inside = columns < len(chunk)
                values = ordered(bits[rows[:, None], np.minimum(columns, len(chunk) - 1)]).astype(np.int32)
                hit = inside & (values >= line[rows, None] if running.largest else values <= line[rows, None])
                pair_row, pair_column = np.nonzero(hit)
                pairs.append((rows[pair_row], columns[pair_row, pair_column]))
            if pairs:
                rows, columns = (np.concatenate(part) for part in zip(*pairs))
                self._merge_pairs(running, rows, columns, chunk, start, batch)
            full.append(np.flatnonzero(heavy))
        return full[0], full[1]

    def _merge_pairs(self, running, rows: np.ndarray, columns: np.ndarray, chunk: np.ndarray, start: int, batch: int) -> None:
        """Score (direction, sentence) pairs exactly (float64, then float32) and offer those that enter, padded per direction."""
        import torch

        if not len(rows):
            return
        score = np.concatenate(
            [
                np.einsum("ij,ij->i", self.directions[rows[i : i + batch]], chunk[columns[i : i + batch]], dtype=np.float64)
                for i in range(0, len(rows), batch)
            ]
        )
        kth = running.kth[rows]
        entering = score >= kth if running.largest else score <= kth  # most candidates fall short once scored exactly
        rows, columns, score = rows[entering], columns[entering], score[entering]
        if not len(rows):
            return
        directions, first, counts = np.unique(rows, return_index=True, return_counts=True)  # rows come sorted
        place = np.arange(len(rows)) - np.repeat(first, counts)
        which = np.repeat(np.arange(len(directions)), counts)
        padded = np.full((len(directions), counts.max()), -np.inf if running.largest else np.inf, dtype=np.float32)
        index = np.full(padded.shape, -1, dtype=np.int64)
        padded[which, place], index[which, place] = score.astype(np.float32), columns + start
        running.merge(torch.from_numpy(directions), torch.from_numpy(padded), torch.from_numpy(index))
