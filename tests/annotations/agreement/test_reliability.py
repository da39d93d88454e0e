"""Coefficients against published reference values, and their behaviour on perfect and random labels."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from illusion.annotations.agreement.reliability import (
    cohen,
    estimate,
    field_reliability,
    fleiss,
    krippendorff_alpha,
    pair_tables,
    percent_agreement,
    value_counts,
)

NAN = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers x 12 units, values 1-5, missing data.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)
# Fleiss (1971): 10 subjects, 14 raters, 5 categories (counts per subject).
FLEISS_1971 = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)
ANNOTATORS = ["a", "b", "c", "d"]


def codes_of(data: np.ndarray) -> np.ndarray:
    """Values 1-5 as category indices 0-4, shaped (annotators, sets, 1 unit)."""
    return (data - 1)[:, :, None]


@pytest.mark.parametrize(("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_reference_with_missing_data(level, expected):
    counts = value_counts(codes_of(KRIPPENDORFF_2011), 5).reshape(-1, 5)
    alpha = krippendorff_alpha(counts, level, values=[1, 2, 3, 4, 5])
    assert alpha == pytest.approx(expected, abs=5e-4)
    # the same number as the library computes from the raw ratings
    assert alpha == pytest.approx(krippendorff.alpha(reliability_data=KRIPPENDORFF_2011, level_of_measurement=level))


def test_fleiss_reference():
    assert fleiss(FLEISS_1971) == pytest.approx(0.210, abs=5e-4)


def test_cohen_reference_from_table_and_from_ratings():
    assert cohen(np.array([[20, 5], [10, 15]]), "nominal") == pytest.approx(0.400)
    a = np.array([0] * 25 + [1] * 25, dtype=float)[:, None]
    b = np.array([0] * 20 + [1] * 5 + [0] * 10 + [1] * 15, dtype=float)[:, None]
    assert cohen(pair_tables(a, b, 2).sum(axis=0), "nominal") == pytest.approx(0.400)


def test_weighted_cohen_matches_scikit_learn():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, 60)
    b = np.clip(a + rng.integers(-1, 2, 60), 0, 4)
    table = pair_tables(a[:, None].astype(float), b[:, None].astype(float), 5).sum(axis=0)
    assert cohen(table, "ordinal") == pytest.approx(cohen_kappa_score(a, b, weights="linear"))


def test_percent_agreement_by_hand():
    # two annotators agree on 2 of 3 sets; three annotators split 2-1 on a fourth set (1 of 3 pairs agree)
    counts = np.array([[2, 0], [0, 2], [1, 1], [2, 1]])
    assert percent_agreement(counts) == pytest.approx((1 + 1 + 0 + 1 / 3) / 4)


def test_field_reliability_on_the_reference_data():
    result = field_reliability(
        codes_of(KRIPPENDORFF_2011), ANNOTATORS, "nominal", [1, 2, 3, 4, 5], n_resamples=200, seed=1, key="ref"
    )
    assert result["sets"] == 12 and result["pairable_sets"] == 11  # unit 12 has one rating
    assert result["krippendorff_alpha"]["value"] == pytest.approx(0.743, abs=5e-4)
    low, high = result["krippendorff_alpha"]["ci"]
    assert low < 0.743 < high
    assert result["fleiss_kappa"]["value"] is None and "same number" in result["fleiss_kappa"]["reason"]
    pairs = {tuple(entry["annotators"]): entry for entry in result["cohen_kappa"]}
    assert len(pairs) == 6
    # observers 1 and 2 rate units 1-9 together and differ only on unit 6
    expected = cohen_kappa_score(KRIPPENDORFF_2011[0, :9], KRIPPENDORFF_2011[1, :9])
    assert pairs[("a", "b")]["value"] == pytest.approx(expected) and pairs[("a", "b")]["n"] == 9


def test_ordinal_field_has_alpha_at_its_level_and_no_fleiss():
    result = field_reliability(
        codes_of(KRIPPENDORFF_2011), ANNOTATORS, "ordinal", [1, 2, 3, 4, 5], n_resamples=0, seed=1, key="ref"
    )
    assert result["krippendorff_alpha"]["value"] == pytest.approx(0.815, abs=5e-4)
    assert result["fleiss_kappa"] is None
    assert all(entry["weights"] == "linear" for entry in result["cohen_kappa"])
    assert result["krippendorff_alpha"]["ci"] is None and "--bootstrap 0" in result["krippendorff_alpha"]["reason"]


def test_no_pairable_set_says_so():
    codes = np.array([[[0.0], [NAN]], [[NAN], [1.0]]])
    result = field_reliability(codes, ["a", "b"], "nominal", ["yes", "no"], n_resamples=100, seed=0, key="x")
    assert result["krippendorff_alpha"]["value"] is None
    assert "two ratings" in result["krippendorff_alpha"]["reason"]
    assert result["cohen_kappa"] == []


def test_bootstrap_is_deterministic_for_a_seed_and_resamples_sets():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 80)
    codes = np.stack([truth, np.where(rng.random(80) < 0.8, truth, 1 - truth)]).astype(float)[:, :, None]
    run = [
        field_reliability(codes, ["a", "b"], "nominal", ["yes", "no"], n_resamples=300, seed=seed, key="k") for seed in (5, 5, 6)
    ]
    assert run[0] == run[1]
    assert run[0]["krippendorff_alpha"]["ci"] != run[2]["krippendorff_alpha"]["ci"]
    low, high = run[0]["krippendorff_alpha"]["ci"]
    assert low < run[0]["krippendorff_alpha"]["value"] < high
    assert 0.1 < high - low < 0.6


def test_estimate_drops_undefined_resamples_and_counts_them():
    data = np.array([0.0, 0.0, 0.0, 1.0])
    result = estimate(
        lambda idx: 1.0 / data[idx].sum() if data[idx].sum() else np.nan, [4], n_resamples=200, seed=0, key="k", undefined="-"
    )
    assert result["value"] == 1.0
    assert 0 < result["undefined_resamples"] < 200
    assert result["ci"][0] <= 1.0 <= result["ci"][1]


nominal_ratings = st.lists(st.integers(0, 3), min_size=4, max_size=60).filter(lambda xs: len(set(xs)) >= 2)


@given(values=nominal_ratings, raters=st.integers(2, 5))
@settings(max_examples=60, deadline=None)
def test_perfect_agreement_gives_one(values, raters):
    codes = np.tile(np.array(values, dtype=float)[None, :, None], (raters, 1, 1))
    counts = value_counts(codes, 4).reshape(-1, 4)
    assert krippendorff_alpha(counts, "nominal") == pytest.approx(1.0)
    assert krippendorff_alpha(counts, "ordinal") == pytest.approx(1.0)
    assert fleiss(counts) == pytest.approx(1.0)
    assert percent_agreement(counts) == pytest.approx(1.0)
    assert cohen(pair_tables(codes[0], codes[1], 4).sum(axis=0), "nominal") == pytest.approx(1.0)


@given(seed=st.integers(0, 2**32 - 1), categories=st.integers(2, 4))
@settings(max_examples=40, deadline=None)
def test_randomly_permuted_labels_give_about_zero(seed, categories):
    # the second annotator's labels are the first's shuffled: same marginals, no association
    rng = np.random.default_rng(seed)
    first = rng.integers(0, categories, 1000)
    codes = np.stack([first, rng.permutation(first)]).astype(float)[:, :, None]
    counts = value_counts(codes, categories).reshape(-1, categories)
    for coefficient in (
        krippendorff_alpha(counts, "nominal"),
        fleiss(counts),
        cohen(pair_tables(codes[0], codes[1], categories).sum(axis=0), "nominal"),
    ):
        assert abs(coefficient) < 0.15


@given(values=nominal_ratings, lonely=st.integers(0, 3))
@settings(max_examples=40, deadline=None)
def test_a_set_with_one_rating_changes_nothing(values, lonely):
    rng = np.random.default_rng(len(values))
    second = np.array(values)[rng.permutation(len(values))]
    codes = np.stack([values, second]).astype(float)[:, :, None]
    with_lonely = np.concatenate([codes, np.array([[[lonely]], [[NAN]]])], axis=1)
    before = krippendorff_alpha(value_counts(codes, 4).reshape(-1, 4), "nominal")
    after = krippendorff_alpha(value_counts(with_lonely, 4).reshape(-1, 4), "nominal")
    assert after == pytest.approx(before, nan_ok=True)
