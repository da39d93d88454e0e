"""find-concept's null, q-values and order reliability (illusion.diagnostics.search) on synthetic searches with known nulls."""

from __future__ import annotations

import numpy as np
import pytest

from illusion.diagnostics.search import search
from illusion.diagnostics.verdicts import benjamini_hochberg


def synthetic(seed: int, real: int, null: int, baseline: int, shift: float = 1.0, n: int = 300):
    """Two datasets whose matching sentences (10%) are shifted along the first ``real`` basis directions only."""
    rng = np.random.default_rng(seed)
    dim = real + null + baseline
    vectors, matches = {}, {}
    for name in ("a", "b"):
        found = rng.random(n) < 0.1
        x = rng.standard_normal((n, dim)).astype(np.float32)
        x[np.ix_(found, np.arange(real))] += shift
        vectors[name], matches[name] = x, found
    ids = [f"d{i}" for i in range(dim)]
    return vectors, matches, ids, np.eye(dim, dtype=np.float32), [i >= real + null for i in range(dim)]


def test_benjamini_hochberg_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(0).random(50) ** 3
    assert benjamini_hochberg(p) == pytest.approx(multipletests(p, method="fdr_bh")[1].tolist())
    assert benjamini_hochberg([]) == []


def test_false_discovery_rate_is_controlled_on_known_nulls():
    real, null = 10, 190
    proportions, power = [], []
    for seed in range(8):
        vectors, matches, ids, directions, baseline = synthetic(seed, real, null, 30)
        result = search(vectors, matches, ids, directions, baseline=baseline, seed=seed)
        hits = {r["direction"] for r in result["directions"] if r["q_value"] is not None and r["q_value"] < 0.05}
        false = {h for h in hits if int(h[1:]) >= real}
        proportions.append(len(false) / max(1, len(hits)))
        power.append(len(hits - false) / real)
        assert result["calibration"]["discoveries"] == len(hits)
        assert not any(r["baseline"] and r["q_value"] is not None for r in result["directions"])
    assert np.mean(proportions) <= 0.08  # BH: expected false discovery proportion at most 0.05 (with sampling slack)
    assert np.mean(power) >= 0.8


def test_the_null_is_the_baseline_pass_rate_and_the_summary_says_so():
    vectors, matches, ids, directions, baseline = synthetic(1, 10, 90, 40)
    result = search(vectors, matches, ids, directions, baseline=baseline, population="neurons")
    null = result["calibration"]
    rows = result["directions"]
    assert null["baseline"] == 40 and null["searched"] == 100
    assert null["baseline_passed"] == sum(r["baseline"] and r["verdict"] == "holds in all testable" for r in rows)
    assert null["passed"] == sum(not r["baseline"] and r["verdict"] == "holds in all testable" for r in rows)
    assert null["summary"].startswith(f"{null['passed']} of 100 neurons pass in every testable dataset vs ")
    assert f"{null['baseline_passed']} of 40 random directions" in null["summary"]
    assert f"{null['discoveries']} at q < 0.05" in null["summary"]
    assert null["baseline_rate"] < 0.2


def test_order_reliability_is_high_for_real_effects_and_low_for_noise():
    vectors, matches, ids, directions, _ = synthetic(2, 40, 0, 0, shift=1.5)
    strengths = np.linspace(0.0, 1.5, 40)  # a graded effect: the order by AUROC is there to be found
    for name in vectors:
        vectors[name] = np.random.default_rng(5).standard_normal(vectors[name].shape).astype(np.float32)
        vectors[name][matches[name]] += strengths
    strong = search(vectors, matches, ids, directions, seed=0)["reliability"]
    assert strong["split_half"] > 0.8 and strong["reliable"]
    noise, matches, ids, directions, _ = synthetic(3, 0, 200, 0)  # 200 items: r of pure noise has sd about 0.07
    weak = search(noise, matches, ids, directions, seed=0)["reliability"]
    assert abs(weak["split_half"]) < 0.2 and not weak["reliable"]
