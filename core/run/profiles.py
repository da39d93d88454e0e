"""Activation profiles: per direction and dataset, a histogram of activations and sentences sampled across activation levels.

A direction's bins are shared by all datasets (equal width over the direction's range over all of
them, known from the top/bottom-k), so datasets compare bin by bin. The range is also split into
``INTERVALS`` equal activation intervals (``BINS // INTERVALS`` bins each); from each, up to k
sentences are drawn uniformly without replacement, seeded: every sentence of a dataset gets a
seeded random key and each interval keeps the k sentences with the smallest keys.

One streaming pass over each dataset's vectors per block of directions; memory is
O(``CELLS`` + directions x (bins + intervals x k)), whatever the number of sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from illusion.common.chunks import chunks
from illusion.common.seeds import rng_for
from illusion.run.folder import (
    PROFILE_HISTOGRAMS,
    PROFILE_RANGE,
    PROFILE_SAMPLE_SCORES,
    PROFILE_SAMPLES,
    PROFILE_SENTENCES,
    RunFolder,
)
from illusion.run.schema import ProfileSentence

BINS = 40
INTERVALS = 5
CELLS = 1 << 21  # activations held at once: sentences x directions of one block


@dataclass
class Profiles:
    """Rows in the run's direction order; datasets in the run's order."""

    range: np.ndarray  # (directions, 2) float32: the shared [low, high] of each direction's bins
    histograms: np.ndarray  # (directions, datasets, BINS) uint32: sentences per bin
    samples: np.ndarray  # (directions, datasets, INTERVALS, k) int32: sentence index in its dataset, -1 where fewer
    sample_scores: np.ndarray  # same shape, float32: the activations (NaN where no sentence)


def shared_range(bottom: Sequence[np.ndarray], top: Sequence[np.ndarray]) -> np.ndarray:
    """Per direction [lowest, highest] activation over all datasets, from each dataset's ranked bottom and top scores."""
    low = np.min([scores[:, 0] for scores in bottom], axis=0).astype(np.float32)
    high = np.max([scores[:, 0] for scores in top], axis=0).astype(np.float32)
    return np.stack([low, np.where(high > low, high, low + 1)], axis=1)  # a constant direction gets one unit of range


def bin_of(scores: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The bin (0 .. BINS-1) of each activation; ``low``/``high`` broadcast over the last axis (directions)."""
    return np.clip(((scores - low) * (BINS / (high - low))).astype(np.int64), 0, BINS - 1)


@dataclass
class Partial:
    """One dataset's profile summary over some of its sentences: mergeable with the others' (:func:`merge`)."""

    histograms: np.ndarray  # (directions, BINS) int64
    key: np.ndarray  # (directions, INTERVALS, k) float32: the sampled sentences' random keys (inf where none)
    index: np.ndarray  # same shape, int64: their index in the dataset, -1 where none
    score: np.ndarray  # same shape, float32: their activations


def sentence_keys(seed: int, name: str, start: int, count: int) -> np.ndarray:
    """The seeded random keys of sentences ``start .. start + count`` of dataset ``name`` (any part alone gives the same)."""
    rng = rng_for(seed, f"profiles:{name}")
    cast(np.random.PCG64, rng.bit_generator).advance(start)  # one 64-bit draw per key
    return rng.random(count).astype(np.float32)


def dataset_profile(
    vectors: np.ndarray, directions: np.ndarray, ranges: np.ndarray, k: int, keys: np.ndarray, start: int = 0
) -> Partial:
    """Histograms and samples of sentences ``start ..`` of one dataset (``vectors``, with their ``keys``)."""
    count = len(directions)
    histograms = np.zeros((count, BINS), dtype=np.int64)
    best_key = np.full((count, INTERVALS, k), np.inf, dtype=np.float32)
    best_index = np.full((count, INTERVALS, k), -1, dtype=np.int64)
    best_score = np.full((count, INTERVALS, k), np.nan, dtype=np.float32)
    step = max(1, min(count, CELLS // 256))
    for first in range(0, count, step):
        part = slice(first, first + step)
        block, low, high = np.asarray(directions[part], dtype=np.float32), ranges[part, 0], ranges[part, 1]
        for offset, rows in chunks(vectors, rows=max(256, CELLS // len(block))):
            scores = rows @ block.T  # (rows, directions of the block)
            bins = bin_of(scores, low, high)
            offsets = bins + np.arange(len(block)) * BINS
            histograms[part] += np.bincount(offsets.ravel(), minlength=len(block) * BINS).reshape(len(block), BINS)
            interval = bins // (BINS // INTERVALS)
            index = np.broadcast_to(np.arange(start + offset, start + offset + len(rows))[:, None], scores.shape)
            for j in range(INTERVALS):
                candidate = np.where(interval == j, keys[offset : offset + len(rows), None], np.inf)
                _keep_smallest(candidate, index, scores, best_key[part, j], best_index[part, j], best_score[part, j])
    return Partial(histograms, best_key, best_index, best_score)


def merge(parts: Sequence[Partial]) -> Partial:
    """The profile of the sentences of all ``parts`` together: histograms add up, each interval keeps the k smallest keys."""
    first = parts[0]
    histograms = np.sum([part.histograms for part in parts], axis=0)
    merged = Partial(histograms, first.key.copy(), first.index.copy(), first.score.copy())
    for part in parts[1:]:
        for j in range(INTERVALS):
            key, index, score = (np.ascontiguousarray(a[:, j].T) for a in (part.key, part.index, part.score))
            _keep_smallest(key, index, score, merged.key[:, j], merged.index[:, j], merged.score[:, j])
    return merged


def _keep_smallest(key, index, score, best_key, best_index, best_score) -> None:
    """Merge one chunk's candidates (rows x directions) into the running k smallest keys per direction, in place."""
    key = np.concatenate([best_key.T, key])
    k = best_key.shape[1]
    keep = np.argpartition(key, k - 1, axis=0)[:k]
    best_key[:] = np.take_along_axis(key, keep, 0).T
    best_index[:] = np.take_along_axis(np.concatenate([best_index.T, index]), keep, 0).T
    best_score[:] = np.take_along_axis(np.concatenate([best_score.T, score]), keep, 0).T
    best_index[~np.isfinite(best_key)] = -1


def compute(
    vectors: Mapping[str, np.ndarray],
    directions: np.ndarray,
    extremes: Mapping[str, Any],
    k: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> Profiles:
    """Profiles of every direction in every dataset (``vectors``: dataset name -> vectors, in the run's order).

    ``extremes[name]`` is that dataset's ``topk.Extremes``: its ranked scores give the shared ranges.
    """
    names = list(vectors)
    ranges = shared_range([extremes[n].bottom_score for n in names], [extremes[n].top_score for n in names])
    parts = []
    for name in names:
        keys = sentence_keys(seed, name, 0, len(vectors[name]))
        parts.append(dataset_profile(vectors[name], directions, ranges, k, keys))
        if progress:
            progress(1)
    return assemble(ranges, parts)


def assemble(ranges: np.ndarray, parts: Sequence[Partial]) -> Profiles:
    """The run's profiles from each dataset's (merged) partial profile, datasets in the run's order."""
    for part in parts:
        part.score[part.index < 0] = np.nan
    histograms, samples, scores = (
        np.stack([getattr(part, a) for part in parts], axis=1) for a in ("histograms", "index", "score")
    )
    order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), axis=-1, kind="stable")  # each interval's samples, highest first
    return Profiles(
        ranges,
        histograms.astype(np.uint32),
        np.take_along_axis(samples, order, -1).astype(np.int32),
        np.take_along_axis(scores, order, -1),
    )


def write(folder: RunFolder, profiles: Profiles, records: Mapping[str, Sequence[Any]]) -> None:
    """Write the profile files; ``records``: dataset name -> its records, in the run's order."""
    folder.write_npy(PROFILE_RANGE, profiles.range)
    folder.write_npy(PROFILE_HISTOGRAMS, profiles.histograms)
    folder.write_npy(PROFILE_SAMPLES, profiles.samples)
    folder.write_npy(PROFILE_SAMPLE_SCORES, profiles.sample_scores)
    rows = []
    for number, (name, dataset) in enumerate(records.items()):
        for index in np.unique(profiles.samples[:, number]):
            if index >= 0:
                rows.append(ProfileSentence(dataset=name, index=int(index), id=dataset[index].id, text=dataset[index].text))
    folder.write_rows(PROFILE_SENTENCES, rows)


def read(folder: RunFolder) -> tuple[Profiles, dict[tuple[str, int], ProfileSentence]] | None:
    """The run's profiles and sampled sentences by (dataset, index); None for runs made before profiles existed."""
    names = (PROFILE_RANGE, PROFILE_HISTOGRAMS, PROFILE_SAMPLES, PROFILE_SAMPLE_SCORES, PROFILE_SENTENCES)
    if not all(folder.has(name) for name in names):
        return None
    profiles = Profiles(*(folder.read_npy(name) for name in names[:4]))
    sentences = {(row.dataset, row.index): row for row in folder.profile_sentences()}
    return profiles, sentences
