"""Sanity checks: conditions under which the other diagnostics mean little, each with its reason.

- ``dimensions``: per-dimension spread of the sentence vectors over all datasets. Vectors that barely
  vary (their spread under 1% of their length) make every top-k list an ordering of noise; dimensions
  whose spread is under 1/1000 of the median dimension's are (nearly) constant, and neurons among them
  have no meaningful top-k.
- ``anisotropy``: a mean cosine over all sentence pairs above 0.9 means one common direction dominates
  every vector.
- ``duplicates``: directions of the run with |cosine| >= 0.99 are the same axis; only the first is ranked.
- ``small datasets``: a top-k that is more than 5% of its dataset is not a list of extremes;
  monotonicity on fewer than 30 words, or on mostly stop words, rests on little; a dataset classifier
  tested on fewer than 100 sentences has a wide interval.
- ``roles``: dataset-level samplers (e.g. ``dataset-contrast``) separate datasets by construction and
  are marked, not ranked; baselines (e.g. ``random``) are scored but never suggested.

Cost: one streamed pass over the vectors, O(sentences x dim), and O(directions^2 x dim) for duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from illusion.common.chunks import ROWS_PER_CHUNK, chunks
from illusion.diagnostics.verdicts import wilson
from illusion.run.schema import Separability

NEAR_CONSTANT = 0.01  # spread / length below which vectors barely vary
CONSTANT_DIMENSION = 1e-3  # a dimension's spread over the median dimension's
ANISOTROPY = 0.9
DUPLICATE = 0.99
TOP_K_SHARE = 0.05
MIN_WORDS = 30
MIN_TEST_SIZE = 100


def dimension_spread(vectors: Mapping[str, np.ndarray], rows_per_chunk: int = ROWS_PER_CHUNK) -> dict[str, Any]:
    """Spread (standard deviation) of every dimension over all sentences, summarised, and the vectors' mean length."""
    dim = next(iter(vectors.values())).shape[1]
    total, squares, norms, n = np.zeros(dim), np.zeros(dim), 0.0, 0
    for matrix in vectors.values():
        for _, chunk in chunks(matrix, np.float64, rows_per_chunk):
            total += chunk.sum(axis=0)
            squares += (chunk**2).sum(axis=0)
            norms += float(np.linalg.norm(chunk, axis=1).sum())
            n += len(chunk)
    std = np.sqrt(np.maximum(squares / n - (total / n) ** 2, 0.0))
    median = float(np.median(std))
    length = norms / n
    return {
        "median_std": median,
        "min_std": float(std.min()),
        "max_std": float(std.max()),
        "mean_length": length,
        "relative_spread": float(np.sqrt((std**2).sum()) / length) if length > 0 else 0.0,
        "constant": np.flatnonzero(std <= CONSTANT_DIMENSION * median).tolist() if median > 0 else list(range(dim)),
    }


def duplicates(directions: np.ndarray, ids: Sequence[str], threshold: float = DUPLICATE) -> dict[str, str]:
    """Each direction that (nearly) repeats an earlier one, mapped to the first of them."""
    unit = np.asarray(directions, dtype=np.float64)
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    cosine = np.abs(unit @ unit.T)
    found: dict[str, str] = {}
    for later in range(len(ids)):
        first = [e for e in np.flatnonzero(cosine[later, :later] >= threshold) if ids[e] not in found]
        if first:
            found[ids[later]] = ids[first[0]]
    return found


def checks(
    spread: Mapping[str, Any],
    anisotropy: Mapping[str, Any],
    duplicated: Mapping[str, str],
    sizes: Mapping[str, int],
    k: int,
    monotonicity: Mapping[str, Any],
    classifier: Separability,
    roles: Mapping[str, str],
    dim: int,
) -> list[dict[str, Any]]:
    """Every check that fired: ``check``, ``severity`` (``warning``: findings may be artefacts; ``note``) and ``message``."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    found = []

    def fire(check: str, severity: str, message: str) -> None:
        found.append({"check": check, "severity": severity, "message": message})

    if spread["relative_spread"] < NEAR_CONSTANT:
        fire(
            "near-constant vectors",
            "warning",
            f"sentence vectors barely vary: their spread is {spread['relative_spread']:.2%} of their length "
            f"(median dimension spread {spread['median_std']:.2g}); top-k lists, separability and the illusion score may order noise",
        )
    if spread["constant"]:
        fire(
            "constant dimensions",
            "warning",
            f"{len(spread['constant'])} of {dim} dimensions are (nearly) constant (spread under 1/1000 of the median): "
            "neurons among them have no meaningful top-k",
        )
    if anisotropy.get("overall") is not None and anisotropy["overall"] > ANISOTROPY:
        fire(
            "extreme anisotropy",
            "warning",
            f"the mean cosine between any two sentences is {anisotropy['overall']:.3f}: one common direction dominates "
            "every vector, so activations differ mostly by its length",
        )
    if duplicated:
        pairs = ", ".join(f"{a} = {b}" for a, b in duplicated.items())
        fire(
            "duplicate directions",
            "note",
            f"directions that repeat an earlier one (|cosine| >= {DUPLICATE}), ranked once: {pairs}",
        )
    small = {name: size for name, size in sizes.items() if k / size > TOP_K_SHARE}
    if small:
        listed = ", ".join(f"{name} ({k / size:.0%})" for name, size in small.items())
        fire("small datasets", "note", f"the top-{k} is more than {TOP_K_SHARE:.0%} of: {listed}; its sentences are not extremes")
    words = monotonicity.get("word_list", [])
    stop = [w for w in words if w in ENGLISH_STOP_WORDS]
    if len(words) < MIN_WORDS or (words and len(stop) > len(words) / 2):
        fire(
            "few monotonicity words",
            "warning",
            f"monotonicity rests on {len(words)} words ({len(stop)} of them stop words) that occur "
            f"{monotonicity.get('min_count')} times in every dataset: its shares and the score's inconsistency part say little",
        )
    test_size, accuracy = classifier.test_size, classifier.accuracy
    if accuracy is not None and test_size and test_size < MIN_TEST_SIZE:
        interval = wilson(round(accuracy * test_size), test_size)
        assert interval is not None  # test_size > 0 here
        low, high = interval
        fire(
            "small classifier test",
            "note",
            f"the dataset classifier was tested on {test_size} sentences: accuracy 95% interval {low:.0%}-{high:.0%}",
        )
    for condition, role in roles.items():
        if role == "dataset-level":
            fire("dataset-level directions", "note", f"{condition}: separates datasets by construction; marked, not ranked")
    return found


def sanity(
    vectors: Mapping[str, np.ndarray],
    directions: np.ndarray,
    ids: Sequence[str],
    roles: Mapping[str, str],
    k: int,
    anisotropy: Mapping[str, Any],
    monotonicity: Mapping[str, Any],
    classifier: Separability,
) -> dict[str, Any]:
    """The ``sanity`` section of ``diagnostics.json``."""
    spread = dimension_spread(vectors)
    duplicated = duplicates(directions, ids)
    sizes = {name: len(matrix) for name, matrix in vectors.items()}
    dim = np.asarray(directions).shape[1]
    return {
        "dimensions": spread,
        "duplicates": duplicated,
        "roles": dict(roles),
        "checks": checks(spread, anisotropy, duplicated, sizes, k, monotonicity, classifier, roles, dim),
    }
