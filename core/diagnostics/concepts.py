"""A labelled concept as a hypothesis, tested on every dataset of a run (``illusion test-concept``).

A concept is a pattern: ``name:argument`` for a concept detector (built in: ``regex:...``,
``words:a,b,c``, ``meta:KEY=VALUE`` and ``similar:DESCRIPTION``; plugins add more), or else a plain
regular expression. In each dataset: how many sentences match, the direction's activation AUROC for
matching against other sentences with a one-sided Mann-Whitney U p-value, the rule's precision among
the direction's top-k (with its 95% Wilson interval) next to its base rate, and the matches the
dataset would need for the test to have power 0.8 at the observed effect. The concept holds in a
dataset when AUROC >= ``min_auroc`` and p < ``alpha`` divided by the number of testable datasets
(Bonferroni); it fails in a testable dataset otherwise; a dataset is testable with ``min_matches``
matching and non-matching sentences. Verdicts: :func:`illusion.diagnostics.verdicts.verdict`.

Cost: the detector over every sentence, one streamed projection, O(sentences x dim), and a rank
test, O(sentences log sentences), per dataset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from illusion.common.chunks import project
from illusion.common.hints import did_you_mean
from illusion.diagnostics.detectors import detect, detector_names
from illusion.diagnostics.verdicts import POWER, matches_for_power, rank_test, verdict, wilson
from illusion.errors import IllusionError, check_annotation_run
from illusion.host import Host
from illusion.run.data import RunData
from illusion.run.folder import ANNOTATIONS, RunFolder
from illusion.run.lookup import DirectionSpec

PREFIX = re.compile(r"^([a-z][a-z0-9]*(?:[-_][a-z0-9]+)*):(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Thresholds:
    alpha: float = 0.05
    min_auroc: float = 0.6
    min_matches: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1 or not 0.5 <= self.min_auroc <= 1 or self.min_matches < 1:
            raise IllusionError("test-concept: alpha must lie in (0, 1), min_auroc in [0.5, 1] and min_matches be at least 1")

    def holds(self, auroc: float, p_value: float, tests: int) -> bool:
        """Whether a concept holds in a testable dataset: AUROC high enough, p below alpha over ``tests`` datasets."""
        return bool(auroc >= self.min_auroc and p_value < self.alpha / tests)


@dataclass(frozen=True)
class Concept:
    """A parsed pattern: the concept detector to use and its argument."""

    pattern: str
    detector: str
    argument: str


def parse_pattern(pattern: str, detectors: Iterable[str]) -> Concept:
    """``name:argument`` for a known detector, else the whole pattern as a regular expression."""
    known = sorted(detectors)
    prefix = PREFIX.match(pattern)
    if prefix and prefix.group(1) in known:
        return Concept(pattern, prefix.group(1), prefix.group(2))
    hint = did_you_mean(prefix.group(1), known) if prefix else ""
    if prefix and hint:
        raise IllusionError(
            f"pattern {pattern!r}: unknown concept detector {prefix.group(1)!r}{hint} "
            f"(for a regular expression that starts this way, write regex:{pattern})"
        )
    return Concept(pattern, "regex", pattern)


def assess_dataset(scores: np.ndarray, matches: np.ndarray, k: int, thresholds: Thresholds, tests: int) -> dict[str, Any]:
    """One dataset's evidence; ``tests`` is the number of testable datasets the alpha is divided by."""
    matches = np.asarray(matches, dtype=bool)
    top = np.argsort(-scores, kind="stable")[:k]
    row: dict[str, Any] = {
        "sentences": len(scores),
        "matches": int(matches.sum()),
        "base_rate": float(matches.mean()) if len(matches) else 0.0,
        "top_k_precision": float(matches[top].mean()) if len(top) else None,
        "top_k_interval": wilson(int(matches[top].sum()), len(top)),
        "auroc": None,
        "p_value": None,
        "holds": None,
    }
    if testable(matches, thresholds):
        auroc, p = (float(v[0]) for v in rank_test(np.asarray(scores)[:, None], matches))
        row.update(auroc=auroc, p_value=p, holds=thresholds.holds(auroc, p, tests))
    row["power_effect"] = row["auroc"] if row["auroc"] is not None and row["auroc"] > 0.5 else None
    row["matches_for_power"] = matches_for_power(row["power_effect"], row["base_rate"], thresholds.alpha / tests)
    return row


def testable(matches: np.ndarray, thresholds: Thresholds) -> bool:
    return int(matches.sum()) >= thresholds.min_matches and int((~matches).sum()) >= thresholds.min_matches


def assess(
    scores: Mapping[str, np.ndarray], matches: Mapping[str, np.ndarray], k: int, thresholds: Thresholds = Thresholds()
) -> dict[str, Any]:
    """Per dataset evidence and the overall verdict, for activations ``scores`` and detections ``matches``."""
    tests = max(1, sum(testable(np.asarray(matches[n], dtype=bool), thresholds) for n in scores))
    per_dataset = {name: assess_dataset(np.asarray(scores[name]), matches[name], k, thresholds, tests) for name in scores}
    effects = [row["auroc"] for row in per_dataset.values() if row["auroc"] is not None and row["auroc"] > 0.5]
    if effects:  # untestable datasets: the power estimate assumes the mean effect of the testable ones
        effect = float(np.mean(effects))
        for row in per_dataset.values():
            if row["auroc"] is None:
                row["matches_for_power"] = matches_for_power(effect, row["base_rate"], thresholds.alpha / tests)
                row["power_effect"] = effect
    return {
        **verdict({name: row["holds"] for name, row in per_dataset.items()}),
        "holds_in": [n for n, r in per_dataset.items() if r["holds"]],
        "per_dataset": per_dataset,
        "thresholds": {
            "alpha": thresholds.alpha,
            "min_auroc": thresholds.min_auroc,
            "min_matches": thresholds.min_matches,
            "alpha_per_dataset": thresholds.alpha / tests,
            "power": POWER,
        },
    }


def assess_in_run(
    run: RunData,
    direction: DirectionSpec,
    pattern: str,
    host: Host,
    options: Mapping[str, Any] | None = None,
    thresholds: Thresholds = Thresholds(),
) -> dict[str, Any]:
    """Test ``pattern`` as the meaning of ``direction`` (a direction id, a neuron index, ``file:PATH[#ROW]``)
    on every dataset of ``run``."""
    name, vector = run.resolve(direction, host)
    concept = parse_pattern(pattern, detector_names(host))
    matches = detect(run, concept.detector, concept.argument, host, options)
    scores = {dataset: project(run.vectors[dataset], vector[None, :])[:, 0] for dataset in run.names}
    return {
        "direction": name,
        "pattern": pattern,
        "detector": concept.detector,
        "options": dict(options or {}),
        **assess(scores, matches, run.config.k, thresholds),
    }


def pattern_of(description: str, detectors: Iterable[str]) -> str | None:
    """A description as a pattern: as written when it names a detector (``regex:...``), else its content words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    text = description.strip()
    prefix = PREFIX.match(text)
    if prefix and prefix.group(1) in set(detectors):
        return text
    words = [w for w in re.findall(r"\w+", text.lower()) if len(w) > 2 and w not in ENGLISH_STOP_WORDS]
    return "words:" + ",".join(dict.fromkeys(words)) if words else None


def labelled_concepts(run: RunData, detectors: Iterable[str]) -> list[dict[str, Any]]:
    """Every (direction, pattern) that annotators described in the run's ``annotations.jsonl``."""
    path = run.path / ANNOTATIONS
    if not path.is_file():
        raise IllusionError(f"{path}: no annotations yet; import a campaign with `illusion import` first")
    detectors = list(detectors)
    concepts: dict[tuple[str, str], dict[str, Any]] = {}
    for number, row in enumerate(RunFolder(run.path).annotations(), 1):
        check_annotation_run(row.run_id, run.manifest.run_id, f"{path}, line {number}")
        if row.task_type != "set" or not row.direction or row.pattern != "yes" or not row.description:
            continue
        pattern = pattern_of(row.description, detectors)
        if pattern is None:
            continue
        entry = concepts.setdefault(
            (row.direction, pattern), {"direction": row.direction, "pattern": pattern, "descriptions": [], "labelled_in": []}
        )
        entry["descriptions"] = sorted(set(entry["descriptions"]) | {row.description.strip()})
        entry["labelled_in"] = sorted(set(entry["labelled_in"]) | {row.dataset} - {None})
    return [concepts[key] for key in sorted(concepts)]


def assess_annotated(run: RunData, host: Host, thresholds: Thresholds = Thresholds()) -> list[dict[str, Any]]:
    """Every labelled concept of the run's campaign, tested on every dataset."""
    labelled = labelled_concepts(run, detector_names(host))
    return [{**entry, **assess_in_run(run, entry["direction"], entry["pattern"], host, None, thresholds)} for entry in labelled]
