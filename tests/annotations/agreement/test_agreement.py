"""The assembled document: partial campaigns, annotators, determinism, and a known level of agreement recovered."""

from __future__ import annotations

import json

import numpy as np
import pytest

from illusion.annotations.agreement.compute import SCHEMA, compute_agreement
from illusion.annotations.agreement.ratings import load_labelled_run
from tests.helpers.labelled_runs import control_row, direction_row


@pytest.fixture
def partial(make_run):
    """One neuron in 4 datasets: two sets labelled twice, one once, one not at all."""
    rows = [
        direction_row("neuron:1", "wiki-math", "ann-a", pattern="yes", fits=[1, 2, 3, 4], lead_time=10.0, taxonomy="single"),
        direction_row("neuron:1", "bible", "ann-a", pattern="yes", fits=[1, 2, 3, 4, 5, 6], lead_time=20.0),
        direction_row("neuron:1", "jokes", "ann-a", pattern="no", lead_time=30.0),
        direction_row("neuron:1", "wiki-math", "ann-b", pattern="yes", fits=[1, 2, 3], taxonomy="several"),
        direction_row("neuron:1", "jokes", "ann-b", pattern="yes", fits=[2]),
    ]
    return load_labelled_run(make_run(rows, directions={"neuron:1": "neuron"}))


def test_partial_campaign_accounting(partial):
    result = compute_agreement(partial, n_resamples=200, seed=0)
    assert result["schema"] == SCHEMA and result["run_id"] == "run-1"
    assert result["campaign"]["sets"]["labels"] == {"0": 1, "1": 1, "2+": 2}
    assert result["campaign"]["sets"]["by_condition"] == {"neuron": {"0": 1, "1": 1, "2+": 2}}
    assert result["campaign"]["pairs"] == {"total": 6, "labels": {"0": 6, "1": 0, "2+": 0}}
    assert result["reliability"]["pattern"]["pairable_sets"] == 2 and result["reliability"]["pattern"]["sets"] == 3
    assert "reliability / same_concept / krippendorff_alpha: no set has two ratings of this field yet" in result["limitations"]
    assert result["cross_dataset"]["directions"]["neuron:1"]["call"] == "dataset-level"  # jokes conflicts: never global
    json.dumps(result, allow_nan=False)  # strict JSON: no NaN or infinity anywhere


def test_annotator_summary(partial):
    result = compute_agreement(partial, n_resamples=0, seed=0)
    a, b = result["annotators"]["ann-a"], result["annotators"]["ann-b"]
    assert (a["sets"], a["pairs"]) == (3, 0)
    assert a["patterns_found"]["value"] == pytest.approx(2 / 3)
    assert a["fits_mean"] == pytest.approx(5.0)
    assert a["lead_time"] == {"total": 60.0, "median": 20.0, "n": 3}
    assert b["lead_time"] == {"total": 0.0, "median": None, "n": 0}
    # they agree on wiki-math and disagree on jokes
    assert a["pattern_agreement"]["value"] == b["pattern_agreement"]["value"] == pytest.approx(1 / 2)
    assert a["pattern_agreement"]["n"] == 2


def test_deterministic_for_a_seed(partial, make_run):
    rng = np.random.default_rng(4)
    rows = [
        direction_row(
            f"neuron:{i}", dataset, annotator, pattern=str(rng.choice(["yes", "no"])), confidence=int(rng.integers(1, 6))
        )
        for i in range(5)
        for dataset in ("wiki-math", "bible", "jokes", "chat")
        for annotator in ("ann-a", "ann-b")
    ]
    run = load_labelled_run(make_run(rows, directions={f"neuron:{i}": "neuron" for i in range(5)}))
    first, second, other = (compute_agreement(run, n_resamples=300, seed=seed) for seed in (11, 11, 12))
    assert json.dumps(first) == json.dumps(second)
    assert (
        first["reliability"]["pattern"]["krippendorff_alpha"]["ci"] != other["reliability"]["pattern"]["krippendorff_alpha"]["ci"]
    )
    assert (
        first["reliability"]["pattern"]["krippendorff_alpha"]["value"]
        == other["reliability"]["pattern"]["krippendorff_alpha"]["value"]
    )


def test_a_known_level_of_agreement_is_recovered(make_run):
    """Annotator b copies a's answer with probability 0.6, else answers at random: kappa and alpha are about 0.6."""
    rng = np.random.default_rng(0)
    rows = []
    for number in range(100):
        for dataset in ("wiki-math", "bible", "jokes", "chat"):
            first = str(rng.choice(["yes", "no"]))
            second = first if rng.random() < 0.6 else str(rng.choice(["yes", "no"]))
            rows += [control_row(number, dataset, "ann-a", pattern=first), control_row(number, dataset, "ann-b", pattern=second)]
    run = load_labelled_run(make_run(rows, directions={}, controls=100))
    pattern = compute_agreement(run, n_resamples=500, seed=0)["reliability"]["pattern"]
    for coefficient in (pattern["krippendorff_alpha"], pattern["fleiss_kappa"], pattern["cohen_kappa"][0]):
        assert coefficient["value"] == pytest.approx(0.6, abs=0.1)
        assert coefficient["ci"][0] < 0.6 < coefficient["ci"][1]
    assert pattern["percent_agreement"]["value"] == pytest.approx(0.8, abs=0.05)  # 0.6 + 0.4 / 2
