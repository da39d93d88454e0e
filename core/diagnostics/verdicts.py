"""The statistics behind a concept verdict: a rank test for many directions at once, the matches a
dataset needs for the test to have power, intervals on shares, and the verdict with its counts.

- ``rank_test``: AUROC = U / (n1 n0) of each column of scores for matching against other sentences,
  with the one-sided Mann-Whitney U p-value (scipy, ties corrected).
- ``matches_for_power``: Noether's (1987) sample size for the Mann-Whitney test: with a share c of
  matching sentences and AUROC A, N = (z[1-alpha] + z[power])^2 / (12 c (1 - c) (A - 1/2)^2) sentences,
  of which c N = (z[1-alpha] + z[power])^2 / (12 (1 - c) (A - 1/2)^2) match.
- ``wilson``: the 95% Wilson score interval of a share of k sentences.
- ``benjamini_hochberg``: q-values of many p-values, for a set of hits with a controlled false discovery rate.
- ``verdict``: "holds in all testable", "holds in some", "holds in none" or "untestable", with the
  datasets where it holds, fails or could not be tested counted separately.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

POWER = 0.8
COLUMNS = 256  # directions tested together: memory O(sentences x COLUMNS)


def rank_test(scores: np.ndarray, matches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(AUROC, one-sided p-value) per column of ``scores`` (sentences x directions) for ``matches`` vs the rest."""
    from scipy.stats import mannwhitneyu

    matches = np.asarray(matches, dtype=bool)
    scores = np.asarray(scores)
    aurocs, pvalues = [], []
    for start in range(0, scores.shape[1], COLUMNS):
        block = np.asarray(scores[:, start : start + COLUMNS], dtype=np.float64)
        u, p = mannwhitneyu(block[matches], block[~matches], alternative="greater", axis=0)
        aurocs.append(np.asarray(u, dtype=np.float64) / (matches.sum() * (~matches).sum()))
        pvalues.append(np.asarray(p, dtype=np.float64))
    return np.concatenate(aurocs), np.concatenate(pvalues)


def matches_for_power(auroc: float | None, base_rate: float, alpha: float, power: float = POWER) -> int | None:
    """Matching sentences a dataset needs for the one-sided rank test at ``alpha`` to reach ``power`` at ``auroc``."""
    from scipy.stats import norm

    if auroc is None or not auroc > 0.5 or not 0 <= base_rate < 1:
        return None
    z = norm.ppf(1 - alpha) + norm.ppf(power)
    return math.ceil(z**2 / (12 * (1 - base_rate) * (auroc - 0.5) ** 2))


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg q-values: the smallest false discovery rate at which each p-value's test is a discovery."""
    p = np.asarray(pvalues, dtype=np.float64)
    if not len(p):
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.empty_like(p)
    q[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return q.tolist()


def wilson(successes: int, n: int, z: float = 1.959964) -> list[float] | None:
    """The 95% Wilson score interval [low, high] of ``successes`` out of ``n`` (None when n is 0)."""
    if n <= 0:
        return None
    share = successes / n
    centre = (share + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(share * (1 - share) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return [max(0.0, centre - half), min(1.0, centre + half)]


def verdict(holds: Mapping[str, bool | None]) -> dict[str, Any]:
    """The verdict over datasets (True holds, False fails, None untestable), with the counts and one sentence."""
    counts = {
        "holds": sum(v is True for v in holds.values()),
        "fails": sum(v is False for v in holds.values()),
        "untestable": sum(v is None for v in holds.values()),
    }
    testable = counts["holds"] + counts["fails"]
    if not testable:
        label = "untestable"
    elif counts["holds"] == testable:
        label = "holds in all testable"
    else:
        label = "holds in some" if counts["holds"] else "holds in none"
    summary = f"holds in {counts['holds']} of {testable} testable dataset{'s' if testable != 1 else ''}"
    if counts["untestable"]:
        summary += f"; {counts['untestable']} untestable"
    return {"verdict": label, "counts": counts, "summary": summary}
