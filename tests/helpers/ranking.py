"""The rule a screened top-k list keeps: a float32 brute force's list, but where sentences score closer than float32's rounding."""

from __future__ import annotations

import numpy as np


def float32_rounding(vectors: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Per direction, how far a float32 dot product may be from the exact one (g |d| max|x|, g = n 2^-24 / (1 - n 2^-24))."""
    g = vectors.shape[1] * 2.0**-24 / (1 - vectors.shape[1] * 2.0**-24)
    largest = np.linalg.norm(np.asarray(vectors, dtype=np.float64), axis=1).max()
    return g * np.linalg.norm(directions.astype(np.float64), axis=1) * largest


def assert_brute_force_lists_but_near_ties(
    found: np.ndarray, brute: np.ndarray, vectors: np.ndarray, directions: np.ndarray
) -> int:
    """``found`` lists equal ``brute`` ones, place by place, except between sentences whose exact scores are within
    float32's rounding of each other (twice the bound: both may move); returns how many lists differ."""
    exact = directions.astype(np.float64) @ np.asarray(vectors, dtype=np.float64).T
    tolerance = 2 * float32_rounding(vectors, directions)[:, None]
    gap = np.abs(np.take_along_axis(exact, found, 1) - np.take_along_axis(exact, brute, 1))
    differ = found != brute
    assert (gap[differ] <= np.broadcast_to(tolerance, gap.shape)[differ]).all(), f"largest gap {gap[differ].max()}"
    return int(differ.any(1).sum())
