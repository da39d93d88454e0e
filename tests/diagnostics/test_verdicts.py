"""Verdict statistics: the rank test for many directions, the power estimate, Wilson intervals, counted verdicts."""

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, norm
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import proportion_confint

from illusion.diagnostics.search import search
from illusion.diagnostics.verdicts import matches_for_power, rank_test, verdict, wilson


def test_rank_test_matches_scipy_and_sklearn_column_by_column():
    rng = np.random.default_rng(0)
    matches = rng.random(300) < 0.2
    scores = rng.standard_normal((300, 5)) + np.outer(matches, [0.0, 0.5, 1.0, -1.0, 2.0])
    auroc, p = rank_test(scores, matches)
    for column in range(5):
        assert auroc[column] == pytest.approx(roc_auc_score(matches, scores[:, column]))
        assert p[column] == pytest.approx(
            mannwhitneyu(scores[matches, column], scores[~matches, column], alternative="greater").pvalue
        )


def test_the_matches_needed_give_the_promised_power():
    """Simulate datasets with the estimated number of matches: the test rejects about 8 times in 10."""
    rng = np.random.default_rng(1)
    shift, base_rate, alpha = 0.6, 0.1, 0.05
    auroc = float(norm.cdf(shift / np.sqrt(2)))  # AUROC of two unit normals shift apart
    needed = matches_for_power(auroc, base_rate, alpha)
    others = round(needed * (1 - base_rate) / base_rate)
    rejected = [
        mannwhitneyu(rng.standard_normal(needed) + shift, rng.standard_normal(others), alternative="greater").pvalue < alpha
        for _ in range(400)
    ]
    assert 0.72 <= np.mean(rejected) <= 0.88
    assert matches_for_power(auroc, base_rate, alpha / 4) > needed  # a stricter alpha needs more
    assert matches_for_power(0.5, base_rate, alpha) is None and matches_for_power(None, base_rate, alpha) is None


def test_wilson_intervals_agree_with_statsmodels():
    for successes, n in ((0, 10), (3, 10), (10, 10), (7, 25)):
        assert wilson(successes, n) == pytest.approx(list(proportion_confint(successes, n, method="wilson")), abs=1e-6)
    assert wilson(0, 0) is None


def test_untestable_datasets_are_counted_apart_from_failures():
    assert verdict({"a": True, "b": True, "c": True, "d": None, "e": None}) == {
        "verdict": "holds in all testable",
        "counts": {"holds": 3, "fails": 0, "untestable": 2},
        "summary": "holds in 3 of 3 testable datasets; 2 untestable",
    }
    assert verdict({"a": True, "b": False})["verdict"] == "holds in some"
    assert verdict({"a": False, "b": None})["verdict"] == "holds in none"
    assert verdict({"a": None})["verdict"] == "untestable"


def test_search_ranks_the_direction_that_tracks_the_concept_first():
    rng = np.random.default_rng(2)
    dim = 6
    vectors, matches = {}, {}
    for name in ("a", "b", "c"):
        matches[name] = rng.random(400) < (0.3 if name != "c" else 0.005)
        vectors[name] = rng.standard_normal((400, dim)).astype(np.float32)
        vectors[name][:, 4] += 1.5 * matches[name]
    result = search(vectors, matches, [f"n{i}" for i in range(dim)], np.eye(dim, dtype=np.float32))
    best = result["directions"][0]
    assert best["direction"] == "n4" and best["verdict"] == "holds in all testable"
    assert best["counts"] == {"holds": 2, "fails": 0, "untestable": 1} and best["per_dataset"]["c"]["auroc"] is None
    assert result["datasets"]["c"]["testable"] is False and result["alpha_per_dataset"] == pytest.approx(0.025)
    assert result["groups"]["holds in all testable"] == 1 and sum(result["groups"].values()) == dim
