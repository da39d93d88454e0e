"""The illusion score: its parts on hand-made findings, the ranking and the suggestions."""

import pytest

from illusion.diagnostics.score import illusion_scores, parts
from illusion.run.schema import DirectionStats, Pooled


def finding(condition, largest_share, overlaps):
    return DirectionStats(
        condition=condition,
        pooled=Pooled(counts={}, largest_dataset="a", largest_share=largest_share),
        range_overlap={f"p{i}": value for i, value in enumerate(overlaps)},
    )


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


def test_roles_and_duplicates_decide_what_is_suggested():
    findings = {
        "neuron:1": finding("neuron", 0.5, [True]),
        "neuron:2": finding("neuron", 1.0, [False]),
        "picked:2": finding("picked", 1.0, [False]),
        "random:0": finding("random", 0.5, [True]),
        "contrast:a-vs-rest": finding("contrast", 1.0, [False]),
    }
    roles = {"neuron": "candidate", "picked": "candidate", "random": "baseline", "contrast": "dataset-level"}
    result = illusion_scores(findings, dict.fromkeys(findings, 0.5), 2, roles=roles, duplicate_of={"picked:2": "neuron:2"}, k=10)
    directions = result["directions"]
    assert directions["contrast:a-vs-rest"]["ranked"] is False and "contrast:a-vs-rest" not in result["ranking"]
    assert directions["picked:2"]["duplicate_of"] == "neuron:2" and "picked:2" not in result["ranking"]
    assert "random:0" in result["ranking"] and "random:0" not in result["label_first"] + result["likely_illusions"]
    assert result["likely_illusions"] == ["neuron:2", "neuron:1"] and result["label_first"] == ["neuron:1", "neuron:2"]
    assert "1 baseline, 1 dataset-level, 1 duplicate directions" in result["explanation"]
    assert directions["neuron:1"]["largest_share_interval"] == pytest.approx([0.237, 0.763], abs=1e-3)  # 5 of 10
    assert "50% of its pooled top-10" in directions["neuron:1"]["reason"]


def test_a_part_that_does_not_tell_directions_apart_is_left_out():
    shares = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    findings = {f"n:{i}": finding("n", share, [i % 2 == 0]) for i, share in enumerate(shares)}
    result = illusion_scores(findings, dict.fromkeys(findings, 0.0), 2)  # inconsistency 1.0 everywhere
    assert set(result["dropped_parts"]) == {"inconsistency"} and "1 for 6 of 6" in result["dropped_parts"]["inconsistency"]
    for identifier, entry in result["directions"].items():
        used = [entry["parts"]["concentration"], entry["parts"]["separation"]]
        assert entry["score"] == pytest.approx(sum(used) / 2), identifier
    assert "left out of the score" in result["explanation"]


def test_a_dominant_part_is_named():
    findings = {f"n:{i}": finding("n", 0.5 + i / 10, [True, True, True, i == 0]) for i in range(6)}
    consistency = {f"n:{i}": 0.5 + (i % 2) / 100 for i in range(6)}
    result = illusion_scores(findings, consistency, 2)
    assert result["dominant_part"]["part"] == "concentration" and result["dominant_part"]["variance_share"] >= 0.8
    assert "follows mostly concentration" in result["explanation"]
