"""The paper's table per condition (pattern / no pattern / conflict, sentences that fit) and tests between conditions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import combinations
from typing import Any

import numpy as np
from scipy.stats import fisher_exact, permutation_test
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from illusion.annotations.agreement.ratings import CONTROL, LabelledRun, RatedItem
from illusion.annotations.agreement.reliability import CONFIDENCE_LEVEL, estimate, mean
from illusion.common.seeds import rng_for

OUTCOMES = ("pattern", "none", "conflict")  # every annotator saw a pattern / none did / they disagree
PERMUTATIONS = 9999


def condition_order(names: Iterable[str]) -> list[str]:
    """Neurons first, the random-sentence control last, the other samplers by name in between."""
    return sorted(set(names), key=lambda name: (name != "neuron", name == CONTROL, name))


def group_by_condition(tasks: Iterable[RatedItem]) -> dict[str, list[RatedItem]]:
    groups: dict[str, list[RatedItem]] = {}
    for task in tasks:
        groups.setdefault(task.condition, []).append(task)
    return {name: groups[name] for name in condition_order(groups)}


def rated(tasks: Iterable[RatedItem]) -> list[RatedItem]:
    """The sets with two or more pattern labels: the only ones the table's shares count."""
    return [task for task in tasks if len(task.votes("pattern")) >= 2]


def mean_fits(tasks: Iterable[RatedItem]) -> np.ndarray:
    """Per set, the mean number of sentences marked as fitting by the annotators who saw a pattern."""
    return np.array([np.mean(counts) for task in tasks if (counts := task.fit_counts())], dtype=float)


def share(count: int, n: int, empty: str) -> dict:
    """A proportion with its Wilson score interval."""
    if n == 0:
        return {"count": 0, "n": 0, "value": None, "ci": None, "reason": empty}
    low, high = proportion_confint(count, n, alpha=1 - CONFIDENCE_LEVEL, method="wilson")
    return {"count": count, "n": n, "value": count / n, "ci": [max(0.0, float(low)), min(1.0, float(high))]}


def condition_table(run: LabelledRun, *, n_resamples: int, seed: int) -> dict[str, dict]:
    """Per condition: sets, sets rated twice or more, the share of each outcome, and the mean number of fitting sentences."""
    table = {}
    for condition, tasks in group_by_condition(run.sets.values()).items():
        both = rated(tasks)
        calls = Counter(task.call for task in both)
        fits = mean_fits(tasks)
        entry: dict[str, Any] = {"sets": len(tasks), "rated": len(both), "k": run.k}
        for outcome in OUTCOMES:
            entry[outcome] = share(calls[outcome], len(both), "no set of this condition has two pattern labels yet")
        entry["fits_mean"] = mean(
            fits,
            n_resamples=n_resamples,
            seed=seed,
            key=f"conditions/{condition}/fits",
            undefined="no annotator of this condition saw a pattern and marked its sentences",
        )
        table[condition] = entry
    return table


def compare_conditions(run: LabelledRun, *, n_resamples: int, seed: int) -> list[dict]:
    """Each pair of conditions on each outcome share (Fisher's exact test) and on the mean fits (permutation test).

    Effect sizes are differences (first minus second) with intervals: Newcombe's for shares, a
    bootstrap one for means. p-values are adjusted with Holm's method over all the comparisons. A
    test that cannot run yet (fewer than two sets on a side) has ``p`` None and says why.
    """
    groups = group_by_condition(run.sets.values())
    comparisons = []
    for a, b in combinations(groups, 2):
        both_a, both_b = rated(groups[a]), rated(groups[b])
        if both_a and both_b:
            comparisons += [_share_test(a, b, both_a, both_b, outcome) for outcome in OUTCOMES]
        fits_a, fits_b = mean_fits(groups[a]), mean_fits(groups[b])
        if len(fits_a) and len(fits_b):
            comparisons.append(_fits_test(a, b, fits_a, fits_b, n_resamples, seed))
    tested = [c for c in comparisons if c["p"] is not None]
    for comparison in comparisons:
        comparison["p_holm"] = None
    if tested:
        adjusted = multipletests([c["p"] for c in tested], method="holm")[1]
        for comparison, p in zip(tested, adjusted, strict=True):
            comparison["p_holm"] = float(p)
    return comparisons


def _share_test(a: str, b: str, tasks_a: list[RatedItem], tasks_b: list[RatedItem], outcome: str) -> dict:
    count_a = sum(task.call == outcome for task in tasks_a)
    count_b = sum(task.call == outcome for task in tasks_b)
    n_a, n_b = len(tasks_a), len(tasks_b)
    p = fisher_exact([[count_a, n_a - count_a], [count_b, n_b - count_b]]).pvalue
    low, high = confint_proportions_2indep(
        count_a, n_a, count_b, n_b, method="newcomb", compare="diff", alpha=1 - CONFIDENCE_LEVEL
    )
    return {
        "conditions": [a, b],
        "outcome": outcome,
        "test": "fisher-exact",
        "n": [n_a, n_b],
        "values": [count_a / n_a, count_b / n_b],
        "effect": {"name": "difference in share", "value": count_a / n_a - count_b / n_b, "ci": [float(low), float(high)]},
        "p": float(p),
    }


def _fits_test(a: str, b: str, fits_a: np.ndarray, fits_b: np.ndarray, n_resamples: int, seed: int) -> dict:
    key = f"comparisons/{a}/{b}/fits"
    enough = min(len(fits_a), len(fits_b)) >= 2
    test = (
        permutation_test(
            (fits_a, fits_b),
            lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
            vectorized=True,
            n_resamples=PERMUTATIONS,
            rng=rng_for(seed, key),
        )
        if enough
        else None
    )
    effect = estimate(
        lambda i, j: fits_a[i].mean() - fits_b[j].mean(),
        [len(fits_a), len(fits_b)],
        n_resamples=n_resamples,
        seed=seed,
        key=key,
        undefined="no fitting sentences marked",
    )
    return {
        "conditions": [a, b],
        "outcome": "fits_mean",
        "test": "permutation",
        "n": [len(fits_a), len(fits_b)],
        "values": [float(fits_a.mean()), float(fits_b.mean())],
        "effect": {"name": "difference in mean sentences that fit", **{k: v for k, v in effect.items() if k != "n"}},
        "p": float(test.pvalue) if test else None,
        **({} if test else {"reason": "not enough data: the test needs 2 sets or more with marked sentences per condition"}),
    }
