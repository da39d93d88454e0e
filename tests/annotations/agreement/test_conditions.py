"""The paper's table and the tests between conditions on a small campaign checked by hand."""

from __future__ import annotations

import pytest

from illusion.annotations.agreement.conditions import compare_conditions, condition_order, condition_table
from illusion.annotations.agreement.ratings import load_labelled_run
from tests.helpers.labelled_runs import DATASETS, control_row, direction_row

DIRECTIONS = {"neuron:1": "neuron", "neuron:2": "neuron", "random:1": "random"}


def two_labels(make_row, a: tuple, b: tuple) -> list[dict]:
    """Labels of one set by two annotators; each label is (pattern, number of fitting sentences)."""
    return [make_row("ann-a", **_label(*a)), make_row("ann-b", **_label(*b))]


def _label(pattern: str, fits: int | None = None) -> dict:
    return {"pattern": pattern, "fits": list(range(1, fits + 1)) if fits else None}


def direction(name, dataset):
    return lambda annotator, **labels: direction_row(name, dataset, annotator, **labels)


def control(number, dataset):
    return lambda annotator, **labels: control_row(number, dataset, annotator, **labels)


@pytest.fixture
def campaign(make_run):
    """neuron: 6 agreed patterns (8 and 6 sentences fit), 1 agreed none, 1 conflict (4 fit).
    control: 1 agreed pattern (3 and 5 fit), 5 agreed none, 2 conflicts (2 fit each).
    random: 3 agreed patterns (6 and 6 fit) and one set labelled once (a pattern, 10 fit)."""
    neuron_sets = [direction(d, ds) for d in ("neuron:1", "neuron:2") for ds in DATASETS]
    control_sets = [control(n, ds) for n in (0, 1) for ds in DATASETS]
    random_sets = [direction("random:1", ds) for ds in DATASETS]
    rows = []
    for make in neuron_sets[:6]:
        rows += two_labels(make, ("yes", 8), ("yes", 6))
    rows += two_labels(neuron_sets[6], ("no",), ("no",))
    rows += two_labels(neuron_sets[7], ("yes", 4), ("no",))
    rows += two_labels(control_sets[0], ("yes", 3), ("yes", 5))
    for make in control_sets[1:6]:
        rows += two_labels(make, ("no",), ("no",))
    for make in control_sets[6:]:
        rows += two_labels(make, ("no",), ("yes", 2))
    for make in random_sets[:3]:
        rows += two_labels(make, ("yes", 6), ("yes", 6))
    rows.append(random_sets[3]("ann-a", **_label("yes", 10)))
    return load_labelled_run(make_run(rows, directions=DIRECTIONS, controls=2))


def test_condition_order():
    assert condition_order(["control", "random", "pca", "neuron"]) == ["neuron", "pca", "random", "control"]


def test_the_papers_table(campaign):
    table = condition_table(campaign, n_resamples=500, seed=1)
    assert list(table) == ["neuron", "random", "control"]
    neuron, random, control = table["neuron"], table["random"], table["control"]
    assert (neuron["sets"], neuron["rated"]) == (8, 8)
    assert [neuron[o]["value"] for o in ("pattern", "none", "conflict")] == [6 / 8, 1 / 8, 1 / 8]
    assert [control[o]["value"] for o in ("pattern", "none", "conflict")] == [1 / 8, 5 / 8, 2 / 8]
    assert (random["sets"], random["rated"], random["pattern"]["value"]) == (4, 3, 1.0)  # the set labelled once is left out
    # Wilson 95% interval of 6/8, by hand: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
    assert neuron["pattern"]["ci"] == pytest.approx([0.4093, 0.9285], abs=1e-3)
    # mean of per-set means over annotators who saw a pattern: six sets at 7, the conflict at 4
    assert neuron["fits_mean"]["value"] == pytest.approx(46 / 7) and neuron["fits_mean"]["n"] == 7
    assert control["fits_mean"]["value"] == pytest.approx(8 / 3)
    assert random["fits_mean"]["value"] == pytest.approx(7.0)  # every set with a marked pattern counts
    low, high = neuron["fits_mean"]["ci"]
    assert low < 46 / 7 < high


def test_tests_between_conditions(campaign):
    comparisons = compare_conditions(campaign, n_resamples=500, seed=1)
    found = {(tuple(c["conditions"]), c["outcome"]): c for c in comparisons}
    assert len(comparisons) == 3 * 4  # 3 pairs of conditions x (3 shares + mean fits)
    pattern = found[(("neuron", "control"), "pattern")]
    assert pattern["test"] == "fisher-exact" and pattern["n"] == [8, 8]
    # hypergeometric by hand: P(k) = C(8,k)C(8,7-k)/C(16,7); k in {0, 1, 6, 7} -> (8+224+224+8)/11440
    assert pattern["p"] == pytest.approx(464 / 11440)
    assert pattern["effect"]["value"] == pytest.approx(6 / 8 - 1 / 8)
    low, high = pattern["effect"]["ci"]
    assert 0 < low < 0.625 < high <= 1
    fits = found[(("neuron", "control"), "fits_mean")]
    assert fits["test"] == "permutation"
    # exact over the 120 splits of 10 set means: only the 2 splits putting (2, 2, 4) in the second
    # group reach the observed difference; scipy doubles the one-sided p-value
    assert fits["p"] == pytest.approx(2 * 2 / 120)
    assert fits["effect"]["value"] == pytest.approx(46 / 7 - 8 / 3)
    smallest = min(comparisons, key=lambda c: c["p"])
    assert smallest["p_holm"] == pytest.approx(min(1.0, smallest["p"] * len(comparisons)))
    assert all(c["p"] <= c["p_holm"] <= 1 for c in comparisons)


def test_a_condition_without_sets_labelled_twice(make_run):
    rows = [direction_row("neuron:1", "bible", "ann-a", pattern="yes")]
    run = load_labelled_run(make_run(rows, directions={"neuron:1": "neuron"}))
    table = condition_table(run, n_resamples=100, seed=0)
    assert table["neuron"]["pattern"]["value"] is None
    assert "two pattern labels" in table["neuron"]["pattern"]["reason"]
    assert compare_conditions(run, n_resamples=100, seed=0) == []


def test_a_comparison_with_one_set_a_side_says_not_enough_data(make_run):
    rows = [
        direction_row("neuron:1", "bible", "ann-a", **_label("yes", 3)),
        direction_row("random:1", "bible", "ann-a", **_label("yes", 1)),
        direction_row("random:1", "jokes", "ann-a", **_label("yes", 2)),
    ]
    run = load_labelled_run(make_run(rows, directions={"neuron:1": "neuron", "random:1": "random"}))
    (fits,) = compare_conditions(run, n_resamples=50, seed=0)
    assert (fits["outcome"], fits["n"], fits["p"], fits["p_holm"]) == ("fits_mean", [1, 2], None, None)
    assert fits["reason"].startswith("not enough data") and fits["effect"]["value"] == pytest.approx(3 - 1.5)
