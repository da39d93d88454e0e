"""The paper's headline findings beside a run's: which reproduce, which differ, and the model/scale caveat.

The paper's numbers ("An Interpretability Illusion for BERT", Bolukbasi et al. 2021) come from
secondary summaries of its full text, except the setup; docs/reproduction.md says which. A finding is
compared only when the run computes it the same way (the top 10; the neuron sampler; the most distant
1%); ``status`` is ``matches``, ``differs`` (the paper's value lies outside the run's interval) or
``not comparable`` (with the reason). ``caveat`` is one line naming the paper's model and scale and
this run's, printed next to each finding that differs so that a reader does not take a small run's
numbers for a failure to reproduce.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from illusion.common.seeds import rng_for
from illusion.diagnostics.verdicts import wilson

MODEL = "BERT-base (bert-base-uncased, layer 12 of 12, [CLS])"
SIZES = (58_645, 203_736)  # QNLI ... Wikipedia
DATASETS = 4
K = 10
FRACTION = "0.01"  # outliers: the most distant 1%
RESAMPLES = 2000
SEPARATED = 0.5  # near-diagonal: every dataset's own row is predicted right for most of its sentences
REFERENCES = {
    "separability": (None, "a near-diagonal confusion matrix of a linear SVM"),
    "range_overlap": (0.38, "38% of neuron/dataset pairs"),
    "monotonicity_one": (0.27, "27% of neuron/token pairs monotone in one dataset"),
    "monotonicity_all": (0.019, "1.9% in all four datasets"),
    "locality": (None, "0.026 for meaningful neurons vs 0.010 (binning unknown)"),
    "outliers": (0.48, "48% of top-10 slots filled by the most distant 1% (QQP, every neuron)"),
}
GUIDE = "docs/reproduction.md"
Interval = tuple[str, list[float]] | None  # (what the interval is, [low, high])


def caveat(manifest: Mapping[str, Any]) -> str:
    """One line: the paper's model and scale, this run's, and where the differences are explained."""
    model = manifest.get("model", {})
    name = model.get("model", manifest["config"]["model"].get("plugin", "?"))
    where = ", ".join(
        str(part) for part in (f"layer {model['layer']}" if "layer" in model else None, model.get("pooling")) if part
    )
    sizes = [d["size"] for d in manifest["datasets"]]
    scale = f"{min(sizes):,}" if min(sizes) == max(sizes) else f"{min(sizes):,}-{max(sizes):,}"
    return (
        f"The paper used {MODEL} on {DATASETS} datasets of {SIZES[0]:,}-{SIZES[1]:,} sentences; this run uses {name}"
        f"{f' ({where})' if where else ''} on {len(sizes)} dataset{'s' if len(sizes) != 1 else ''} of {scale} sentences: see {GUIDE}"
    )


def incomparable(name: str, k: int, datasets: int) -> str | None:
    """Why a run of the top ``k`` over ``datasets`` datasets does not measure finding ``name`` as the paper did (None: it does)."""
    if name in ("range_overlap", "outliers") and k != K:
        return f"top {k}, not the top {K}"
    if name == "monotonicity_all" and datasets != DATASETS:
        return f"{datasets} datasets, not {DATASETS}"
    return None


def _finding(name: str, run: float | None, interval: Interval, why: str | None = None) -> dict[str, Any]:
    """A finding beside the paper's: it differs when the paper's value lies outside the run's interval."""
    paper, text = REFERENCES[name]
    kind, bounds = interval or (None, None)
    if why is None and (run is None or bounds is None):
        why = "not computed in this run"
    status = "not comparable"
    if why is None and paper is not None and bounds is not None:
        status = "matches" if bounds[0] <= paper <= bounds[1] else "differs"
    return {
        "paper": paper,
        "paper_text": text,
        "run": run,
        "interval": bounds,
        "interval_kind": kind,
        "status": status,
        "why": why,
    }


def _wilson(share: float, n: int, over: str) -> Interval:
    """The 95% Wilson interval of a share of ``n`` cases."""
    bounds = wilson(round(share * n), n)
    return None if bounds is None else (f"95% Wilson over {over}", bounds)


def _separability(classifier: Mapping[str, Any]) -> dict[str, Any]:
    """Near-diagonal: every dataset's own row of the confusion matrix is predicted right for most of its sentences."""
    if classifier.get("accuracy") is None:
        return _finding("separability", None, None)
    rows = np.asarray(classifier["confusion"], dtype=float)
    recalls = np.diag(rows) / np.maximum(rows.sum(axis=1), 1)
    interval = _wilson(classifier["accuracy"], classifier["test_size"], "test sentences")
    finding = _finding("separability", classifier["accuracy"], interval)
    return {**finding, "status": "matches" if (recalls > SEPARATED).all() else "differs", "min_recall": float(recalls.min())}


def _bootstrap(values: Sequence[float], seed: int, key: str) -> Interval:
    """The 95% percentile bootstrap interval of the mean of ``values`` (resampled with replacement)."""
    data = np.asarray(values, dtype=float)
    means = data[rng_for(seed, key).integers(0, len(data), size=(RESAMPLES, len(data)))].mean(axis=1)
    return "95% bootstrap over neurons", [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))]


def _spread(values: Sequence[float], over: str) -> Interval:
    return (f"min-max over {over}", [min(values), max(values)]) if values else None


def compare(result: Mapping[str, Any], manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The ``paper`` part of ``diagnostics.json``: each headline finding beside the paper's, and the caveat."""
    k, datasets = manifest["k"], len(manifest["datasets"])
    neurons = [d for d in manifest["directions"] if d["sampler"] == "neuron"]
    condition = neurons[0]["condition"] if neurons else None
    no_neurons = None if neurons else "the run samples no neurons (sampler 'neuron')"
    findings = {"separability": _separability(result["separability"])}

    share = result["range_overlap"]["by_condition"].get(condition, {}).get("share")
    pairs = [list(result["range_overlap"]["directions"][d["id"]].values()) for d in neurons]
    overlaps = [float(np.mean(found)) for found in pairs if found]
    interval = _bootstrap(overlaps, manifest["seed"], "paper:range_overlap") if share is not None and overlaps else None
    findings["range_overlap"] = _finding(
        "range_overlap", share, interval, no_neurons or incomparable("range_overlap", k, datasets)
    )

    monotone = result["monotonicity"].get("by_condition", {}).get(condition, {})
    rows = monotone.get("in_datasets", [])
    one, every = (rows[0], rows[-1]) if rows else ({}, {})
    spread = _spread([one["min"], one["max"]] if one else [], "datasets")
    findings["monotonicity_one"] = _finding("monotonicity_one", one.get("mean"), spread, no_neurons)
    findings["monotonicity_all"] = _finding(
        "monotonicity_all",
        every.get("mean"),
        _wilson(every["mean"], monotone["pairs"], "neuron/word pairs") if every else None,
        no_neurons or incomparable("monotonicity_all", k, datasets),
    )
    findings["locality"] = _finding("locality", None, None, "the paper's histogram binning is unknown")

    fills = [
        d["all_neurons"]["share"][FRACTION]
        for d in result["outliers"]["per_dataset"].values()
        if FRACTION in d["all_neurons"]["share"]
    ]
    fill = float(np.mean(fills)) if fills else None
    findings["outliers"] = _finding("outliers", fill, _spread(fills, "datasets"), incomparable("outliers", k, datasets))
    return {"model": MODEL, "datasets": DATASETS, "sizes": list(SIZES), "caveat": caveat(manifest), "findings": findings}
