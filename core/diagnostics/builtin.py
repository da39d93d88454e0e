"""The built-in diagnostics, registered through ``illusion_diagnostics`` exactly as an installed plugin's would be.

The host loads this module by name, as it loads the built-in plugins. Each registration says what its
analysis (a function of arrays in its own module) reads of the run's context, which earlier results it
needs, and its findings: the headline numbers the report, ``illusion diagnose``, the sweep,
``illusion tables`` and the comparison with the paper read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

import numpy as np

from illusion import WHOLE, DiagnosticContext, DiagnosticPlugin, Finding, FindingValue, hookimpl
from illusion.diagnostics import locality, outliers, paper, separability
from illusion.diagnostics.anisotropy import anisotropy
from illusion.diagnostics.monotonicity import MIN_COUNT, WordCounts, monotonicity, split_consistency, word_counts
from illusion.diagnostics.overlap import overlap_summary
from illusion.diagnostics.sanity import sanity
from illusion.diagnostics.score import illusion_scores
from illusion.diagnostics.uncertainty import Resampler, direction_uncertainty
from illusion.diagnostics.verdicts import wilson

SPREAD = "lowest and highest dataset"
FEW_WORDS = ("few monotonicity words",)  # the sanity warning under which the monotonicity shares say little


def _section(name: str) -> str:
    """The Jinja2 source of a built-in diagnostic's section of report.html (``templates/NAME.html.j2``)."""
    return (files("illusion.diagnostics") / "templates" / f"{name}.html.j2").read_text(encoding="utf-8")


def _conditions(context: DiagnosticContext) -> list[str]:
    return sorted(set(context.conditions))


def _spread(per_dataset: Mapping[str, float], chance: float | None) -> FindingValue:
    values = list(per_dataset.values())
    return FindingValue(float(np.mean(values)), [min(values), max(values)], chance, dict(per_dataset))


DEFAULTS = {
    "min_count": MIN_COUNT,
    "neighbours": locality.NEIGHBOURS,
    "queries": locality.QUERIES,
    "random": locality.RANDOM,
    "bins": locality.BINS,
    "fractions": outliers.FRACTIONS,
    "points": separability.POINTS,
}


def _setting(context: DiagnosticContext, name: str) -> Any:
    """A diagnostics setting of the run (``illusion diagnose --min-count``...), else its default."""
    return context.settings.get(name, DEFAULTS[name])


def _words(context: DiagnosticContext) -> WordCounts:
    """Each dataset's counts of the words frequent enough in every dataset (for monotonicity and its split halves)."""
    return context.once("words", lambda: word_counts(context.texts, _setting(context, "min_count")))


# -- separability --------------------------------------------------------------------------------


def _classified(classifier: Mapping[str, Any], context: DiagnosticContext) -> dict[str, FindingValue]:
    accuracy, tested = classifier.get("accuracy"), classifier.get("test_size", 0)
    interval = wilson(round(accuracy * tested), tested) if accuracy is not None else None
    return {WHOLE: FindingValue(accuracy, interval, classifier.get("chance"))}


SEPARABILITY = DiagnosticPlugin(
    "separability",
    "How well a linear classifier tells the datasets apart, and a 2-D picture of their sentence vectors.",
    lambda context: separability.separability(
        context.stats.separability, context.vectors, context.seed, _setting(context, "points")
    ),
    title="Dataset separability",
    report=_section("separability"),
    findings=[
        Finding(
            "separability",
            "Dataset separability",
            "held-out accuracy of the linear dataset classifier",
            _classified,
            per_condition=False,
            interval="95% Wilson interval over the test sentences",
            paper_text="a near-diagonal confusion matrix of a linear SVM",
            versus_paper=paper.separability,
        )
    ],
)

# -- range overlap -------------------------------------------------------------------------------


RANGE_OVERLAP = DiagnosticPlugin(
    "range_overlap",
    "Whether the top-k activation ranges of each pair of datasets overlap.",
    lambda context: overlap_summary(context.stats),
    title="Top-k activation ranges",
    report=_section("range_overlap"),
    findings=[
        Finding(
            "range_overlap",
            "Top-k range overlap",
            "share of (direction, dataset pair) cases whose top-k activation ranges overlap",
            lambda found, context: {
                c: FindingValue(row["share"], parts=row["pairs"]) for c, row in found["by_condition"].items()
            },
            paper=0.38,
            paper_text="38% of neuron/dataset pairs",
            incomparable=paper.other_k,
            versus_paper=paper.range_overlap,
        )
    ],
)

# -- monotonicity --------------------------------------------------------------------------------


def _monotone(which: int) -> Any:
    """The measure of the share of (direction, word) pairs monotone in one dataset (``which=0``) or every dataset (-1)."""

    def measure(found: Mapping[str, Any], context: DiagnosticContext) -> dict[str, FindingValue]:
        values = {}
        for condition in _conditions(context):
            entry = found.get("by_condition", {}).get(condition, {})
            rows = entry.get("in_datasets", [])
            if not rows:
                values[condition] = FindingValue(None)
            elif which == 0:
                values[condition] = _spread(entry["per_dataset"], rows[0]["chance"])
            else:
                values[condition] = FindingValue(rows[which]["mean"], None, rows[which]["chance"])
        return values

    return measure


MONOTONICITY = DiagnosticPlugin(
    "monotonicity",
    "Which words rise or fall monotonically in frequency over a direction's activation quintiles, in which datasets.",
    lambda context: monotonicity(
        context.vectors,
        context.texts,
        context.directions,
        context.direction_ids,
        context.conditions,
        _setting(context, "min_count"),
        context.seed,
        counted=_words(context),
    ),
    title="Monotonicity",
    report=_section("monotonicity"),
    findings=[
        Finding(
            "monotonicity_one",
            "Monotone in one dataset",
            "share of (direction, word) pairs monotone over activation quintiles in one dataset (mean over datasets)",
            _monotone(0),
            interval=SPREAD,
            paper=0.27,
            warned_by=FEW_WORDS,
            paper_text="27% of neuron/token pairs monotone in one dataset",
            versus_paper=paper.monotone_one,
        ),
        Finding(
            "monotonicity_all",
            "Monotone in every dataset",
            "share of (direction, word) pairs monotone in every dataset",
            _monotone(-1),
            paper=0.019,
            warned_by=FEW_WORDS,
            paper_text="1.9% in all four datasets",
            incomparable=paper.other_datasets,
            versus_paper=paper.monotone_all,
        ),
    ],
)

# -- locality ------------------------------------------------------------------------------------


LOCALITY = DiagnosticPlugin(
    "locality",
    "How much a direction's top-k sentences resemble nearest neighbours rather than random sentences.",
    lambda context: locality.locality(
        context.vectors,
        context.top_index,
        context.direction_ids,
        context.conditions,
        context.seed,
        _setting(context, "neighbours"),
        _setting(context, "queries"),
        _setting(context, "random"),
        _setting(context, "bins"),
    ),
    title="Locality",
    report=_section("locality"),
    findings=[
        Finding(
            "locality",
            "Locality",
            "similarity of top-k pair dot products to nearest-neighbour ones",
            lambda found, context: {c: FindingValue(row["score"]) for c, row in found["by_condition"].items()},
            shown="score",
            paper_text="0.026 for meaningful neurons vs 0.010 (binning unknown)",
            versus_paper=paper.locality,
        )
    ],
)

# -- outliers ------------------------------------------------------------------------------------


def _fills(every_neuron: bool) -> Any:
    """The measure of the share of top-k slots filled by the most distant sentences: each condition's, or every neuron's."""

    def measure(found: Mapping[str, Any], context: DiagnosticContext) -> dict[str, FindingValue]:
        fraction, per_dataset = str(found["fractions"][0]), found["per_dataset"]
        chance = float(np.mean([math.ceil(float(fraction) * d["sentences"]) / d["sentences"] for d in per_dataset.values()]))

        def fill(name: str, among: str | None) -> float:
            entry = per_dataset[name]["all_neurons"] if among is None else per_dataset[name]["by_condition"][among]
            return float(entry["share"][fraction])

        if every_neuron:
            return {WHOLE: _spread({name: fill(name, None) for name in per_dataset}, chance)}
        return {c: _spread({name: fill(name, c) for name in per_dataset}, chance) for c in _conditions(context)}

    return measure


OUTLIERS = DiagnosticPlugin(
    "outliers",
    "How many of the top-k slots the sentences most distant from their dataset's centre fill.",
    lambda context: outliers.outliers(
        context.vectors,
        context.top_index,
        context.directions,
        context.direction_ids,
        context.conditions,
        context.k,
        context.stats.conditions,
        _setting(context, "fractions"),
    ),
    title="Outliers",
    report=_section("outliers"),
    findings=[
        Finding(
            "outlier_fill",
            "Outlier fill",
            "share of the directions' top-k slots filled by the most distant 1% of sentences (mean over datasets)",
            _fills(every_neuron=False),
            interval=SPREAD,
            paper=paper.FILL,
            paper_text="48% of top-10 slots filled by the most distant 1% (QQP, every neuron)",
            incomparable=paper.other_k,
        ),
        Finding(
            "outliers",
            "Outlier fill, every neuron",
            "share of every neuron's top-k slots filled by the most distant 1% of sentences (mean over datasets)",
            _fills(every_neuron=True),
            per_condition=False,
            interval=SPREAD,
            paper=paper.FILL,
            paper_text="48% of top-10 slots filled by the most distant 1% (QQP, every neuron)",
            incomparable=paper.other_k,
            versus_paper=paper.outlier_fill,
        ),
    ],
)

# -- anisotropy, sanity, illusion score, uncertainty -----------------------------------------------

ANISOTROPY = DiagnosticPlugin(
    "anisotropy",
    "Mean cosine similarity of sentence vectors within and between datasets.",
    lambda context: anisotropy(context.vectors),
    title="Anisotropy",
    report=_section("anisotropy"),
)

SANITY = DiagnosticPlugin(
    "sanity",
    "Conditions under which the other diagnostics mean little: near-constant vectors, extreme anisotropy, repeats.",
    lambda context: sanity(
        context.vectors,
        context.directions,
        context.direction_ids,
        context.roles,
        context.k,
        context.results["anisotropy"],
        context.results["monotonicity"],
        context.stats.separability,
    ),
    title="Sanity checks",
    needs=["anisotropy", "monotonicity"],
)


def _scores(context: DiagnosticContext) -> dict[str, Any]:
    consistency = {i: d["consistency"] for i, d in context.results["monotonicity"]["directions"].items()}
    return illusion_scores(
        context.stats.directions,
        consistency,
        len(context.datasets),
        roles=context.roles,
        duplicate_of=context.results["sanity"]["duplicates"],
        k=context.k,
    )


ILLUSION_SCORE = DiagnosticPlugin(
    "illusion_score",
    "Each direction's illusion score, the ranking, and the directions to label first.",
    _scores,
    title="Illusion score",
    report=_section("illusion_score"),
    needs=["monotonicity", "sanity"],
    findings=[
        Finding(
            "illusion_score",
            "Illusion score",
            "mean illusion score of the condition's directions",
            lambda found, context: {c: FindingValue(value) for c, value in found["by_condition"].items()},
            shown="score",
            warned_by=FEW_WORDS,
        )
    ],
)


def _uncertainty(context: DiagnosticContext) -> dict[str, Any]:
    counted = _words(context)
    return direction_uncertainty(
        Resampler(context.vectors, context.directions, context.k),  # its projection is part of the step's time
        context.direction_ids,
        context.results["illusion_score"],
        context.seed,
        lambda masks: split_consistency(context.vectors, counted, context.directions, masks),
    )


UNCERTAINTY = DiagnosticPlugin(
    "uncertainty",
    "Bootstrap intervals of each direction's score and how reliable the ranking is.",
    _uncertainty,
    title="Uncertainty",
    needs=["illusion_score"],
)

BUILTIN = (SEPARABILITY, RANGE_OVERLAP, MONOTONICITY, LOCALITY, OUTLIERS, ANISOTROPY, SANITY, ILLUSION_SCORE, UNCERTAINTY)


@hookimpl
def illusion_diagnostics() -> tuple[DiagnosticPlugin, ...]:
    return BUILTIN
