"""How sure is each per-direction figure, and how reliable is a ranking of directions?

Both resample the sentences of every dataset and recompute the top-k parts of the illusion score
(:mod:`illusion.diagnostics.score`) from sentence weights, all directions and replicates at once:

- **Intervals** (``BOOTSTRAP`` replicates): each dataset's sentences are drawn with replacement
  (a sentence drawn twice counts twice in its top-k); the 2.5th and 97.5th percentiles of a figure
  over the replicates are its 95% interval. Figures: range overlap share, concentration,
  separation and the score. These figures take few values (shares of k sentences, of dataset
  pairs): the interval is for the value a fresh sample of the same size typically gives (the
  median over replications), which it covers at about the nominal rate (87-95% on synthetic runs);
  their mean it covers less often, since a top-k figure depends on the dataset's size. ``inconsistency`` (from monotone words) is held at its observed value
  in every replicate, so the score's interval covers the sampling of its top-k parts only.
- **Reliability** of a ranking (``SPLITS`` random halvings): each dataset is cut in two halves at
  random; a ranking computed on each half is compared by Spearman's rank correlation ``r`` (mean
  over the splits); the Spearman-Brown correction ``2r / (1 + r)`` estimates the reliability of the
  ranking at the full size, and the prophecy formula the size it would need to reach
  ``RELIABLE``: ``n * R (1 - rho) / (rho (1 - R))`` sentences per dataset. A ranking below ``RELIABLE``
  is not reliable at this size: its ends are not findings.

Cost: one projection of every sentence on every direction, a partial sort to the ``depth`` highest
per direction, then O(replicates x directions x (depth + k x datasets)); replicates go in blocks so
memory stays O(block x directions x depth).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from illusion.common.chunks import project
from illusion.common.seeds import rng_for

BOOTSTRAP = 200
SPLITS = 10
LEVEL = 0.95
RELIABLE = 0.8  # a ranking's reliability (Spearman-Brown) below this is not reliable at the run's size
CELLS = 4_000_000  # replicates x directions x depth held at once


def top_sorted(vectors: np.ndarray, directions: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Per direction, the ``depth`` highest-scoring sentences (indices, scores), highest first; shape (directions, depth)."""
    scores = project(vectors, directions).T
    depth = min(depth, scores.shape[1])
    if depth < scores.shape[1]:
        part = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    else:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    values = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(values, order, axis=1)


def weighted_top(index: np.ndarray, values: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """The top-k scores (highest first) of every direction when sentence i counts ``weights[r, i]`` times.

    ``index``/``values``: (directions, depth) from :func:`top_sorted`; ``weights``: (replicates, sentences)
    whole numbers. Returns (replicates, directions, k); -inf where fewer than k sentences are weighted in.
    """
    counts = weights[:, index]  # (replicates, directions, depth)
    total = np.cumsum(counts, axis=-1)
    rows, depth = total.shape[0] * total.shape[1], total.shape[2]
    span = int(total[..., -1].max()) + 1
    offsets = np.arange(rows, dtype=np.int64) * span
    flat = (total.reshape(rows, depth) + offsets[:, None]).ravel()
    wanted = (np.arange(k)[None, :] + offsets[:, None]).ravel()
    position = np.searchsorted(flat, wanted, side="right").reshape(rows, k) - (np.arange(rows) * depth)[:, None]
    chosen = np.take_along_axis(np.broadcast_to(values, total.shape).reshape(rows, depth), np.minimum(position, depth - 1), 1)
    return np.where(position < depth, chosen, -np.inf).reshape(total.shape[0], total.shape[1], k)


def top_parts(tops: Sequence[np.ndarray], k: int) -> dict[str, np.ndarray]:
    """Concentration, separation and range-overlap share, (replicates, directions), from each dataset's weighted top-k.

    As ``illusion.run.stats.direction_findings`` computes them: the pooled top-k is the k highest of the
    datasets' top-k lists (ties to the earlier dataset); two datasets' ranges overlap when [min, max] meet.
    """
    datasets = len(tops)
    lows = [np.where(np.isfinite(t), t, np.inf).min(axis=-1) for t in tops]
    highs = [t[..., 0] for t in tops]
    pairs = [(a, b) for a, b in combinations(range(datasets), 2)]
    if pairs:
        overlap = np.mean([(lows[a] <= highs[b]) & (lows[b] <= highs[a]) for a, b in pairs], axis=0)
    else:
        overlap = np.full(tops[0].shape[:2], np.nan)
    pooled = np.concatenate(tops, axis=-1)
    labels = np.repeat(np.arange(datasets), [t.shape[-1] for t in tops])
    size = min(k, int(np.isfinite(pooled).sum(axis=-1).min()))
    chosen = labels[np.argsort(-pooled, axis=-1, kind="stable")[..., :size]]
    largest = (chosen[..., None] == np.arange(datasets)).sum(axis=-2).max(axis=-1) / max(size, 1)
    concentration = np.clip((largest - 1 / datasets) / (1 - 1 / datasets), 0.0, 1.0) if datasets > 1 else largest * np.nan
    return {"overlap": overlap, "concentration": concentration, "separation": 1.0 - overlap}


class Resampler:
    """The top of every direction in every dataset, ready to be recomputed under any sentence weights."""

    def __init__(self, vectors: Mapping[str, np.ndarray], directions: np.ndarray, k: int):
        self.names = sorted(vectors)  # range-overlap pairs go in sorted order, as in stats.json
        self.sizes = {name: len(vectors[name]) for name in self.names}
        self.k, self.directions = k, np.asarray(directions, dtype=np.float32)
        self.vectors = vectors
        self.depth = 4 * k + 40  # enough for k weighted sentences in practice; extended when not
        self.top = {name: top_sorted(vectors[name], self.directions, self.depth) for name in self.names}

    def parts(self, weights: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Top-k parts (replicates, directions) under ``weights[name]`` (replicates, sentences), in blocks of replicates."""
        replicates = len(next(iter(weights.values())))
        block = max(1, CELLS // max(1, len(self.directions) * self.depth))
        found: list[dict[str, np.ndarray]] = []
        for start in range(0, replicates, block):
            tops = []
            for name in self.names:
                these = weights[name][start : start + block]
                k = max(1, min(self.k, int(these.sum(axis=1).min())))
                index, values = self.top[name]
                if index.shape[1] < self.sizes[name] and (these[:, index].sum(axis=-1) < k).any():
                    index, values = self.top[name] = top_sorted(self.vectors[name], self.directions, self.sizes[name])
                tops.append(weighted_top(index, values, these, k))
            found.append(top_parts(tops, self.k))
        return {key: np.concatenate([f[key] for f in found]) for key in found[0]}

    def bootstrap(self, seed: int, replicates: int = BOOTSTRAP) -> dict[str, np.ndarray]:
        """Top-k parts over ``replicates`` resamples with replacement of every dataset's sentences."""
        weights = {}
        for name in self.names:
            n = self.sizes[name]
            drawn = rng_for(seed, f"bootstrap {name}").integers(0, n, size=(replicates, n))
            flat = (drawn + (np.arange(replicates) * n)[:, None]).ravel()
            weights[name] = np.bincount(flat, minlength=replicates * n).reshape(replicates, n)
        return self.parts(weights)

    def half_masks(self, seed: int, splits: int = SPLITS) -> dict[str, np.ndarray]:
        """Per dataset, (splits, sentences) 0/1: 1 for the sentences of each split's first half."""
        return {name: split_masks(self.sizes[name], rng_for(seed, f"halves {name}"), splits) for name in self.names}

    def halves(self, masks: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Top-k parts on the two halves of every split of ``masks`` (:meth:`half_masks`), (splits, directions) each."""
        return self.parts(masks), self.parts({name: 1 - mask for name, mask in masks.items()})


def split_masks(n: int, rng: np.random.Generator, splits: int) -> np.ndarray:
    """(splits, n) 0/1 weights, each row a random half (the smaller half when n is odd) of n sentences."""
    return (np.argsort(rng.random((splits, n)), axis=1) < n // 2).astype(np.int64)


def interval(samples: np.ndarray, level: float = LEVEL) -> np.ndarray:
    """Percentile interval of each column of ``samples`` (replicates, ...): (..., 2); NaN where a column is undefined."""
    tail = (1 - level) / 2 * 100
    bounds = np.full((*samples.shape[1:], 2), np.nan)
    defined = np.isfinite(samples).all(axis=0)
    if defined.any():
        bounds[defined] = np.percentile(samples[:, defined], [tail, 100 - tail], axis=0).T
    return bounds


def spearman_brown(r: float) -> float:
    """Reliability at double the length of a measure whose two halves correlate ``r``."""
    return 2 * r / (1 + r) if r > -1 else -1.0


def size_needed(reliability: float, sentences: float, target: float = RELIABLE) -> int | None:
    """Sentences per dataset at which the Spearman-Brown prophecy reaches ``target`` (None when it never does)."""
    if not reliability > 0:
        return None
    if reliability >= 1:
        return int(sentences)
    return int(np.ceil(round(sentences * target * (1 - reliability) / (reliability * (1 - target)), 6)))


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rank correlation (ties averaged); None when either side is constant or has under 3 values."""
    from scipy.stats import rankdata

    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3:
        return None
    ra, rb = rankdata(a[keep]), rankdata(b[keep])
    if ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def reliability(first: np.ndarray, second: np.ndarray, sentences: float, what: str) -> dict[str, Any]:
    """The split-half reliability of a ranking by the values ``first``/``second`` (splits, items) on the two halves."""
    found = [r for a, b in zip(first, second) if (r := rank_correlation(a, b)) is not None]
    base = {
        "ranking": what,
        "items": int(first.shape[1]),
        "splits": int(first.shape[0]),
        "threshold": RELIABLE,
        "sentences": round(float(sentences)),
    }
    if not found:
        result = {**base, "split_half": None, "range": None, "reliability": None, "reliable": False, "sentences_needed": None}
    else:
        r = float(np.mean(found))
        rho = spearman_brown(r)
        result = {
            **base,
            "split_half": r,
            "range": [min(found), max(found)],
            "reliability": rho,
            "reliable": rho >= RELIABLE,
            "sentences_needed": size_needed(rho, sentences),
        }
    return {**result, "summary": summary(result)}


def summary(found: Mapping[str, Any]) -> str:
    """One sentence on a ranking's reliability, shown by the terminal and the pages."""
    from illusion.common.numbers import score

    if found["reliability"] is None:
        return f"{found['ranking']}: not reliable at this size: the halves' rankings are constant or too short to compare"
    text = (
        f"{found['ranking']}: split-half rank correlation {score(found['split_half'])} over {found['items']} directions, "
        f"reliability {score(found['reliability'])} (Spearman-Brown)"
    )
    if found["reliable"]:
        return text + f", at least {found['threshold']:g}"
    needed = found["sentences_needed"]
    size = f"about {needed} sentences per dataset" if needed else "more sentences than any size (it does not rise with size)"
    return text + f": not reliable at this size ({found['sentences']} sentences per dataset); {found['threshold']:g} needs {size}"


def score_samples(parts: Mapping[str, np.ndarray], fixed: Mapping[str, np.ndarray], used: Sequence[str]) -> np.ndarray:
    """The illusion score per replicate: the mean of the ``used`` parts defined there; ``fixed`` parts held at (directions,)."""
    stack = [parts[p] if p in parts else np.broadcast_to(fixed[p], parts["concentration"].shape) for p in used]
    if not stack:
        return np.full(parts["concentration"].shape, np.nan)
    values = np.stack(stack)
    defined = np.isfinite(values).sum(axis=0)
    return np.where(defined > 0, np.where(np.isfinite(values), values, 0.0).sum(axis=0) / np.maximum(defined, 1), np.nan)


def direction_uncertainty(
    resampler: Resampler,
    ids: Sequence[str],
    scores: Mapping[str, Any],
    seed: int,
    consistency: Callable[[Mapping[str, np.ndarray]], tuple[np.ndarray, np.ndarray] | None] | None = None,
    replicates: int = BOOTSTRAP,
    splits: int = SPLITS,
) -> dict[str, Any]:
    """Intervals of every direction's top-k figures and score, and the score ranking's reliability.

    ``scores`` is the result of :func:`illusion.diagnostics.score.illusion_scores`; ``consistency`` gives the
    word consistency on the two halves of each split of its masks (``monotonicity.split_consistency``), so that
    the halves' scores share nothing but their directions.
    """
    dropped = scores["dropped_parts"]
    used = [p for p in scores["parts"] if p not in dropped]
    fixed = {p: np.array([_nan(scores["directions"][i]["parts"][p]) for i in ids], dtype=np.float64) for p in scores["parts"]}

    def with_score(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {**found, "score": score_samples(found, fixed, used)}

    boot = with_score(resampler.bootstrap(seed, replicates))
    bounds = {key: interval(value) for key, value in boot.items()}
    intervals = {
        identifier: {key: _pair(bounds[key][d]) for key in ("overlap", "concentration", "separation", "score")}
        for d, identifier in enumerate(ids)
    }
    masks = resampler.half_masks(seed, splits)
    halves = list(resampler.halves(masks))
    words = consistency(masks) if consistency and "inconsistency" in used else None
    if words is not None:
        halves = [{**half, "inconsistency": 1.0 - found} for half, found in zip(halves, words)]
    first, second = (with_score(h) for h in halves)
    ranked = [ids.index(i) for i in scores["ranking"] if scores["directions"][i]["role"] == "candidate"]
    sentences = float(np.mean(list(resampler.sizes.values())))
    return {
        "method": (
            f"percentile bootstrap over each dataset's sentences, {replicates} replicates, {LEVEL:.0%}; inconsistency held "
            "at its observed value in the intervals, recomputed on each half for the reliability"
        ),
        "replicates": replicates,
        "level": LEVEL,
        "directions": intervals,
        "reliability": reliability(
            first["score"][:, ranked],
            second["score"][:, ranked],
            sentences,
            "illusion score ranking (likely illusions, label first)",
        ),
    }


def search_reliability(
    vectors: Mapping[str, np.ndarray],
    statistic: Callable[[str, np.ndarray], np.ndarray],
    seed: int,
    what: str,
    splits: int = SPLITS,
) -> dict[str, Any]:
    """Split-half reliability of a ranking by ``statistic(dataset, rows)`` -> (items,), the mean over the datasets.

    ``statistic`` returns NaN for an item it cannot compute on those rows (all NaN for a dataset it cannot use).
    """
    masks = {name: split_masks(len(vectors[name]), rng_for(seed, f"halves {name}"), splits) for name in vectors}
    halves = []
    for side in (1, 0):
        per_split = []
        for s in range(splits):
            found = np.stack([statistic(name, np.flatnonzero(masks[name][s] == side)) for name in vectors])
            counted = np.isfinite(found).sum(axis=0)
            per_split.append(np.where(counted > 0, np.nansum(found, axis=0) / np.maximum(counted, 1), np.nan))
        halves.append(np.stack(per_split))
    sentences = float(np.mean([len(v) for v in vectors.values()]))
    return reliability(halves[0], halves[1], sentences, what)


def _nan(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _pair(bounds: np.ndarray) -> list[float] | None:
    return None if not np.isfinite(bounds).all() else [round(float(bounds[0]), 6), round(float(bounds[1]), 6)]
