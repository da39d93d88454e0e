"""Bootstrap intervals of a detector's AUROC against a direction's activations, and of a transfer gap.

Each dataset's sentences are drawn with replacement ``replicates`` times (the weights are drawn once per
dataset and shared by every direction and explanation, as :class:`illusion.diagnostics.uncertainty.Resampler`
does); under weights ``w`` the AUROC is the weighted Mann-Whitney statistic

    sum over matching i, other j of w_i w_j ([s_i > s_j] + [s_i = s_j] / 2) / (sum_i w_i * sum_j w_j),

computed from one sort of the activations and one running sum of all sentences' weights per replicate
per (direction, dataset) and once more for a source's score half (:class:`Ranked` of the half's activations and
weights), then O(replicates x matching sentences) per pattern. Intervals are percentile intervals
(:func:`illusion.diagnostics.uncertainty.interval`) over the replicates where the figure is defined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from illusion.common.seeds import rng_for
from illusion.diagnostics.uncertainty import interval


class Weights:
    """Per dataset, (replicates, sentences) whole-number weights of the bootstrap resamples, drawn on first use."""

    def __init__(self, seed: int, replicates: int):
        self.seed, self.replicates = seed, replicates
        self._drawn: dict[tuple[str, int], np.ndarray] = {}

    def of(self, dataset: str, sentences: int) -> np.ndarray:
        key = (dataset, sentences)
        if key not in self._drawn:
            n, r = sentences, self.replicates
            drawn = rng_for(self.seed, f"explain bootstrap {dataset}").integers(0, max(n, 1), size=(r, n))
            flat = (drawn + (np.arange(r) * n)[:, None]).ravel()
            counts = np.bincount(flat, minlength=r * n).reshape(r, n)
            small = (
                np.uint8 if counts.max(initial=0) < 256 else np.uint32
            )  # sorted once per direction: the fewer bytes the better
            self._drawn[key] = counts.astype(small)
        return self._drawn[key]


class Ranked:
    """One direction's activations in one dataset, sorted once, with the running sum of the bootstrap weights in that
    order: each pattern's AUROCs then cost O(replicates x its matching sentences)."""

    def __init__(self, scores: np.ndarray, weights: np.ndarray):
        self.order = np.argsort(scores, kind="stable")
        self.position = np.empty_like(self.order)
        self.position[self.order] = np.arange(len(self.order))
        ranked = np.asarray(scores)[self.order]
        n = len(ranked)
        starts = np.r_[True, ranked[1:] != ranked[:-1]] if n else np.zeros(0, dtype=bool)
        ends = np.r_[ranked[1:] != ranked[:-1], True] if n else np.zeros(0, dtype=bool)
        group = np.cumsum(starts) - 1
        self.first = np.flatnonzero(starts)[group]  # first sorted position of each sorted position's tie group
        self.last = np.flatnonzero(ends)[group]
        self.weights = weights
        self.total = np.cumsum(weights[:, self.order], axis=1, dtype=np.float32)  # weight up to each sorted position (exact)

    def auroc(self, matches: np.ndarray) -> np.ndarray:
        """The AUROC of ``matches`` (one bool per sentence, in the dataset's order) under each replicate's weights."""
        found = np.sort(self.position[np.asarray(matches, dtype=bool)])  # the matching sentences, by sorted position
        first, last = self.first[found], self.last[found]
        weight = self.weights[:, self.order[found]].astype(np.float64)
        below_all = self._up_to(first - 1)
        in_group = self._up_to(last) - below_all
        below_matching = _partial(weight, found, first - 1)
        matching_in_group = _partial(weight, found, last) - below_matching
        others = (self.total[:, -1] if self.total.shape[1] else 0.0) - weight.sum(axis=1)
        numerator = (weight * ((below_all - below_matching) + (in_group - matching_in_group) / 2)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return numerator / (weight.sum(axis=1) * others)

    def _up_to(self, positions: np.ndarray) -> np.ndarray:
        """The weight of every sentence at sorted positions 0..p, per replicate, for each p of ``positions`` (-1: 0)."""
        found = self.total[:, np.maximum(positions, 0)]
        return np.where(positions >= 0, found, 0.0)


def _partial(weights: np.ndarray, positions: np.ndarray, upto: np.ndarray | int) -> np.ndarray:
    """Per replicate, the sum of ``weights`` (replicates, m) over the m items whose sorted ``positions`` are at most
    ``upto`` (one bound per output column, or one for all)."""
    running = np.concatenate([np.zeros((weights.shape[0], 1)), np.cumsum(weights, axis=1, dtype=np.float64)], axis=1)
    count = np.searchsorted(positions, np.asarray(upto), side="right")
    return running[:, count]


def bounds(replicates: np.ndarray) -> list[float] | None:
    """The 95% percentile interval of the defined replicates; None when fewer than two are defined."""
    defined = replicates[np.isfinite(replicates)]
    if len(defined) < 2:
        return None
    low, high = interval(defined[:, None])[0]
    return [float(low), float(high)]


def transfer_gap(
    aurocs: Mapping[str, float | None], replicates: Mapping[str, np.ndarray], source: str, others: Sequence[str]
) -> tuple[float | None, list[float] | None]:
    """Source AUROC minus the mean AUROC on the testable ``others``, with its bootstrap interval (None when undefined)."""
    tested = [name for name in others if aurocs.get(name) is not None]
    if aurocs.get(source) is None or not tested:
        return None, None
    gap = float(aurocs[source]) - float(np.mean([aurocs[name] for name in tested]))  # type: ignore[arg-type]
    spread = replicates[source] - np.mean([replicates[name] for name in tested], axis=0)
    return gap, bounds(spread)
