"""Taxonomy calls, distinct concepts and same-concept shares on directions built to be checked by hand."""

from __future__ import annotations

from itertools import combinations

import pytest

from illusion.annotations.agreement.cross_dataset import cross_dataset
from illusion.annotations.agreement.ratings import load_labelled_run
from tests.helpers.labelled_runs import DATASETS, control_row, direction_row, pair_row

WIKI, BIBLE, JOKES, CHAT = DATASETS
PAIRS = list(combinations(DATASETS, 2))


def sets(direction: str, calls: dict[str, str | None], taxonomy: dict[str, str] | None = None) -> list[dict]:
    """Two annotators' labels per dataset: ``pattern`` (both yes), ``none`` (both no), ``conflict``, or None (unlabelled)."""
    votes = {"pattern": ("yes", "yes"), "none": ("no", "no"), "conflict": ("yes", "no")}
    rows = []
    for dataset, call in calls.items():
        if call is None:
            continue
        for annotator, vote in zip(("ann-a", "ann-b"), votes[call], strict=True):
            guess = (taxonomy or {}).get(dataset)
            rows.append(
                direction_row(
                    direction,
                    dataset,
                    annotator,
                    pattern=vote,
                    taxonomy=guess,
                    description=f"{direction} in {dataset}" if vote == "yes" else None,
                )
            )
    return rows


def judged(direction: str, judgements: dict[tuple[str, str], tuple[str, ...]]) -> list[dict]:
    return [pair_row(direction, a, b, f"ann-{i}", vote) for (a, b), votes in judgements.items() for i, vote in enumerate(votes)]


ALL_PATTERN = dict.fromkeys(DATASETS, "pattern")


@pytest.fixture
def result(make_run):
    rows = [
        # neuron:1 — the same concept everywhere: global
        *sets("neuron:1", ALL_PATTERN, dict.fromkeys(DATASETS, "single")),
        *judged("neuron:1", dict.fromkeys(PAIRS, ("same", "same"))),
        # neuron:2 — a pattern everywhere, two concepts (wiki-math = bible, jokes = chat)
        *sets("neuron:2", ALL_PATTERN, {WIKI: "single", BIBLE: "single", JOKES: "several", CHAT: "several"}),
        *judged(
            "neuron:2",
            {pair: ("same", "same") if pair in [(WIKI, BIBLE), (JOKES, CHAT)] else ("different", "related") for pair in PAIRS},
        ),
        # neuron:3 — a pattern in one dataset only
        *sets("neuron:3", {WIKI: "pattern", BIBLE: "none", JOKES: "none", CHAT: "none"}),
        # random:1 — no agreed pattern anywhere
        *sets("random:1", {WIKI: "none", BIBLE: "none", JOKES: "conflict", CHAT: "conflict"}),
        # random:2 — could still be global: one set not labelled yet
        *sets("random:2", {WIKI: "pattern", BIBLE: "pattern", JOKES: "pattern", CHAT: None}),
        *judged(
            "random:2", {(WIKI, BIBLE): ("same", "same"), (WIKI, JOKES): ("same", "same"), (BIBLE, JOKES): ("same", "related")}
        ),
        # random:3 — a pattern everywhere, but only two pairs judged (both "same"): could still be global
        *sets("random:3", ALL_PATTERN),
        *judged("random:3", {(WIKI, BIBLE): ("same", "same"), (JOKES, CHAT): ("same", "same")}),
        # the control group: random sentences, no pattern anywhere
        *(control_row(0, dataset, annotator, pattern="no") for dataset in DATASETS for annotator in ("ann-a", "ann-b")),
    ]
    directions = {name: name.split(":")[0] for name in ("neuron:1", "neuron:2", "neuron:3", "random:1", "random:2", "random:3")}
    stats = {
        "directions": {
            "neuron:1": {
                "condition": "neuron",
                "pooled": {"counts": {"bible": 9, "chat": 1}, "largest_dataset": "bible", "largest_share": 0.9},
                "range_overlap": {"bible|wiki-math": True, "chat|jokes": False},
            }
        },
        "conditions": {"neuron": {"directions": 3, "range_overlap_share": 0.38, "mean_largest_share": 0.9}},
        "separability": {"labels": list(DATASETS), "accuracy": 0.9, "chance": 0.25, "confusion": None},
    }
    return cross_dataset(
        load_labelled_run(make_run(rows, directions=directions, controls=1, stats=stats)), n_resamples=300, seed=2
    )


@pytest.mark.parametrize(
    ("direction", "call", "concepts", "with_pattern"),
    [
        ("neuron:1", "global", 1, 4),
        ("neuron:2", "dataset-level", 2, 4),
        ("neuron:3", "dataset-level", 1, 1),
        ("random:1", "none", 0, 0),
        ("random:2", "undetermined", 1, 3),
        ("random:3", "undetermined", 2, 4),
        ("control:0", "none", 0, 0),
    ],
)
def test_taxonomy_calls(result, direction, call, concepts, with_pattern):
    entry = result["directions"][direction]
    assert (entry["call"], entry["distinct_concepts"], entry["datasets_with_pattern"]) == (call, concepts, with_pattern)
    assert entry["reason"]


def test_the_evidence_behind_a_call(result):
    neuron2 = result["directions"]["neuron:2"]
    concepts = {name: cell["concept"] for name, cell in neuron2["datasets"].items()}
    assert concepts[WIKI] == concepts[BIBLE] != concepts[JOKES] == concepts[CHAT]
    assert neuron2["same_share"] == pytest.approx(2 / 6)
    assert neuron2["taxonomy_agree"] is False and result["directions"]["neuron:1"]["taxonomy_agree"] is True
    assert neuron2["datasets"][WIKI]["descriptions"] == ["neuron:2 in wiki-math"] * 2
    assert "2 distinct concept(s)" in neuron2["reason"]
    random2 = result["directions"]["random:2"]
    assert "1 set(s) unlabelled" in random2["reason"] and random2["datasets"][CHAT]["call"] == "unlabelled"
    split = next(p for p in random2["pairs"] if p["datasets"] == [BIBLE, JOKES])
    assert split["votes"] == {"same": 1, "related": 1, "different": 0} and split["same"] is False  # a tie is no majority
    random3 = result["directions"]["random:3"]
    assert random3["distinct_concepts_upper_bound"] is True and "4 pair(s) not judged" in random3["reason"]


def test_automatic_statistics_beside_the_human_ones(result):
    neuron1 = result["directions"]["neuron:1"]
    assert neuron1["automatic"] == {"largest_dataset": "bible", "largest_share": 0.9, "range_overlap_share": 0.5}
    overlaps = {tuple(p["datasets"]): p["range_overlap"] for p in neuron1["pairs"]}
    assert overlaps[(WIKI, BIBLE)] is True and overlaps[(JOKES, CHAT)] is False and overlaps[(WIKI, CHAT)] is None
    assert result["directions"]["neuron:2"]["automatic"]["largest_share"] is None
    assert result["conditions"]["neuron"]["automatic"] == {
        "directions": 3,
        "range_overlap_share": 0.38,
        "mean_largest_share": 0.9,
    }


def test_summary_per_condition(result):
    neuron = result["conditions"]["neuron"]
    assert neuron["calls"] == {"global": 1, "dataset-level": 2, "none": 0, "undetermined": 0}
    assert neuron["distinct_concepts"]["value"] == pytest.approx((1 + 2 + 1) / 3)
    assert neuron["datasets_with_pattern"]["value"] == pytest.approx((4 + 4 + 1) / 3)
    assert neuron["same_share"]["value"] == pytest.approx((1 + 2 / 6) / 2)  # neuron:3 has no judged pair
    assert neuron["taxonomy_agree"]["count"] == 1 and neuron["taxonomy_agree"]["n"] == 2
    random = result["conditions"]["random"]
    assert random["calls"] == {"global": 0, "dataset-level": 0, "none": 1, "undetermined": 2}
    assert random["distinct_concepts_upper_bounds"] == 1
    assert list(result["conditions"]) == ["neuron", "random", "control"]
