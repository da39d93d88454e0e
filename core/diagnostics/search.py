"""Which directions track a concept? (``illusion find-concept``): the concept test of
:mod:`illusion.diagnostics.concepts` against every direction of a run, and optionally every neuron of
the layer, per dataset, ranked, with a null and a correction for searching many directions.

The ranking: directions where the concept holds in every testable dataset first, then in some, then
in none; within a group, by the number of datasets where it holds, then by the mean AUROC over the
testable datasets. Alpha is divided by the number of testable datasets, as in ``test-concept``.

Calibration:

- **The null**: the run's baseline directions (random directions, role ``baseline``) are searched too;
  the share of them where the concept holds in every testable dataset is the pass rate by chance.
- **q-values**: each direction's p-value for "holds in every testable dataset" is the largest of its
  one-sided p-values there (an intersection-union test); over the searched candidate directions
  (every direction but the baselines) Benjamini-Hochberg turns them into q-values, so the hits at
  q < alpha are a set with an expected false discovery rate of at most alpha.
- **Reliability of the order**: each dataset is halved at random 10 times and the mean AUROC over the
  testable datasets recomputed on each half; the split-half rank correlation with its Spearman-Brown
  correction (:mod:`illusion.diagnostics.uncertainty`) says whether the order would hold with other sentences.

Cost: the detector once per sentence, then per dataset one streamed projection on blocks of 256
directions and a rank test per direction, O(sentences x directions x (dim + log sentences)); the
reliability repeats the rank tests on 20 halves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from illusion.common.chunks import project
from illusion.diagnostics.concepts import Thresholds, parse_pattern, testable
from illusion.diagnostics.detectors import detect, detector_names
from illusion.diagnostics.suite import sampler_roles
from illusion.diagnostics.uncertainty import search_reliability
from illusion.diagnostics.verdicts import COLUMNS, benjamini_hochberg, rank_test, verdict
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
    baseline: Sequence[bool] | None = None,
    seed: int = 0,
    population: str = "directions",
) -> dict[str, Any]:
    """Per direction (rows of ``directions``) and dataset: AUROC, p and whether the concept holds; ranked, with
    each direction's p and q-value, the pass rate of the ``baseline`` directions (the null) and the order's reliability.

    ``population`` names what the candidates are (``neurons``, ``directions``) in the summary line.
    """
    thresholds = thresholds or Thresholds()
    baseline = list(baseline) if baseline is not None else [False] * len(ids)
    usable = [name for name in vectors if testable(np.asarray(matches[name], dtype=bool), thresholds)]
    alpha = thresholds.alpha / max(1, len(usable))
    scores = {
        name: np.concatenate([project(vectors[name], directions[s : s + COLUMNS]) for s in range(0, len(ids), COLUMNS)], axis=1)
        for name in usable
    }
    found = {name: rank_test(scores[name], matches[name]) for name in usable}
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
        pvalues = [row["p_value"] for row in per_dataset.values() if row["p_value"] is not None]
        rows.append(
            {
                "direction": identifier,
                **result,
                "baseline": baseline[d],
                "mean_auroc": float(np.mean(aurocs)) if aurocs else None,
                "p_value": max(pvalues) if pvalues else None,
                "q_value": None,
                "per_dataset": per_dataset,
            }
        )
    searched = [row for row in rows if not row["baseline"] and row["p_value"] is not None]
    for row, q in zip(searched, benjamini_hochberg([row["p_value"] for row in searched])):
        row["q_value"] = q
    rows.sort(key=lambda r: (ORDER[r["verdict"]], -r["counts"]["holds"], -(r["mean_auroc"] or 0.0), r["direction"]))
    null = calibration(rows, thresholds.alpha, population)

    def mean_auroc(name: str, subset: np.ndarray) -> np.ndarray:
        if name not in scores or not testable(np.asarray(matches[name], dtype=bool)[subset], thresholds):
            return np.full(len(ids), np.nan)
        return rank_test(scores[name][subset], np.asarray(matches[name], dtype=bool)[subset])[0]

    return {
        "datasets": {
            name: {"sentences": len(m), "matches": int(np.sum(m)), "testable": name in found} for name, m in matches.items()
        },
        "alpha_per_dataset": alpha,
        "groups": {label: sum(r["verdict"] == label for r in rows) for label in ORDER},
        "calibration": null,
        "reliability": search_reliability(
            {name: vectors[name] for name in usable}, mean_auroc, seed, "find-concept order (mean AUROC)"
        )
        if usable
        else None,
        "directions": rows,
    }


def calibration(rows: Sequence[Mapping[str, Any]], alpha: float, population: str) -> dict[str, Any]:
    """Pass rates of the searched directions and of the baselines (the null), hits at q < alpha, and the line that says so."""
    passed = [row["verdict"] == "holds in all testable" for row in rows]
    searched = [p for p, row in zip(passed, rows) if not row["baseline"]]
    null = [p for p, row in zip(passed, rows) if row["baseline"]]
    discoveries = sum(row["q_value"] is not None and row["q_value"] < alpha for row in rows)
    line = f"{sum(searched)} of {len(searched)} {population} pass in every testable dataset"
    if null:
        line += f" vs {sum(null)} of {len(null)} random directions (the run's baseline)"
    else:
        line += "; the run has no random directions to compare with"
    line += f"; {discoveries} at q < {alpha:g} (Benjamini-Hochberg over the {len(searched)})"
    return {
        "searched": len(searched),
        "passed": int(sum(searched)),
        "baseline": len(null),
        "baseline_passed": int(sum(null)),
        "baseline_rate": sum(null) / len(null) if null else None,
        "alpha": alpha,
        "discoveries": discoveries,
        "summary": line,
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
    role = sampler_roles(run.manifest, host)
    baseline = [d < len(run.conditions) and role.get(run.conditions[d]) == "baseline" for d in range(len(ids))]
    kinds = {run.conditions[d] if d < len(run.conditions) else "neuron" for d in range(len(ids)) if not baseline[d]}
    population = "neurons" if kinds == {"neuron"} else "candidate directions"
    return {
        "pattern": pattern,
        "detector": concept.detector,
        "options": dict(options or {}),
        "all_neurons": all_neurons,
        "thresholds": {"alpha": thresholds.alpha, "min_auroc": thresholds.min_auroc, "min_matches": thresholds.min_matches},
        **search(run.vectors, matches, ids, directions, thresholds, baseline, run.config.seed, population),
    }
