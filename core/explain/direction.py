"""Explain one direction and score each explanation on every dataset: what ``illusion explain`` does per
direction, and what a page for any direction spec calls on demand.

Each dataset is split once, at random (seeded), into an explain half and a score half. For each explainer and
source dataset, the explainer sees the direction's top and bottom ``top`` sentences of the source's explain half
(by activation) and a seeded contrast sample of that half (:class:`Samples`); its explanation's pattern is
detected in every dataset (:class:`Detections`, as ``illusion test-concept`` detects one) and assessed against
the direction's activations by :func:`illusion.diagnostics.concepts.assess` (AUROC, p-value,
holds/fails/untestable with the same thresholds), with a bootstrap interval of each AUROC and of the transfer
gap (the AUROC on the source minus the mean on the other testable datasets; :mod:`.bootstrap`). On the source
the score counts the score half only, so an explanation is never scored on a sentence it was made from; the
other datasets count whole. The score half is a random sample of the source, like the other datasets, so for
datasets from the same process the transfer gap is centred on 0 (scoring the source without only its extremes
would narrow its range and bias the gap). A dataset where the direction's activations are constant is
untestable there, and not explained from.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from illusion.common.seeds import rng_for
from illusion.diagnostics.concepts import PREFIX, Thresholds, assess, parse_pattern, pattern_of
from illusion.diagnostics.detectors import detect, detector_names
from illusion.diagnostics.uncertainty import BOOTSTRAP
from illusion.errors import IllusionError, PluginError
from illusion.explain.bootstrap import Ranked, Weights, bounds, transfer_gap
from illusion.host import Host
from illusion.registrations import ExplainerInput, Explanation
from illusion.run import schema
from illusion.run.data import RunData
from illusion.run.schema import ExplanationRow, ExplanationScore

Explainer = Callable[[ExplainerInput], Explanation | None]
VERDICTS = {True: "holds", False: "fails", None: "untestable"}
KEPT_PATTERNS = 256  # detections kept for reuse (a pattern's bools on every dataset)


@dataclass(frozen=True)
class Settings:
    """``top``: sentences shown to an explainer from each end (default: the run's k); ``contrast``: size of the
    contrast sample per dataset; ``replicates``: bootstrap resamples; ``thresholds``: the test-concept rules."""

    top: int | None = None
    contrast: int = 500
    replicates: int = BOOTSTRAP
    thresholds: Thresholds = field(default_factory=Thresholds)

    def __post_init__(self) -> None:
        if (self.top is not None and self.top < 1) or self.contrast < 1 or self.replicates < 2:
            raise IllusionError("explain: top and contrast must be at least 1, and bootstrap replicates at least 2")


class Detections:
    """Which sentences of every dataset of ``run`` each pattern finds, computed once per pattern (the latest kept)."""

    def __init__(self, run: RunData, host: Host):
        self.run, self.host = run, host
        self.detectors = detector_names(host)
        self._kept: OrderedDict[str, dict[str, np.ndarray]] = OrderedDict()

    def of(self, pattern: str, options: Mapping[str, Any]) -> dict[str, np.ndarray]:
        key = json.dumps([pattern, dict(options)], sort_keys=True, default=str)
        if key in self._kept:
            self._kept.move_to_end(key)
        else:
            concept = parse_pattern(pattern, self.detectors)
            self._kept[key] = detect(self.run, concept.detector, concept.argument, self.host, options)
            if len(self._kept) > KEPT_PATTERNS:
                self._kept.popitem(last=False)
        return self._kept[key]


class Samples:
    """Per dataset of a run, the seeded split into an explain half (what explainers see, contrast sample included)
    and a score half (what the source's score counts), the same for every direction."""

    def __init__(self, run: RunData, settings: Settings, seed: int):
        self.run, self.settings = run, settings
        self.explain: dict[str, np.ndarray] = {}
        self.contrast: dict[str, np.ndarray] = {}
        for name in run.names:
            shuffled = rng_for(seed, f"explain split {name}").permutation(len(run.records[name]))
            half = shuffled[: len(shuffled) // 2]
            self.explain[name] = np.sort(half)
            self.contrast[name] = np.sort(half[: settings.contrast])  # the half is in random order: a random sample

    def of(self, direction: str, dataset: str, scores: np.ndarray) -> tuple[ExplainerInput, np.ndarray]:
        """What an explainer sees of ``direction`` in ``dataset``, given its activations there (all from the explain
        half), and a mask of the score half (the sentences the source's score counts)."""
        texts = self.run.texts(dataset)
        k = self.settings.top or self.run.config.k
        half = self.explain[dataset]
        order = half[np.argsort(-scores[half], kind="stable")]
        top, bottom, contrast = order[:k], order[::-1][:k], self.contrast[dataset]
        unseen = np.ones(len(scores), dtype=bool)
        unseen[half] = False
        sample = ExplainerInput(
            direction,
            dataset,
            [texts[i] for i in top],
            scores[top].tolist(),
            [texts[i] for i in bottom],
            scores[bottom].tolist(),
            [texts[i] for i in contrast],
            scores[contrast].tolist(),
            str(self.run.path),
        )
        return sample, unseen


@dataclass
class Context:
    """What explaining many directions of one run shares: samples, detections, bootstrap weights, settings."""

    run: RunData
    host: Host
    explainers: Mapping[str, Explainer]
    settings: Settings = field(default_factory=Settings)
    sources: Sequence[str] = ()  # datasets explained from (default: every dataset of the run)

    def __post_init__(self) -> None:
        seed = int(self.run.config.seed)
        self.samples = Samples(self.run, self.settings, seed)
        self.detections = Detections(self.run, self.host)
        self.weights = Weights(seed, self.settings.replicates)
        self.sources = list(self.sources) or self.run.names


def explain_direction(
    context: Context, direction: str, activations: Mapping[str, np.ndarray], condition: str = "", role: str = ""
) -> list[ExplanationRow]:
    """The rows of ``explanations.jsonl`` for one direction (name ``direction``) with ``activations`` on every dataset
    of the run (one float per sentence, in the run's order): one per explainer and source dataset where it explains."""
    targets = context.run.names
    missing = [name for name in targets if name not in activations]
    if missing:
        raise IllusionError(f"explain: no activations of direction {direction!r} on dataset(s) {', '.join(missing)}")
    scores = {name: np.asarray(activations[name], dtype=np.float64) for name in targets}
    ranked = {name: Ranked(scores[name], context.weights.of(name, len(scores[name]))) for name in targets}
    rows = []
    for source in (name for name in context.sources if varies(scores[name])):
        sample, unseen = context.samples.of(direction, source, scores[source])
        weights = context.weights.of(source, len(unseen))[:, unseen]
        held_out = Held(source, unseen, Ranked(scores[source][unseen], weights))
        for explainer, explain in context.explainers.items():
            found = explain(sample)
            pattern = found and (found.detector.strip() or pattern_of(found.text, context.detections.detectors))
            if not found or not pattern:
                continue
            matches = explained_matches(context, pattern, found.options, explainer, direction)
            row = score_explanation(scores, matches, ranked, held_out, context)
            explained = {
                "direction": direction,
                "condition": condition,
                "role": role,
                "explainer": explainer,
                "source": source,
                "explanation": found.text.strip(),
                "detector": pattern,
                "options": dict(found.options),
            }
            where = f"explainer {explainer!r}, direction {direction!r}, source {source!r}"
            rows.append(schema.parse(ExplanationRow, explained | row, where, "report it as a bug in illusion explain"))
    return rows


def varies(scores: np.ndarray) -> bool:
    """Whether a direction's activations in a dataset differ at all (constant ones order no sentence)."""
    return bool(len(scores)) and bool(np.ptp(scores) > 0)


def explained_matches(
    context: Context, pattern: str, options: Mapping[str, Any], explainer: str, direction: str
) -> dict[str, np.ndarray]:
    """The sentences of every dataset an explainer's ``pattern`` finds; a pattern that names no known detector, or
    that its detector rejects (an invalid regular expression), is the explainer's fault and named so."""
    where = f"explainer {explainer!r}, direction {direction!r}"
    prefix = PREFIX.match(pattern)
    if prefix and prefix.group(1) not in context.detections.detectors:
        known = ", ".join(f"{name}:" for name in sorted(context.detections.detectors))
        raise PluginError(f"{where}: detector {pattern!r} names no known concept detector (known: {known})")
    try:
        return context.detections.of(pattern, options)
    except IllusionError as exc:
        raise PluginError(f"{where}: its detector {pattern!r} cannot be scored: {exc}") from None


@dataclass(frozen=True)
class Held:
    """The source dataset's score half: ``unseen`` marks its sentences (those the explainer did not see), ``ranked``
    holds their activations with their bootstrap weights."""

    source: str
    unseen: np.ndarray
    ranked: Ranked


def score_explanation(
    scores: Mapping[str, np.ndarray],
    matches: Mapping[str, np.ndarray],
    ranked: Mapping[str, Ranked],
    held: Held,
    context: Context,
) -> dict[str, Any]:
    """Per target dataset: AUROC with its interval, p-value, matches and verdict (on the source, over the sentences the
    explainer did not see); the transfer gap and whether the explanation holds on every other dataset of the run."""
    source = held.source
    counted = {**scores, source: scores[source][held.unseen]}
    counted_matches = {**matches, source: matches[source][held.unseen]}
    varied = [name for name in counted if varies(counted[name])]
    found = assess(
        {name: counted[name] for name in varied},
        {name: counted_matches[name] for name in varied},
        context.run.config.k,
        context.settings.thresholds,
    )["per_dataset"]
    per_target, replicates, aurocs = {}, {}, {}
    for name in counted:
        evidence = found.get(name) or constant(counted_matches[name])
        aurocs[name] = evidence["auroc"]
        scorer = held.ranked if name == source else ranked[name]
        replicates[name] = scorer.auroc(counted_matches[name]) if evidence["auroc"] is not None else np.full(1, np.nan)
        interval = bounds(replicates[name]) if evidence["auroc"] is not None else None
        per_target[name] = ExplanationScore(
            auroc=evidence["auroc"],
            auroc_low=interval[0] if interval else None,
            auroc_high=interval[1] if interval else None,
            p_value=evidence["p_value"],
            matches=evidence["matches"],
            sentences=evidence["sentences"],
            verdict=VERDICTS[evidence["holds"]],
        )
    others = [name for name in context.run.names if name != source]
    gap, gap_bounds = transfer_gap(aurocs, replicates, source, others)
    return {
        "scores": per_target,
        "transfer_gap": gap,
        "transfer_gap_low": gap_bounds[0] if gap_bounds else None,
        "transfer_gap_high": gap_bounds[1] if gap_bounds else None,
        "holds_elsewhere": holds_elsewhere([per_target[name].verdict for name in others]),
    }


def constant(matches: np.ndarray) -> dict[str, Any]:
    """The evidence in a dataset where the direction's activations are constant: untestable."""
    return {"auroc": None, "p_value": None, "matches": int(np.sum(matches)), "sentences": len(matches), "holds": None}


def holds_elsewhere(verdicts: Sequence[str]) -> bool | None:
    """Whether an explanation holds on the other datasets, by the ``test-concept`` rules: True when it holds on every
    testable one, False when it fails on one, None when none is testable."""
    tested = [verdict for verdict in verdicts if verdict != "untestable"]
    return all(verdict == "holds" for verdict in tested) if tested else None


def explain_spec(context: Context, spec: Any) -> list[ExplanationRow]:
    """Explain any direction the run can resolve (a direction id, ``neuron:N``, ``file:PATH[#ROW]``, a vector)."""
    from illusion.common.chunks import project

    name, vector = context.run.resolve(spec, context.host)
    activations = {dataset: project(context.run.vectors[dataset], vector[None, :])[:, 0] for dataset in context.run.names}
    ids = context.run.direction_ids
    condition = context.run.conditions[ids.index(name)] if name in ids else ""
    return explain_direction(context, name, activations, condition)
