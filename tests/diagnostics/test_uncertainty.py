"""Intervals and ranking reliability (illusion.diagnostics.uncertainty) on synthetic runs with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from illusion.diagnostics.score import parts
from illusion.diagnostics.uncertainty import (
    Resampler,
    interval,
    rank_correlation,
    reliability,
    size_needed,
    spearman_brown,
    split_masks,
    top_sorted,
    weighted_top,
)
from illusion.run.stats import direction_findings
from illusion.run.topk import extremes


def planted(seed: int, sizes: tuple[int, ...], strengths: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Datasets of sentence vectors whose activation on direction d (the d-th basis vector) is shifted by
    ``strengths[d] x dataset number``: the larger the strength, the more the top-k comes from the last dataset."""
    rng = np.random.default_rng(seed)
    directions = np.eye(len(strengths), dtype=np.float32)
    vectors = {}
    for number, n in enumerate(sizes):
        vectors[f"d{number}"] = (rng.standard_normal((n, len(strengths))) + number * strengths).astype(np.float32)
    return vectors, directions


def test_unit_weights_reproduce_the_runs_own_parts():
    vectors, directions = planted(0, (150, 120, 90), np.linspace(0, 1.5, 12))
    k = 10
    found = {name: extremes(v, directions, k) for name, v in vectors.items()}
    ids = [f"neuron:{d}" for d in range(len(directions))]
    findings = direction_findings(
        {name: (np.asarray(f.top_index), np.asarray(f.top_score)) for name, f in found.items()}, ids, ["neuron"] * len(ids), k
    )
    resampler = Resampler(vectors, directions, k)
    got = resampler.parts({name: np.ones((1, len(v)), dtype=np.int64) for name, v in vectors.items()})
    for d, identifier in enumerate(ids):
        expected = parts(findings[identifier], None, len(vectors))
        assert got["concentration"][0, d] == pytest.approx(expected["concentration"])
        assert got["separation"][0, d] == pytest.approx(expected["separation"])


def test_weights_count_a_sentence_as_often_as_drawn():
    index, values = top_sorted(np.array([[0.1], [0.9], [0.5], [0.7]], dtype=np.float32), np.eye(1, dtype=np.float32), 4)
    weights = np.array([[1, 3, 0, 0], [1, 0, 1, 1], [1, 0, 0, 0]])
    top = weighted_top(index, values, weights, 3)
    assert top[0, 0].tolist() == pytest.approx([0.9, 0.9, 0.9])
    assert top[1, 0].tolist() == pytest.approx([0.7, 0.5, 0.1])
    assert top[2, 0, 0] == pytest.approx(0.1) and np.isneginf(top[2, 0, 1:]).all()  # one sentence drawn: no top-3


def with_score(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The parts and the score as a run without monotone words has it: the mean of concentration and separation."""
    return {**found, "score": (found["concentration"] + found["separation"]) / 2}


def test_interval_covers_the_typical_value_at_about_the_nominal_rate():
    """Per direction, the 95% bootstrap interval of one sample against the known answer: the median over fresh
    samples of the same size (the figures take few values, so the median is what a replication typically gives)."""
    strengths = np.repeat(np.linspace(0.0, 1.2, 20), 4)  # 80 directions, each an independent trial
    sizes = (300, 300, 300)
    truth: dict[str, list[np.ndarray]] = {"concentration": [], "separation": [], "score": []}
    for fresh in range(50):
        vectors, directions = planted(100 + fresh, sizes, strengths)
        ones = {n: np.ones((1, len(v)), dtype=np.int64) for n, v in vectors.items()}
        found = with_score(Resampler(vectors, directions, 10).parts(ones))
        for key in truth:
            truth[key].append(found[key][0])
    expected = {key: np.median(values, axis=0) for key, values in truth.items()}
    covered: dict[str, list[np.ndarray]] = {key: [] for key in truth}
    for trial in range(6):
        vectors, directions = planted(7 + trial, sizes, strengths)
        boot = with_score(Resampler(vectors, directions, 10).bootstrap(seed=trial))
        for key in truth:
            bounds = interval(boot[key])
            covered[key].append((bounds[:, 0] - 1e-9 <= expected[key]) & (expected[key] <= bounds[:, 1] + 1e-9))
    for key, hits in covered.items():
        rate = float(np.mean(hits))
        assert 0.85 <= rate <= 0.99, f"{key}: the 95% interval covers the known value in {rate:.0%} of directions"


def test_split_half_is_near_one_for_planted_directions_and_near_zero_for_noise():
    strengths = np.linspace(0.0, 2.0, 30)
    vectors, directions = planted(3, (400, 400, 400), strengths)
    resampler = Resampler(vectors, directions, 10)
    first, second = resampler.halves(resampler.half_masks(seed=0))
    strong = reliability(
        first["separation"] + first["concentration"], second["separation"] + second["concentration"], 400, "planted"
    )
    assert strong["split_half"] > 0.8 and strong["reliable"]

    noise, directions = planted(4, (400, 400, 400), np.zeros(30))
    resampler = Resampler(noise, directions, 10)
    first, second = resampler.halves(resampler.half_masks(seed=0))
    null = reliability(first["separation"] + first["concentration"], second["separation"] + second["concentration"], 400, "noise")
    assert abs(null["split_half"]) < 0.25 and not null["reliable"]
    assert null["sentences_needed"] is None or null["sentences_needed"] > 400


def test_spearman_brown_and_the_size_it_needs():
    assert spearman_brown(0.5) == pytest.approx(2 / 3)
    assert spearman_brown(0.0) == 0.0
    # rho 0.5 at 100 sentences: the prophecy factor to reach 0.8 is 0.8 * 0.5 / (0.5 * 0.2) = 4
    assert size_needed(0.5, 100) == 400
    assert size_needed(0.9, 100) == 45
    assert size_needed(-0.1, 100) is None


def test_rank_correlation_of_constant_or_short_rankings_is_undefined():
    assert rank_correlation(np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 3.0])) is None
    assert rank_correlation(np.array([1.0, 2.0]), np.array([1.0, 2.0])) is None
    assert rank_correlation(np.array([1.0, 2.0, 3.0, 4.0]), np.array([4.0, 3.0, 2.0, 1.0])) == pytest.approx(-1.0)
    found = reliability(np.ones((3, 5)), np.ones((3, 5)), 100, "flat")
    assert found["reliability"] is None and not found["reliable"]


def test_split_masks_are_halves_and_seeded():
    masks = split_masks(11, np.random.default_rng(0), 4)
    assert masks.shape == (4, 11) and (masks.sum(axis=1) == 5).all()
    assert (masks == split_masks(11, np.random.default_rng(0), 4)).all()
    assert len({tuple(row) for row in masks}) > 1
