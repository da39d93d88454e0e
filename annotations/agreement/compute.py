"""Assemble every agreement statistic of a labelled run into the ``agreement.json`` document (docs/agreement.md)."""

from __future__ import annotations

import numpy as np

from illusion import __version__
from illusion.annotations.agreement.conditions import PERMUTATIONS, compare_conditions, condition_order, condition_table, share
from illusion.annotations.agreement.cross_dataset import cross_dataset
from illusion.annotations.agreement.ratings import FIELDS, LabelledRun, RatedItem, field_codes
from illusion.annotations.agreement.reliability import CONFIDENCE_LEVEL, field_reliability

SCHEMA = "illusion.agreement/1"


def compute_agreement(run: LabelledRun, *, n_resamples: int = 1000, seed: int = 0) -> dict:
    """Everything ``illusion agree`` reports; deterministic for a seed."""
    common = {"n_resamples": n_resamples, "seed": seed}
    tasks = {"set": list(run.sets.values()), "pair": list(run.pairs.values())}
    reliability = {
        spec.name: field_reliability(
            field_codes(tasks[spec.task_type], spec, run.annotators, run.k),
            run.annotators,
            spec.level,
            spec.categories,
            key=f"reliability/{spec.name}",
            **common,
        )
        for spec in FIELDS
    }
    result = {
        "schema": SCHEMA,
        "generated_by": f"illusion {__version__}",
        "run_id": run.run_id,
        "settings": {
            "bootstrap": n_resamples,
            "seed": seed,
            "confidence_level": CONFIDENCE_LEVEL,
            "permutations": PERMUTATIONS,
            "k": run.k,
        },
        "datasets": run.datasets,
        "campaign": campaign(run),
        "reliability": reliability,
        "conditions": {"table": condition_table(run, **common), "comparisons": compare_conditions(run, **common)},
        "cross_dataset": cross_dataset(run, **common),
        "annotators": annotator_summary(run, reliability["pattern"]["cohen_kappa"]),
        "automatic": {"separability": run.stats.separability.to_json() if run.stats else None},
        "notes": list(run.notes),
    }
    result["limitations"] = limitations(result)
    return result


def campaign(run: LabelledRun) -> dict:
    """How far labelling has got: sets and pairs with 0, 1, 2+ labels, overall and per condition."""
    conditions = condition_order(task.condition for task in run.sets.values())
    return {
        "annotations": run.rows,
        "duplicates_dropped": run.duplicates,
        "annotators": len(run.annotators),
        "sets": {
            "total": len(run.sets),
            "labels": label_counts(run.sets.values()),
            "by_condition": {c: label_counts(t for t in run.sets.values() if t.condition == c) for c in conditions},
        },
        "pairs": {"total": len(run.pairs), "labels": label_counts(run.pairs.values())},
    }


def label_counts(tasks) -> dict[str, int]:
    counts = {"0": 0, "1": 0, "2+": 0}
    for task in tasks:
        n = len(task.labels)
        counts["0" if n == 0 else "1" if n == 1 else "2+"] += 1
    return counts


def annotator_summary(run: LabelledRun, pattern_kappas: list[dict]) -> dict[str, dict]:
    """Per annotator: what they labelled, how often they saw a pattern, time spent, agreement with the others."""
    summary = {}
    for annotator in run.annotators:
        own = [task for task in run.sets.values() if annotator in task.labels]
        rows = [task.labels[annotator] for task in own]
        patterns = [row.pattern for row in rows if row.pattern]
        fits = [len(row.fits) for row in rows if row.pattern == "yes" and row.fits is not None]
        times = [
            row.lead_time
            for task in [*own, *run.pairs.values()]
            if (row := task.labels.get(annotator)) and row.lead_time is not None
        ]
        kappas = [entry["value"] for entry in pattern_kappas if annotator in entry["annotators"] and entry["value"] is not None]
        summary[annotator] = {
            "sets": len(own),
            "pairs": sum(annotator in task.labels for task in run.pairs.values()),
            "patterns_found": share(patterns.count("yes"), len(patterns), "no pattern label"),
            "fits_mean": float(np.mean(fits)) if fits else None,
            "lead_time": {"total": float(sum(times)), "median": float(np.median(times)) if times else None, "n": len(times)},
            "pattern_agreement": _agreement_with_others(annotator, own),
            "cohen_kappa_mean": float(np.mean(kappas)) if kappas else None,
        }
    return summary


def _agreement_with_others(annotator: str, tasks: list[RatedItem]) -> dict:
    """The share of this annotator's pattern labels that match another annotator's label of the same set."""
    pairs = [
        row.pattern == task.labels[annotator].pattern
        for task in tasks
        if task.labels[annotator].pattern
        for other, row in task.labels.items()
        if other != annotator and row.pattern
    ]
    return share(sum(pairs), len(pairs), "no set labelled by this annotator and another")


def limitations(result: dict) -> list[str]:
    """Every statistic the data did not allow, as ``where: why``."""
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            if "value" in node and node["value"] is None and "reason" in node:
                found.append(f"{' / '.join(path)}: {node['reason']}")
            for key, child in node.items():
                walk(child, [*path, str(key)])
        elif isinstance(node, list):
            for child in node:
                walk(
                    child,
                    [*path, " vs ".join(child["annotators"])] if isinstance(child, dict) and "annotators" in child else path,
                )

    for section in ("reliability", "conditions", "cross_dataset", "annotators"):
        walk(result[section], [section])
    return found
