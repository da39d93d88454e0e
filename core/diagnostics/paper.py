"""The paper's headline findings beside a run's: which reproduce, which differ, and the model/scale caveat.

The paper's numbers ("An Interpretability Illusion for BERT", Bolukbasi et al. 2021) come from
secondary summaries of its full text, except the setup; docs/reproduction.md says which. A finding is
compared only when the run computes it the same way (the top 10; the neuron sampler; the most distant
1%); ``status`` is ``matches``, ``differs`` (the paper's value lies outside the run's interval) or
``not comparable`` (with the reason). ``caveat`` is one line naming the paper's model and scale and
this run's, printed next to each finding that differs so that a reader does not take a small run's
numbers for a failure to reproduce. The paper's values are declared on the findings of the
diagnostics' registrations (``illusion.diagnostics.builtin``); this module says how a run's value
stands beside them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from illusion.common.seeds import rng_for
from illusion.diagnostics.verdicts import wilson
from illusion.registrations import DiagnosticContext, DiagnosticPlugin, Finding
from illusion.run.schema import DirectionEntry, Manifest

MODEL = "BERT-base (bert-base-uncased, layer 12 of 12, [CLS])"
SIZES = (58_645, 203_736)  # QNLI ... Wikipedia
DATASETS = 4
K = 10
FRACTION = "0.01"  # outliers: the most distant 1%
FILL = 0.48  # the paper's outlier fill: 48% of top-10 slots filled by the most distant 1% (QQP, every neuron)
RESAMPLES = 2000
SEPARATED = 0.5  # near-diagonal: every dataset's own row is predicted right for most of its sentences
NEURONS = "neuron"  # the sampler plugin whose directions the paper's neuron figures describe
GUIDE = "docs/reproduction.md"
Interval = tuple[str, list[float]] | None  # (what the interval is, [low, high])


def caveat(manifest: Manifest) -> str:
    """One line: the paper's model and scale, this run's, and where the differences are explained."""
    model = manifest.model or {}
    chosen = manifest.config.get("model")
    name = model.get("model", chosen.get("plugin", "?") if isinstance(chosen, dict) else "?")
    where = ", ".join(
        str(part) for part in (f"layer {model['layer']}" if "layer" in model else None, model.get("pooling")) if part
    )
    sizes = [d.size for d in manifest.datasets]
    scale = f"{min(sizes):,}" if min(sizes) == max(sizes) else f"{min(sizes):,}-{max(sizes):,}"
    return (
        f"The paper used {MODEL} on {DATASETS} datasets of {SIZES[0]:,}-{SIZES[1]:,} sentences; this run uses {name}"
        f"{f' ({where})' if where else ''} on {len(sizes)} dataset{'s' if len(sizes) != 1 else ''} of {scale} sentences: see {GUIDE}"
    )


def other_k(context: DiagnosticContext) -> str | None:
    """Why a run's top-k shares are not the paper's (None: it ranks the top 10 too)."""
    return f"top {context.k}, not the top {K}" if context.k != K else None


def other_datasets(context: DiagnosticContext) -> str | None:
    """Why a share over every dataset is not the paper's (None: the run has four datasets too)."""
    return f"{len(context.datasets)} datasets, not {DATASETS}" if len(context.datasets) != DATASETS else None


def neurons(context: DiagnosticContext) -> tuple[list[DirectionEntry], str | None]:
    """The run's neuron directions (from the manifest) and, when there are none, why the neuron findings are not compared."""
    found = [d for d in context.manifest.directions if d.sampler == NEURONS]
    return found, None if found else f"the run samples no neurons (sampler {NEURONS!r})"


def entry(finding: Finding, measured: Mapping[str, Any], context: DiagnosticContext) -> dict[str, Any]:
    """A finding beside the paper's: it differs when the paper's value lies outside the run's interval.

    ``measured``: ``run`` (the run's value), ``interval`` (an :data:`Interval`), ``why`` it is not comparable
    (else the finding's own ``incomparable``), and anything to add or override (``status``, ``min_recall``).
    """
    run, (kind, bounds) = measured.get("run"), measured.get("interval") or (None, None)
    why = measured.get("why") or (finding.incomparable(context) if finding.incomparable else None)
    if why is None and (run is None or bounds is None):
        why = "not computed in this run"
    status = "not comparable"
    if why is None and finding.paper is not None and bounds is not None:
        status = "matches" if bounds[0] <= finding.paper <= bounds[1] else "differs"
    extra = {key: value for key, value in measured.items() if key not in ("run", "interval", "why")}
    found = {
        "paper": finding.paper,
        "paper_text": finding.paper_text,
        "run": run,
        "interval": bounds,
        "interval_kind": kind,
        "status": status,
        "why": why,
    }
    return found | extra


def _wilson(share: float, n: int, over: str) -> Interval:
    """The 95% Wilson interval of a share of ``n`` cases."""
    bounds = wilson(round(share * n), n)
    return None if bounds is None else (f"95% Wilson over {over}", bounds)


def separability(classifier: Mapping[str, Any], context: DiagnosticContext) -> dict[str, Any]:
    """Near-diagonal: every dataset's own row of the confusion matrix is predicted right for most of its sentences."""
    if classifier.get("accuracy") is None:
        return {"run": None}
    rows = np.asarray(classifier["confusion"], dtype=float)
    recalls = np.diag(rows) / np.maximum(rows.sum(axis=1), 1)
    interval = _wilson(classifier["accuracy"], classifier["test_size"], "test sentences")
    status = "matches" if (recalls > SEPARATED).all() else "differs"
    return {"run": classifier["accuracy"], "interval": interval, "status": status, "min_recall": float(recalls.min())}


def _bootstrap(values: Sequence[float], seed: int, key: str) -> Interval:
    """The 95% percentile bootstrap interval of the mean of ``values`` (resampled with replacement)."""
    data = np.asarray(values, dtype=float)
    means = data[rng_for(seed, key).integers(0, len(data), size=(RESAMPLES, len(data)))].mean(axis=1)
    return "95% bootstrap over neurons", [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))]


def _spread(values: Sequence[float], over: str) -> Interval:
    return (f"min-max over {over}", [min(values), max(values)]) if values else None


def range_overlap(overlap: Mapping[str, Any], context: DiagnosticContext) -> dict[str, Any]:
    """The neurons' share of overlapping dataset pairs, with a bootstrap interval over neurons."""
    found, no_neurons = neurons(context)
    share = overlap["by_condition"].get(found[0].condition, {}).get("share") if found else None
    overlaps = [float(np.mean(list(pairs.values()))) for d in found if (pairs := overlap["directions"][d.id])]
    interval = _bootstrap(overlaps, context.manifest.seed, "paper:range_overlap") if share is not None and overlaps else None
    return {"run": share, "interval": interval, "why": no_neurons}


def _monotone(monotone: Mapping[str, Any], context: DiagnosticContext) -> tuple[Mapping[str, Any], list[Any], str | None]:
    found, no_neurons = neurons(context)
    by_condition = monotone.get("by_condition", {}).get(found[0].condition if found else None, {})
    return by_condition, by_condition.get("in_datasets", []), no_neurons


def monotone_one(monotone: Mapping[str, Any], context: DiagnosticContext) -> dict[str, Any]:
    """The neurons' share of word pairs monotone in one dataset, with its spread over datasets."""
    _, rows, no_neurons = _monotone(monotone, context)
    one = rows[0] if rows else {}
    return {"run": one.get("mean"), "interval": _spread([one["min"], one["max"]] if one else [], "datasets"), "why": no_neurons}


def monotone_all(monotone: Mapping[str, Any], context: DiagnosticContext) -> dict[str, Any]:
    """The neurons' share of word pairs monotone in every dataset, with its Wilson interval over pairs."""
    by_condition, rows, no_neurons = _monotone(monotone, context)
    every = rows[-1] if rows else {}
    interval = _wilson(every["mean"], by_condition["pairs"], "neuron/word pairs") if every else None
    return {"run": every.get("mean"), "interval": interval, "why": no_neurons}


def locality(found: Mapping[str, Any], context: DiagnosticContext) -> dict[str, Any]:
    """Never compared: the paper's histogram binning is unknown."""
    return {"run": None, "why": "the paper's histogram binning is unknown"}


def outlier_fill(outliers: Mapping[str, Any], context: DiagnosticContext) -> dict[str, Any]:
    """Every neuron's top-k slots filled by the most distant 1%, mean over datasets, with its spread."""
    fills = [
        d["all_neurons"]["share"][FRACTION] for d in outliers["per_dataset"].values() if FRACTION in d["all_neurons"]["share"]
    ]
    return {"run": float(np.mean(fills)) if fills else None, "interval": _spread(fills, "datasets")}


def versus(diagnostic: DiagnosticPlugin, result: Mapping[str, Any], context: DiagnosticContext) -> dict[str, Any]:
    """The entries of ``diagnostic``'s findings in the ``paper`` part, from its ``result``; a PluginError naming it on failure."""
    by_key = {finding.key: finding for finding in diagnostic.findings}
    return {key: entry(by_key[key], measured, context) for key, measured in diagnostic.versus_paper(result, context).items()}


def summary(findings: Mapping[str, Any], manifest: Manifest) -> dict[str, Any]:
    """The ``paper`` part of ``diagnostics.json``: the paper's setup, the caveat, and each finding beside the paper's."""
    return {"model": MODEL, "datasets": DATASETS, "sizes": list(SIZES), "caveat": caveat(manifest), "findings": dict(findings)}
