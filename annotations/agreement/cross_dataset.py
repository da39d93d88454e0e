"""Does a direction's concept survive a change of dataset? Pair judgements, distinct concepts and a taxonomy call per direction.

The call follows the paper's taxonomy, as far as labels can tell it:
- ``global``: an agreed pattern in every dataset, and the pair judgements join them into one concept;
- ``dataset-level``: a pattern in some dataset, but no single concept spans all of them;
- ``none``: no dataset shows an agreed pattern (no consistent concept);
- ``undetermined``: missing labels or pair judgements could still change the call.
Two datasets share a concept when most judgements of their pair say ``same``; concepts are the
connected groups of datasets with an agreed pattern under that relation. Groups of control sets
(random sentences, paired across datasets like a direction's sets) get the same treatment: a baseline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from itertools import combinations

import numpy as np

from illusion.annotations.agreement.conditions import condition_order, share
from illusion.annotations.agreement.ratings import LabelledRun, RatedItem, components
from illusion.annotations.agreement.reliability import mean
from illusion.run.schema import ConditionStats

CALLS = ("global", "dataset-level", "none", "undetermined")


def cross_dataset(run: LabelledRun, *, n_resamples: int, seed: int) -> dict:
    """Per direction (and per group of control sets) the evidence and the call; per condition a summary."""
    directions = {group: judge_direction(group, condition, run) for group, condition in run.groups.items()}
    return {"directions": directions, "conditions": _summaries(directions, run, n_resamples, seed)}


def judge_direction(group: str, condition: str, run: LabelledRun) -> dict:
    """The evidence for one direction (sets, pair judgements, automatic statistics) and its taxonomy call."""
    sets = {task.dataset: task for task in run.sets.values() if task.group == group}
    datasets = [name for name in run.datasets if name in sets]
    pairs = {frozenset(task.datasets): task for task in run.pairs.values() if task.group == group}
    automatic = run.stats.directions.get(group) if run.stats else None  # none for control sets and runs without stats.json
    overlaps = automatic.range_overlap if automatic else {}
    pair_rows = [_pair(a, b, pairs.get(frozenset((a, b))), overlaps) for a, b in combinations(datasets, 2)]
    with_pattern = [name for name in datasets if sets[name].call == "pattern"]
    concept = _concepts(with_pattern, pair_rows, lambda same: same)
    open_pairs = [row for row in pair_rows if row["same"] is None and set(row["datasets"]) <= set(with_pattern)]
    call, reason = _call(datasets, sets, with_pattern, concept, open_pairs, pair_rows)
    guesses = {name: _mode(sets[name].votes("taxonomy")) for name in datasets}
    resolved = {guess for guess in guesses.values() if guess is not None}
    return {
        "condition": condition,
        "call": call,
        "reason": reason,
        "datasets": {name: _dataset(sets[name], concept.get(name), guesses[name]) for name in datasets},
        "pairs": pair_rows,
        "datasets_with_pattern": len(with_pattern),
        "distinct_concepts": len(set(concept.values())),
        "distinct_concepts_upper_bound": bool(open_pairs),
        "same_share": _same_share(pair_rows),
        "taxonomy_agree": (len(resolved) == 1) if sum(g is not None for g in guesses.values()) >= 2 else None,
        "automatic": {
            "largest_dataset": automatic.pooled.largest_dataset if automatic else None,
            "largest_share": automatic.pooled.largest_share if automatic else None,
            "range_overlap_share": float(np.mean([bool(v) for v in overlaps.values()])) if overlaps else None,
        },
    }


def _call(datasets, sets, with_pattern, concept, open_pairs, pair_rows) -> tuple[str, str]:
    calls = Counter(sets[name].call for name in datasets)
    n = len(datasets)
    if n < 2:
        return "undetermined", f"sets in {n} dataset(s) only; the taxonomy needs two or more"
    if not with_pattern:
        if calls["unlabelled"]:
            return "undetermined", f"no agreed pattern yet; {calls['unlabelled']} of {n} sets unlabelled"
        return "none", f"no dataset shows an agreed pattern ({calls['none']} without, {calls['conflict']} conflicting)"
    groups = len(set(concept.values()))
    if len(with_pattern) == n and groups == 1:
        return "global", f"an agreed pattern in all {n} datasets, judged the same concept across them"
    blocked = calls["none"] + calls["conflict"]
    if not blocked and len(set(_concepts(with_pattern, pair_rows, lambda same: same is not False).values())) == 1:
        missing = []
        if calls["unlabelled"]:
            missing.append(f"{calls['unlabelled']} set(s) unlabelled")
        if open_pairs:
            missing.append(f"{len(open_pairs)} pair(s) not judged")
        return (
            "undetermined",
            f"an agreed pattern in {len(with_pattern)} of {n} datasets; could still be global: {', '.join(missing)}",
        )
    return "dataset-level", f"an agreed pattern in {len(with_pattern)} of {n} datasets, {groups} distinct concept(s)" + (
        f"; {blocked} dataset(s) without an agreed pattern" if blocked else ""
    )


def _concepts(datasets: list[str], pair_rows: list[dict], joined) -> dict[str, int]:
    """Concept number per dataset: connected groups of datasets whose pair judgement passes ``joined``."""
    return components(datasets, [tuple(row["datasets"]) for row in pair_rows if joined(row["same"])])


def _pair(a: str, b: str, task: RatedItem | None, overlaps: dict) -> dict:
    votes = Counter(task.votes("same_concept")) if task else Counter()
    total = sum(votes.values())
    return {
        "datasets": [a, b],
        "votes": {label: votes[label] for label in ("same", "related", "different")},
        "same": (votes["same"] * 2 > total) if total else None,
        "range_overlap": overlaps.get(f"{a}|{b}", overlaps.get(f"{b}|{a}")),
    }


def _same_share(pair_rows: list[dict]) -> float | None:
    """The mean, over judged pairs, of the share of judgements that say ``same``."""
    shares = [row["votes"]["same"] / sum(row["votes"].values()) for row in pair_rows if sum(row["votes"].values())]
    return float(np.mean(shares)) if shares else None


def _dataset(task: RatedItem, concept: int | None, guess: str | None) -> dict:
    votes = task.votes("pattern")
    return {
        "set_id": task.set_id,
        "call": task.call,
        "votes": {"yes": votes.count("yes"), "no": votes.count("no")},
        "concept": concept,
        "descriptions": [text for text in task.votes("description") if text.strip()],
        "fits": task.fit_counts(),
        "taxonomy": guess,
    }


def _mode(values: list) -> str | None:
    """The most frequent value, or None when there is none or a tie."""
    top = Counter(values).most_common(2)
    return top[0][0] if top and (len(top) == 1 or top[0][1] > top[1][1]) else None


def _summaries(directions: dict[str, dict], run: LabelledRun, n_resamples: int, seed: int) -> dict:
    automatic = run.stats.conditions if run.stats else {}
    return {
        condition: _summary(
            condition, [e for e in directions.values() if e["condition"] == condition], automatic, n_resamples, seed
        )
        for condition in condition_order(entry["condition"] for entry in directions.values())
    }


def _summary(condition: str, entries: list[dict], automatic: Mapping[str, ConditionStats], n_resamples: int, seed: int) -> dict:
    """One condition's calls, and its means over directions with at least one labelled set."""
    labelled = [e for e in entries if any(d["call"] != "unlabelled" for d in e["datasets"].values())]
    agree = [e["taxonomy_agree"] for e in entries if e["taxonomy_agree"] is not None]

    def average(values, name):
        return mean(
            values,
            n_resamples=n_resamples,
            seed=seed,
            key=f"cross_dataset/{condition}/{name}",
            undefined="no labelled direction of this condition yet",
        )

    return {
        "directions": len(entries),
        "labelled": len(labelled),
        "calls": {call: sum(e["call"] == call for e in entries) for call in CALLS},
        "datasets": average([len(e["datasets"]) for e in labelled], "datasets"),
        "datasets_with_pattern": average([e["datasets_with_pattern"] for e in labelled], "with_pattern"),
        "distinct_concepts": average([e["distinct_concepts"] for e in labelled], "concepts"),
        "distinct_concepts_upper_bounds": sum(e["distinct_concepts_upper_bound"] for e in labelled),
        "same_share": average([e["same_share"] for e in entries if e["same_share"] is not None], "same_share"),
        "taxonomy_agree": share(sum(agree), len(agree), "no direction has taxonomy guesses in two datasets"),
        "automatic": automatic[condition].to_json() if condition in automatic else {},
    }
