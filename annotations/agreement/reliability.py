"""Inter-annotator reliability of one labelled field, with bootstrap intervals over sets.

The coefficients come from well-kept libraries: Krippendorff's alpha from ``krippendorff``,
Fleiss' and Cohen's kappa from ``statsmodels``; intervals from ``scipy.stats.bootstrap``, which
resamples whole sets (never single ratings). Ratings arrive as category indices shaped
(annotators, sets, units per set), NaN where missing (see ``ratings.field_codes``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any, Literal

import krippendorff
import numpy as np
from scipy.stats import bootstrap
from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa

from illusion.common.seeds import rng_for

Level = Literal["nominal", "ordinal", "interval", "ratio"]  # Krippendorff's levels of measurement
CONFIDENCE_LEVEL = 0.95


def estimate(
    statistic: Callable[..., float], sizes: Sequence[int], *, n_resamples: int, seed: int, key: str, undefined: str
) -> dict:
    """A point value and a percentile bootstrap interval of ``statistic(*indices)``, one index array per sample.

    Returns ``{"value", "ci", "n"}``, with ``"reason"`` when the value or the interval is missing and
    ``"undefined_resamples"`` when some resamples gave no value (they are left out of the interval).
    """
    value = _finite(_quiet(statistic, *(np.arange(size) for size in sizes)))
    result: dict[str, Any] = {"value": value, "ci": None, "n": sizes[0] if len(sizes) == 1 else list(sizes)}
    if value is None:
        result["reason"] = undefined
    elif n_resamples == 0:
        result["reason"] = "no interval: bootstrap turned off (--bootstrap 0)"
    elif min(sizes) < 2:
        result["reason"] = "no interval: it needs at least 2 sets per sample"
    else:
        result.update(_interval(statistic, sizes, n_resamples, rng_for(seed, key)))
    return result


def mean(values, *, n_resamples: int, seed: int, key: str, undefined: str) -> dict:
    """The mean of one value per set (or per direction), with its bootstrap interval."""
    data = np.asarray(values, dtype=float)
    return estimate(lambda idx: data[idx].mean(), [len(data)], n_resamples=n_resamples, seed=seed, key=key, undefined=undefined)


def _interval(statistic, sizes, n_resamples, rng) -> dict:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = bootstrap(
            tuple(np.arange(size) for size in sizes),
            statistic,
            n_resamples=n_resamples,
            vectorized=False,
            method="percentile",
            confidence_level=CONFIDENCE_LEVEL,
            rng=rng,
        )
    distribution = res.bootstrap_distribution
    undefined = int(np.isnan(distribution).sum())
    if undefined == 0:
        return {"ci": [float(res.confidence_interval.low), float(res.confidence_interval.high)]}
    if undefined == len(distribution):
        return {"reason": "no interval: no resample had a value", "undefined_resamples": undefined}
    tail = (1 - CONFIDENCE_LEVEL) / 2 * 100
    low, high = np.percentile(distribution[~np.isnan(distribution)], [tail, 100 - tail])
    return {"ci": [float(low), float(high)], "undefined_resamples": undefined}


def value_counts(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """How many annotators chose each category: (annotators, sets, units) -> (sets, units, categories)."""
    return np.stack([(codes == category).sum(axis=0) for category in range(n_categories)], axis=-1)


def krippendorff_alpha(counts: np.ndarray, level: Level, values: Sequence[float] | None = None) -> float:
    """Krippendorff's alpha from per-unit category counts (units, categories); NaN when undefined.

    ``values`` are the categories' values, needed for the interval and ratio levels (default 0, 1, ...).
    """
    counts = counts[counts.sum(axis=1) >= 2]
    if len(counts) == 0:
        return float("nan")
    domain = np.arange(counts.shape[1]) if values is None else np.asarray(values, dtype=float)
    return float(krippendorff.alpha(value_counts=counts, value_domain=domain, level_of_measurement=level))


def fleiss(counts: np.ndarray) -> float:
    """Fleiss' kappa from per-unit category counts; every rated unit must have the same number of ratings."""
    return float(fleiss_kappa(counts[counts.sum(axis=1) > 0], method="fleiss"))


def percent_agreement(counts: np.ndarray) -> float:
    """The share of agreeing pairs of ratings within a unit, averaged over units with 2 or more ratings."""
    counts = counts[counts.sum(axis=1) >= 2]
    totals = counts.sum(axis=1)
    return float(np.mean((counts * (counts - 1)).sum(axis=1) / (totals * (totals - 1)))) if len(counts) else float("nan")


def cohen(table: np.ndarray, level: str) -> float:
    """Cohen's kappa of two annotators from their contingency table; linear weights for ordinal fields."""
    return float(cohens_kappa(table, wt="linear" if level == "ordinal" else None, return_results=False))


def pair_tables(codes_a: np.ndarray, codes_b: np.ndarray, n_categories: int) -> np.ndarray:
    """Per-set contingency tables of two annotators: (sets, units) x 2 -> (sets, categories, categories)."""
    both = ~np.isnan(codes_a) & ~np.isnan(codes_b)
    tables = np.zeros((codes_a.shape[0], n_categories, n_categories))
    sets, _ = np.nonzero(both)
    np.add.at(tables, (sets, codes_a[both].astype(int), codes_b[both].astype(int)), 1)
    return tables


def field_reliability(
    codes: np.ndarray, annotators: Sequence[str], level: Level, categories: Sequence, *, n_resamples: int, seed: int, key: str
) -> dict:
    """Every coefficient of one field, each with its bootstrap interval over the sets rated at least twice."""
    n_categories = len(categories)
    counts = value_counts(codes, n_categories)
    rated = counts.sum(axis=-1)  # ratings per (set, unit)
    pairable = counts[(rated >= 2).any(axis=1)]
    common = {"n_resamples": n_resamples, "seed": seed}
    result: dict[str, Any] = {
        "level": level,
        "categories": list(categories),
        "sets": int((rated > 0).any(axis=1).sum()),
        "pairable_sets": len(pairable),
        "ratings": int(np.isfinite(codes).any(axis=-1).sum()),
        "annotators": len(annotators),
    }
    if len(pairable) == 0:

        def missing():
            return {"value": None, "ci": None, "n": 0, "reason": "no set has two ratings of this field yet"}

        fleiss_entry = missing() if level == "nominal" else None
        return {
            **result,
            "krippendorff_alpha": missing(),
            "fleiss_kappa": fleiss_entry,
            "percent_agreement": missing(),
            "cohen_kappa": [],
        }

    def units(idx):
        return pairable[idx].reshape(-1, n_categories)

    result["krippendorff_alpha"] = estimate(
        lambda idx: krippendorff_alpha(units(idx), level),
        [len(pairable)],
        key=f"{key}/alpha",
        undefined="alpha undefined: every rating has the same value",
        **common,
    )
    result["fleiss_kappa"] = _fleiss(pairable, level, units, key, common)
    result["percent_agreement"] = estimate(
        lambda idx: percent_agreement(units(idx)), [len(pairable)], key=f"{key}/percent", undefined="no pairable units", **common
    )
    result["cohen_kappa"] = [
        _cohen(tables, annotators[a], annotators[b], level, key, common)
        for a, b in combinations(range(len(annotators)), 2)
        if len(tables := _shared(pair_tables(codes[a], codes[b], n_categories)))
    ]
    return result


def _fleiss(pairable: np.ndarray, level: str, units, key: str, common: dict) -> dict | None:
    """Fleiss' kappa of a nominal field (None for ordinal ones: it ignores order)."""
    if level != "nominal":
        return None
    counts = np.unique(pairable.sum(axis=-1))
    counts = counts[counts > 0]  # sentences past the end of a shorter set
    if len(counts) > 1:
        return {
            "value": None,
            "ci": None,
            "n": len(pairable),
            "reason": f"sets have {counts.min()} to {counts.max()} ratings; Fleiss' kappa needs the same number for every set",
        }
    return estimate(
        lambda idx: fleiss(units(idx)),
        [len(pairable)],
        key=f"{key}/fleiss",
        undefined="kappa undefined: every rating has the same value",
        **common,
    )


def _shared(tables: np.ndarray) -> np.ndarray:
    return tables[tables.sum(axis=(1, 2)) > 0]


def _cohen(tables: np.ndarray, a: str, b: str, level: str, key: str, common: dict) -> dict:
    """Cohen's kappa of annotators ``a`` and ``b`` over the sets both rated (``tables``, one per set)."""
    return {
        "annotators": [a, b],
        "weights": "linear" if level == "ordinal" else None,
        **estimate(
            lambda idx: cohen(tables[idx].sum(axis=0), level),
            [len(tables)],
            key=f"{key}/cohen/{a}/{b}",
            undefined="kappa undefined: both annotators gave a single, identical value",
            **common,
        ),
    }


def _quiet(statistic, *args) -> float:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return statistic(*args)


def _finite(value: float) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None
