"""The paper's findings beside a run's: matches, differences with their intervals, what is not comparable, the caveat."""

from __future__ import annotations

import numpy as np
import pytest

from illusion import DiagnosticContext
from illusion.diagnostics import paper
from illusion.diagnostics.builtin import BUILTIN
from illusion.diagnostics.paper import caveat
from tests.helpers import run_models

PAPER = {finding.key: finding.paper for diagnostic in BUILTIN for finding in diagnostic.findings}

NEURONS = [f"neuron:{i}" for i in range(20)]


def manifest(k=10, sizes=(700, 700, 700, 700), sampler="neuron"):
    return run_models.manifest(
        {f"d{i}": size for i, size in enumerate(sizes)},
        [(i.replace("neuron", sampler), sampler) for i in NEURONS],
        k=k,
        config={"model": {"plugin": "transformer"}},
        model={"model": "all-MiniLM-L6-v2", "layer": 6, "pooling": "cls"},
    )


def result(overlapping=(5, 6), one=(0.02, 0.01, 0.03), every=0.001, fills=(0.03, 0.02), confusion=((90, 10), (5, 95))):
    """A diagnostics.json with the parts compared; neuron n's first ``overlapping[n % len(overlapping)]`` of 6 pairs overlap."""
    pairs = [f"d{a}|d{b}" for a in range(4) for b in range(a + 1, 4)]
    counts = [overlapping[n % len(overlapping)] for n in range(len(NEURONS))]
    per_direction = {i: {pair: n < count for n, pair in enumerate(pairs)} for i, count in zip(NEURONS, counts)}
    share = sum(counts) / (len(pairs) * len(NEURONS))
    accuracy = (confusion[0][0] + confusion[1][1]) / 200
    return {
        "separability": {"accuracy": accuracy, "test_size": 200, "confusion": [list(row) for row in confusion]},
        "range_overlap": {"by_condition": {"neuron": {"share": share}}, "directions": per_direction},
        "monotonicity": {
            "by_condition": {
                "neuron": {
                    "pairs": 20 * 300,
                    "in_datasets": [{"mean": one[0], "min": one[1], "max": one[2]}, {"mean": every, "min": every, "max": every}],
                }
            }
        },
        "locality": {},
        "outliers": {"per_dataset": {f"d{i}": {"all_neurons": {"share": {"0.01": f, "0.1": 0.2}}} for i, f in enumerate(fills)}},
    }


def compare(result, manifest):
    """The ``paper`` part the built-in diagnostics' findings give for ``result`` of a run with ``manifest``."""
    names = manifest.dataset_names
    stats = run_models.stats(names)
    context = DiagnosticContext("run", 0, manifest.k, names, {}, {}, [], [], np.zeros((0, 0)), {}, stats, manifest)
    found = {}
    for diagnostic in BUILTIN:
        if diagnostic.name in result:
            found |= paper.versus(diagnostic, result[diagnostic.name], context)
    return paper.summary(found, manifest)


def test_a_small_runs_differences_carry_the_paper_value_and_an_interval_that_excludes_it():
    findings = compare(result(), manifest())["findings"]
    overlap = findings["range_overlap"]
    assert overlap["status"] == "differs" and overlap["paper"] == PAPER["range_overlap"]
    assert overlap["interval"][0] <= overlap["run"] <= overlap["interval"][1] and "bootstrap" in overlap["interval_kind"]
    assert findings["monotonicity_one"]["status"] == "differs" and findings["monotonicity_one"]["interval"] == [0.01, 0.03]
    assert findings["monotonicity_all"]["status"] == "differs" and "Wilson" in findings["monotonicity_all"]["interval_kind"]
    outliers = findings["outliers"]
    assert outliers["run"] == pytest.approx(0.025) and outliers["interval"] == [0.02, 0.03] and outliers["status"] == "differs"


def test_findings_inside_their_interval_match():
    findings = compare(result(overlapping=range(6), one=(0.2, 0.1, 0.3), fills=(0.3, 0.6)), manifest())["findings"]
    assert {name: findings[name]["status"] for name in ("range_overlap", "monotonicity_one", "outliers")} == dict.fromkeys(
        ("range_overlap", "monotonicity_one", "outliers"), "matches"
    )
    assert findings["separability"]["status"] == "matches" and findings["separability"]["min_recall"] == 0.9


def test_a_confusion_row_mostly_off_the_diagonal_is_not_the_papers_near_diagonal_matrix():
    separability = compare(result(confusion=((40, 60), (0, 100))), manifest())["findings"]["separability"]
    assert separability["status"] == "differs" and separability["min_recall"] == 0.4


@pytest.mark.parametrize(
    "changes, name, reason",
    [
        ({"k": 5}, "range_overlap", "top 5, not the top 10"),
        ({"k": 5}, "outliers", "top 5, not the top 10"),
        ({"sizes": (700, 700, 700)}, "monotonicity_all", "3 datasets, not 4"),
        ({"sampler": "random"}, "monotonicity_one", "samples no neurons"),
        ({}, "locality", "binning is unknown"),
    ],
)
def test_findings_computed_differently_are_not_comparable(changes, name, reason):
    finding = compare(result(), manifest(**changes))["findings"][name]
    assert finding["status"] == "not comparable" and reason in finding["why"]


def test_the_caveat_names_both_models_and_scales():
    line = caveat(manifest(sizes=(282, 700, 700, 650)))
    assert "bert-base-uncased" in line and "58,645-203,736 sentences" in line
    assert "all-MiniLM-L6-v2 (layer 6, cls) on 4 datasets of 282-700 sentences" in line and "docs/reproduction.md" in line
    assert "on 4 datasets of 700 sentences:" in caveat(manifest()) and "\n" not in line
