"""bfloat16 screening for the exact top-k: which (direction, sentence) pairs could still enter a list.

The bound. Scores are screened around a center c (the first chunk's mean): y = x - c, and
s = d.y + d.c with d.c exact in float64. The screen multiplies bfloat16 roundings d' of d and y'
of y (y first computed in float32) and gets s' = bf16(fl32(d'.y')). Since d.y - d'.y' =
d.(y - y') + (d - d').y', the rounding moves the product by at most |d| |y - y'| + |d - d'| |y'|:
the actual rounding errors, measured per chunk (the largest |y - y'| and |y'| of its rows, plus
2^-23 |y| for the float32 subtraction), not bfloat16's worst case of 2 u |d| |y| (u = 2^-8, its
unit roundoff); for most data they are two to three times smaller. Products of two bfloat16
numbers are exact in float32 and their float32 sum adds at most g |d'| |y'|, g = n 2^-24 /
(1 - n 2^-24) for n dimensions. With A the sum of these, rounding to bfloat16 gives
|s' - s| <= A + u (|s| + A). So a sentence whose true score reaches a direction's current k-th
best t has s' >= t - u |t| - (1 + u) A (s - u|s| grows with s), and symmetrically for the bottom
list. Pairs above that line are scored again in float64 and rounded to float32. The bound assumes
the product accumulates in float32 and rounds once, as torch's CPU kernels do;
tests/run/test_screen.py checks it against the kernel on data built to make its error largest.
Each chunk is looked at in spans of ``SPAN`` sentences: a span is looked into only if its bfloat16
maximum (minimum) reaches the line; a direction with more than ``HEAVY_SPANS`` such spans on
either side is scored in full.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

UNIT = 2.0**-8
SPAN = 256  # sentences per screened span: a span whose bfloat16 extreme cannot reach the line is skipped whole
SPANS_AT_ONCE = 4096  # flagged spans looked into at a time (bounded memory)
HEAVY_SPANS = 16  # a direction with more spans to look into in a chunk (on either side) is scored in full, in float32
SLACK = 1 + 2.0**-12  # covers the float32 rounding of the norms below


def rounding_bound(norms: np.ndarray, error_norms: np.ndarray, low_norms: np.ndarray, vectors, low_vectors) -> np.ndarray:
    """A above, per direction (``norms`` |d|, ``error_norms`` |d - d'|, ``low_norms`` |d'|), for the float32 rows ``vectors`` (y) and their bfloat16 roundings."""
    dim = vectors.shape[1]
    low = np.asarray(low_vectors, dtype=np.float32)
    size = SLACK * np.sqrt(np.einsum("ij,ij->i", vectors, vectors).max())
    error = SLACK * np.sqrt(np.einsum("ij,ij->i", vectors - low, vectors - low).max()) + 2.0**-23 * size
    low_size = (1 + UNIT) * size  # rounding to bfloat16 moves each element by at most u of itself
    g = dim * 2.0**-24 / (1 - dim * 2.0**-24)
    return norms * error + error_norms * low_size + g * low_norms * low_size


def ordered(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns (as int16) mapped to int16 keys in the order of their values (its own inverse)."""
    return bits ^ ((bits >> 15) & 0x7FFF)


def keys(values: np.ndarray, up: bool) -> np.ndarray:
    """Ordered keys (int32) of the bfloat16 number nearest each value from below (``up``: from above)."""
    import torch

    rounded = torch.from_numpy(np.asarray(values, dtype=np.float32)).bfloat16()
    back = rounded.float().numpy()
    result = ordered(rounded.view(torch.int16).numpy()).astype(np.int32)
    if up:  # -0 and +0 are the keys -1 and 0: a line at zero takes both
        return np.where(result == -1, 0, result + (back < values))
    return np.where(result == 0, -1, result - (back > values))


def reaching(bits: np.ndarray, line: np.ndarray, largest: bool) -> np.ndarray:
    """(directions, spans): whether a span of bfloat16 ``bits`` holds a value at or beyond its row's ``line`` (an ordered key).

    Above a positive line, raw int16 order is value order; below a negative one, raw uint16 order
    is: one pass over the scores. Otherwise each span's extreme is found from three.
    """
    starts = np.arange(0, bits.shape[1], SPAN)
    if largest and (line >= 0).all():
        return np.maximum.reduceat(bits, starts, axis=1) >= line[:, None]
    if not largest and (line < 0).all():
        raw = ordered(line.astype(np.int16)).view(np.uint16)
        return np.maximum.reduceat(bits.view(np.uint16), starts, axis=1) >= raw[:, None]
    low = np.minimum.reduceat(bits, starts, axis=1)
    if largest:  # all negative: the one nearest zero
        high = np.maximum.reduceat(bits, starts, axis=1)
        return ordered(np.where(high >= 0, high, low)) >= line[:, None]
    most_negative = np.maximum.reduceat(bits.view(np.uint16), starts, axis=1).view(np.int16)
    return ordered(np.where(low < 0, most_negative, low)) <= line[:, None]


class Screen:
    """Scores chunks in bfloat16 against fixed directions and merges the pairs that could enter a list."""

    def __init__(self, directions: np.ndarray, rows: int):
        import torch

        self.directions = directions
        self.center: np.ndarray | None = None
        self.offsets = np.zeros(len(directions))
        self.low = torch.from_numpy(directions).bfloat16()
        exact, low = directions.astype(np.float64), self.low.double().numpy()
        self.norms, self.low_norms = np.linalg.norm(exact, axis=1), np.linalg.norm(low, axis=1)
        self.error_norms = np.linalg.norm(exact - low, axis=1)
        self.buffer = torch.empty(len(directions) * -(-rows // SPAN) * SPAN, dtype=torch.bfloat16)

    def screen(self, chunk: np.ndarray, start: int, top, bottom, batch: int) -> np.ndarray:
        """Merge the candidate pairs of this chunk into ``top`` and ``bottom``; return the rows to score in full (both sides)."""
        import torch

        if self.center is None:  # scores are screened around the first chunk's mean: the error bound scales with |x - center|
            center = chunk.mean(0, dtype=np.float64)
            self.center, self.offsets = center.astype(np.float32), self.directions.astype(np.float64) @ center.astype(np.float32)
        centered = chunk - self.center
        low = torch.from_numpy(centered).bfloat16()
        bound = (1 + UNIT) * rounding_bound(self.norms, self.error_norms, self.low_norms, centered, low.float().numpy())
        width = -(-len(chunk) // SPAN) * SPAN  # whole spans: padding rows score 0 and are never offered
        if width > len(chunk):
            low = torch.cat([low, low.new_zeros(width - len(chunk), low.shape[1])])
        scores = self.buffer[: len(self.directions) * width].view(len(self.directions), width)
        torch.mm(self.low, low.T, out=scores)
        bits = scores.view(torch.int16).numpy()
        spans = bits.reshape(len(bits), width // SPAN, SPAN)
        heavy = ~np.isfinite(top.kth) | ~np.isfinite(bottom.kth)  # fewer than k sentences so far
        t, b = top.kth.astype(np.float64) - self.offsets, bottom.kth.astype(np.float64) - self.offsets
        above = np.where(heavy, 2**15 - 1, keys(t - UNIT * np.abs(np.nan_to_num(t)) - bound, up=False))
        below = np.where(heavy, -(2**15), keys(b + UNIT * np.abs(np.nan_to_num(b)) + bound, up=True))
        sides = ((top, above), (bottom, below))
        with ThreadPoolExecutor(2) as pool:  # one side per thread: NumPy lets go of the interpreter lock in these loops
            flagged = list(pool.map(lambda side: reaching(bits, side[1], side[0].largest), sides))
            heavy |= (flagged[0].sum(1) > HEAVY_SPANS) | (flagged[1].sum(1) > HEAVY_SPANS)
            for marked in flagged:
                marked[heavy] = False
            list(pool.map(lambda side, marked: self._offer(side[0], spans, marked, side[1], chunk, start, batch), sides, flagged))
        return np.flatnonzero(heavy)

    def _offer(self, running, spans: np.ndarray, marked: np.ndarray, line: np.ndarray, chunk: np.ndarray, start: int, batch: int):
        """Look into the ``marked`` (direction, span) pairs of ``spans`` for sentences reaching ``line``, and merge those."""
        all_rows, all_spans = np.nonzero(marked)
        pairs = []
        for first in range(0, len(all_rows), SPANS_AT_ONCE):
            rows, which = all_rows[first : first + SPANS_AT_ONCE], all_spans[first : first + SPANS_AT_ONCE]
            values = ordered(spans[rows, which]).astype(np.int32)
            hit = values >= line[rows, None] if running.largest else values <= line[rows, None]
            pair_row, pair_column = np.nonzero(hit)
            columns = which[pair_row] * SPAN + pair_column
            inside = columns < len(chunk)
            pairs.append((rows[pair_row][inside], columns[inside]))
        if pairs:
            rows, columns = (np.concatenate(part) for part in zip(*pairs))
            self._merge_pairs(running, rows, columns, chunk, start, batch)

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
