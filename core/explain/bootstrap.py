"""Bootstrap intervals of a detector's AUROC against a direction's activations, and of a transfer gap.

Each dataset's sentences are drawn with replacement ``replicates`` times (the weights are drawn once per
dataset and shared by every direction and explanation, as :class:`illusion.diagnostics.uncertainty.Resampler`
does); under weights ``w`` the AUROC is the weighted Mann-Whitney statistic

    sum over matching i, other j of w_i w_j ([s_i > s_j] + [s_i = s_j] / 2) / (sum_i w_i * sum_j w_j),

computed from one sort of the activations and one cumulative sum of the other sentences' weights per
replicate: O(replicates x sentences) per (direction, pattern, dataset). Intervals are percentile intervals
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
            self._drawn[key] = np.bincount(flat, minlength=r * n).reshape(r, n).astype(np.float64)
        return self._drawn[key]


class Ranked:
    """One direction's activations in one dataset, sorted once, with the bootstrap weights in the same order."""

    def __init__(self, scores: np.ndarray, weights: np.ndarray):
        self.order = np.argsort(scores, kind="stable")
        ranked = np.asarray(scores)[self.order]
        n = len(ranked)
        starts = np.r_[True, ranked[1:] != ranked[:-1]] if n else np.zeros(0, dtype=bool)
        ends = np.r_[ranked[1:] != ranked[:-1], True] if n else np.zeros(0, dtype=bool)
        group = np.cumsum(starts) - 1
        self.first = np.flatnonzero(starts)[group]  # first position of each position's tie group
        self.last = np.flatnonzero(ends)[group]
        self.weights = weights[:, self.order]

    def auroc(self, matches: np.ndarray) -> np.ndarray:
        """The AUROC of ``matches`` (one bool per sentence, in the dataset's order) under each replicate's weights."""
        matching = np.asarray(matches, dtype=bool)[self.order]
        others = np.cumsum(self.weights * ~matching, axis=1)
        found = np.flatnonzero(matching)
        below = np.where(self.first[found] > 0, others[:, np.maximum(self.first[found] - 1, 0)], 0.0)
        tied = others[:, self.last[found]] - below
        weight = self.weights[:, found]
        with np.errstate(invalid="ignore", divide="ignore"):
            return (weight * (below + tied / 2)).sum(axis=1) / (weight.sum(axis=1) * others[:, -1])


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
