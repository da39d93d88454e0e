"""docs/agreement.md describes every key of a computed ``agreement.json``, and names no key it lacks."""

from __future__ import annotations

import pytest

from illusion.annotations.agreement.compute import compute_agreement
from illusion.annotations.agreement.ratings import load_labelled_run
from tests.helpers.docs import ROOT, code_names, json_keys, section, table_rows
from tests.helpers.labelled_runs import DATASETS, control_pair_row, control_row, direction_row, pair_row

SECTION = section(ROOT / "docs" / "agreement.md", "## `agreement.json`")
DIRECTIONS = {"neuron:1": "neuron", "neuron:2": "neuron", "random:1": "random"}
ANNOTATORS = ("ann-a", "ann-b")


@pytest.fixture
def agreement(make_run):
    """A campaign with every kind of label: sets of two conditions and controls, pairs, both annotators, stats.json."""
    rows = []
    for number, (direction, condition) in enumerate(DIRECTIONS.items()):
        for dataset in DATASETS:
            for who, annotator in enumerate(ANNOTATORS):
                seen = (number + who + len(dataset)) % 3 != 0
                rows.append(
                    direction_row(
                        direction,
                        dataset,
                        annotator,
                        pattern="yes" if seen else "no",
                        fits=[1, 2, 3][: 1 + who + number] if seen else None,
                        description=f"{condition} words" if seen else None,
                        taxonomy=("single", "several")[(who + number) % 2] if seen else None,
                        confidence=1 + (who + number + len(dataset)) % 5,
                        lead_time=5.0 + who,
                    )
                )
        rows += [
            pair_row(direction, DATASETS[0], DATASETS[1], annotator, ("same", "related")[who])
            for who, annotator in enumerate(ANNOTATORS)
        ]
    for dataset in DATASETS:
        rows += [control_row(0, dataset, annotator, pattern=vote) for annotator, vote in zip(ANNOTATORS, ("no", "yes"))]
    rows += [control_pair_row(0, DATASETS[0], DATASETS[1], annotator, "different") for annotator in ANNOTATORS]
    stats = {
        "separability": {"labels": list(DATASETS), "accuracy": 0.9, "chance": 0.25, "confusion": [[9, 1], [1, 9]]},
        "directions": {
            "neuron:1": {
                "condition": "neuron",
                "pooled": {"counts": {DATASETS[0]: 9, DATASETS[1]: 1}, "largest_dataset": DATASETS[0], "largest_share": 0.9},
                "range_overlap": {f"{DATASETS[0]}|{DATASETS[1]}": True},
            }
        },
        "conditions": {"neuron": {"directions": 1, "range_overlap_share": 0.38, "mean_largest_share": 0.9}},
    }
    run = load_labelled_run(make_run(rows + rows[:1], directions=DIRECTIONS, controls=1, stats=stats))
    result = compute_agreement(run, n_resamples=50, seed=0)
    # Parts copied from stats.json as they are there (documented with the run folder, in the README) are not agreement's keys.
    assert result["automatic"]["separability"] == stats["separability"]
    assert result["cross_dataset"]["conditions"]["neuron"]["automatic"] == stats["conditions"]["neuron"]
    result["automatic"]["separability"] = result["cross_dataset"]["conditions"]["neuron"]["automatic"] = None
    return result


def data_keys() -> set[str]:
    """Keys that are data of the run: dataset, direction, control-group, condition and annotator names, field names."""
    return set(DATASETS) | set(DIRECTIONS) | set(DIRECTIONS.values()) | {"control", "control:0"} | set(ANNOTATORS)


def test_the_top_level_table_lists_exactly_the_top_level_keys(agreement):
    top = section(ROOT / "docs" / "agreement.md", "### Top level")
    assert {row[0].strip("`") for row in table_rows(top)} == set(agreement)


def test_every_key_is_documented(agreement):
    assert sorted(json_keys(agreement, data_keys()) - code_names(SECTION)) == []


def test_every_key_the_tables_name_exists(agreement):
    """The first column of every table names keys (`sets.total`, `datasets.<name>`); keys documented as
    "present when" something happens may be absent."""
    named = {name for row in table_rows(SECTION) if not row[-1].startswith("present when") for name in code_names(row[0])}
    assert named
    assert sorted(named - json_keys(agreement, data_keys())) == []
