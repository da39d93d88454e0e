"""Which directions track a concept? (``illusion find-concept``): the concept test of
:mod:`illusion.diagnostics.concepts` against every direction of a run, and optionally every neuron of
the layer, per dataset, ranked.

The ranking: directions where the concept holds in every testable dataset first, then in some, then
in none; within a group, by the number of datasets where it holds, then by the mean AUROC over the
testable datasets. Alpha is divided by the number of testable datasets, as in ``test-concept``; it is
not divided by the number of directions searched, so a search's hits are candidates for a
``test-concept`` of their own, not findings.

Cost: the detector once per sentence, then per dataset one streamed projection on blocks of 256
directions and a rank test per direction, O(sentences x directions x (dim + log sentences)).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from illusion.common.chunks import project
from illusion.diagnostics.concepts import Thresholds, parse_pattern, testable
from illusion.diagnostics.detectors import detect, detector_names
from illusion.diagnostics.verdicts import COLUMNS, rank_test, verdict
from illusion.host import Host
from illusion.run.data import RunData

ORDER = {"holds in all testable": 0, "holds in some": 1, "holds in none": 2, "untestable": 3}


def candidates(run: RunData, all_neurons: bool) -> tuple[list[str], np.ndarray]:
    """The run's directions, and with ``all_neurons`` every other basis direction of the layer (``neuron N``)."""
    ids, vectors = list(run.direction_ids), np.asarray(run.directions, dtype=np.float32)
    if all_neurons:
        sampled = np.flatnonzero(np.isclose(np.abs(vectors), 1.0, atol=1e-6).any(axis=0))  # neurons already among them
        others = np.setdiff1d(np.arange(vectors.shape[1]), sampled)
        ids += [f"neuron {i}" for i in others]
        vectors = np.concatenate([vectors, np.eye(vectors.shape[1], dtype=np.float32)[others]])
    return ids, vectors


def search(
    vectors: Mapping[str, np.ndarray],
    matches: Mapping[str, np.ndarray],
    ids: list[str],
    directions: np.ndarray,
    thresholds: Thresholds | None = None,
) -> dict[str, Any]:
    """Per direction (rows of ``directions``) and dataset: AUROC, p and whether the concept holds; ranked."""
    thresholds = thresholds or Thresholds()
    usable = [name for name in vectors if testable(np.asarray(matches[name], dtype=bool), thresholds)]
    alpha = thresholds.alpha / max(1, len(usable))
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in usable:
        parts = [
            rank_test(project(vectors[name], directions[s : s + COLUMNS]), matches[name]) for s in range(0, len(ids), COLUMNS)
        ]
        found[name] = (np.concatenate([a for a, _ in parts]), np.concatenate([p for _, p in parts]))
    rows = []
    for d, identifier in enumerate(ids):
        per_dataset: dict[str, dict[str, Any]] = {}
        for name in vectors:
            if name in found:
                auroc, p = float(found[name][0][d]), float(found[name][1][d])
                per_dataset[name] = {"auroc": auroc, "p_value": p, "holds": thresholds.holds(auroc, p, max(1, len(usable)))}
            else:
                per_dataset[name] = {"auroc": None, "p_value": None, "holds": None}
        aurocs = [row["auroc"] for row in per_dataset.values() if row["auroc"] is not None]
        result = verdict({name: row["holds"] for name, row in per_dataset.items()})
        rows.append(
            {
                "direction": identifier,
                **result,
                "mean_auroc": float(np.mean(aurocs)) if aurocs else None,
                "per_dataset": per_dataset,
            }
        )
    rows.sort(key=lambda r: (ORDER[r["verdict"]], -r["counts"]["holds"], -(r["mean_auroc"] or 0.0), r["direction"]))
    return {
        "datasets": {
            name: {"sentences": len(m), "matches": int(np.sum(m)), "testable": name in found} for name, m in matches.items()
        },
        "alpha_per_dataset": alpha,
        "groups": {label: sum(r["verdict"] == label for r in rows) for label in ORDER},
        "directions": rows,
    }


def find_concept(
    run: RunData,
    pattern: str,
    host: Host,
    options: Mapping[str, Any] | None = None,
    thresholds: Thresholds | None = None,
    all_neurons: bool = False,
) -> dict[str, Any]:
    """Test ``pattern`` against every direction of ``run`` (and every neuron with ``all_neurons``)."""
    thresholds = thresholds or Thresholds()
    concept = parse_pattern(pattern, detector_names(host))
    matches = detect(run, concept.detector, concept.argument, host, options)
    ids, directions = candidates(run, all_neurons)
    return {
        "pattern": pattern,
        "detector": concept.detector,
        "options": dict(options or {}),
        "all_neurons": all_neurons,
        "thresholds": {"alpha": thresholds.alpha, "min_auroc": thresholds.min_auroc, "min_matches": thresholds.min_matches},
        **search(run.vectors, matches, ids, directions, thresholds),
    }
