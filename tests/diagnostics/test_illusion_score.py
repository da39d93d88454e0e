"""The illusion score: its parts on hand-made findings, the ranking and the suggestions."""

import pytest

from illusion.diagnostics.score import illusion_scores, parts


def finding(condition, largest_share, overlaps):
    return {
        "condition": condition,
        "pooled": {"largest_share": largest_share},
        "range_overlap": {f"p{i}": value for i, value in enumerate(overlaps)},
    }


def test_parts_are_rescaled_to_zero_one():
    assert parts(finding("n", 1.0, [False] * 6), 0.0, 4) == {"concentration": 1.0, "separation": 1.0, "inconsistency": 1.0}
    assert parts(finding("n", 0.25, [True] * 6), 1.0, 4) == {"concentration": 0.0, "separation": 0.0, "inconsistency": 0.0}
    mixed = parts(finding("n", 0.5, [True, False, True, True, False, True]), 0.25, 4)
    assert mixed == {"concentration": pytest.approx(1 / 3), "separation": pytest.approx(1 / 3), "inconsistency": 0.75}
    assert parts(finding("n", 1.0, []), None, 1) == {"concentration": None, "separation": None, "inconsistency": None}


def test_ranking_and_suggestions():
    findings = {"n:1": finding("n", 1.0, [False]), "n:2": finding("n", 0.5, [True]), "r:1": finding("r", 0.7, [True])}
    result = illusion_scores(findings, {"n:1": 0.0, "n:2": 1.0, "r:1": None}, 2, suggest=2)
    scores = {i: d["score"] for i, d in result["directions"].items()}
    assert scores == {"n:1": 1.0, "n:2": 0.0, "r:1": pytest.approx(0.2)}  # r:1: mean of 0.4 and 0
    assert result["ranking"] == ["n:1", "r:1", "n:2"]
    assert result["likely_illusions"] == ["n:1", "r:1"] and result["label_first"] == ["n:2", "r:1"]
    assert result["by_condition"] == {"n": 0.5, "r": pytest.approx(0.2)}
    assert result["directions"]["r:1"]["parts"]["inconsistency"] is None
