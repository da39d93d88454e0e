"""A labelled concept as a hypothesis, tested on every dataset of a run (``illusion test-concept``).

A concept is a pattern: ``name:argument`` for a concept detector (built in: ``regex:...`` and
``words:a,b,c``; plugins add more), or else a plain regular expression. In each dataset: how many
sentences match, the direction's activation AUROC for matching against other sentences with a
one-sided Mann-Whitney U p-value, and the rule's precision among the direction's top-k next to its
base rate. The concept holds in a dataset when AUROC >= ``min_auroc`` and p < ``alpha`` divided by
the number of testable datasets (Bonferroni); a dataset is testable with ``min_matches`` matching
and non-matching sentences. Verdict: "every dataset", "some datasets", "nowhere" or "untestable".

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
from illusion.common.files import read_jsonl
from illusion.common.hints import did_you_mean
from illusion.errors import IllusionError
from illusion.host import Host
from illusion.run.data import RunData
from illusion.run.folder import ANNOTATIONS

_PREFIX = re.compile(r"^([a-z][a-z0-9]*(?:[-_][a-z0-9]+)*):(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Thresholds:
    alpha: float = 0.05
    min_auroc: float = 0.6
    min_matches: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1 or not 0.5 <= self.min_auroc <= 1 or self.min_matches < 1:
            raise IllusionError("test-concept: alpha must lie in (0, 1), min_auroc in [0.5, 1] and min_matches be at least 1")


@dataclass(frozen=True)
class Concept:
    """A parsed pattern: the concept detector to use and its argument."""

    pattern: str
    detector: str
    argument: str


def parse_pattern(pattern: str, detectors: Iterable[str]) -> Concept:
    """``name:argument`` for a known detector, else the whole pattern as a regular expression."""
    known = sorted(detectors)
    prefix = _PREFIX.match(pattern)
    if prefix and prefix.group(1) in known:
        return Concept(pattern, prefix.group(1), prefix.group(2))
    hint = did_you_mean(prefix.group(1), known) if prefix else ""
    if hint:
        raise IllusionError(
            f"pattern {pattern!r}: unknown concept detector {prefix.group(1)!r}{hint} "
            f"(for a regular expression that starts this way, write regex:{pattern})"
        )
    return Concept(pattern, "regex", pattern)


def assess_dataset(scores: np.ndarray, matches: np.ndarray, k: int, thresholds: Thresholds, tests: int) -> dict[str, Any]:
    """One dataset's evidence; ``tests`` is the number of testable datasets the alpha is divided by."""
    from scipy.stats import mannwhitneyu

    matches = np.asarray(matches, dtype=bool)
    top = np.argsort(-scores, kind="stable")[:k]
    row: dict[str, Any] = {
        "sentences": len(scores),
        "matches": int(matches.sum()),
        "base_rate": float(matches.mean()) if len(matches) else 0.0,
        "top_k_precision": float(matches[top].mean()) if len(top) else None,
        "auroc": None,
        "p_value": None,
        "holds": None,
    }
    if testable(matches, thresholds):
        u, p = mannwhitneyu(scores[matches], scores[~matches], alternative="greater")
        auroc = float(u) / (matches.sum() * (~matches).sum())
        row.update(auroc=auroc, p_value=float(p), holds=bool(auroc >= thresholds.min_auroc and p < thresholds.alpha / tests))
    return row


def testable(matches: np.ndarray, thresholds: Thresholds) -> bool:
    return int(matches.sum()) >= thresholds.min_matches and int((~matches).sum()) >= thresholds.min_matches


def assess(
    scores: Mapping[str, np.ndarray], matches: Mapping[str, np.ndarray], k: int, thresholds: Thresholds = Thresholds()
) -> dict[str, Any]:
    """Per dataset evidence and the overall verdict, for activations ``scores`` and detections ``matches``."""
    tests = max(1, sum(testable(np.asarray(matches[n], dtype=bool), thresholds) for n in scores))
    per_dataset = {name: assess_dataset(np.asarray(scores[name]), matches[name], k, thresholds, tests) for name in scores}
    decided = [row["holds"] for row in per_dataset.values() if row["holds"] is not None]
    if not decided:
        verdict = "untestable"
    elif sum(decided) == len(per_dataset):
        verdict = "every dataset"
    else:
        verdict = "some datasets" if any(decided) else "nowhere"
    return {
        "verdict": verdict,
        "holds_in": [n for n, r in per_dataset.items() if r["holds"]],
        "per_dataset": per_dataset,
        "thresholds": {
            "alpha": thresholds.alpha,
            "min_auroc": thresholds.min_auroc,
            "min_matches": thresholds.min_matches,
            "alpha_per_dataset": thresholds.alpha / tests,
        },
    }


def assess_in_run(
    run: RunData,
    direction: str,
    pattern: str,
    host: Host,
    options: Mapping[str, Any] | None = None,
    thresholds: Thresholds = Thresholds(),
) -> dict[str, Any]:
    """Test ``pattern`` as the meaning of ``direction`` on every dataset of ``run``."""
    vector = run.direction(direction)
    concept = parse_pattern(pattern, host.registrations("concept detector"))
    detect = host.get("concept detector", concept.detector).create(concept.argument, options or {})
    scores = {name: project(run.vectors[name], vector[None, :])[:, 0] for name in run.names}
    matches = {name: detect(run.texts(name)) for name in run.names}
    return {
        "direction": direction,
        "pattern": pattern,
        "detector": concept.detector,
        "options": dict(options or {}),
        **assess(scores, matches, run.config.k, thresholds),
    }


def pattern_of(description: str, detectors: Iterable[str]) -> str | None:
    """A description as a pattern: as written when it names a detector (``regex:...``), else its content words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    text = description.strip()
    prefix = _PREFIX.match(text)
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
    for number, row in enumerate(read_jsonl(path, "annotations file"), 1):
        if not isinstance(row, dict):
            raise IllusionError(f"{path}, line {number}: expected a JSON object")
        if row.get("run_id") not in (None, run.manifest["run_id"]):
            raise IllusionError(
                f"{path}, line {number}: annotation of run {row['run_id']}, not of this run {run.manifest['run_id']}"
            )
        if row.get("task_type") != "set" or not row.get("direction") or row.get("pattern") != "yes" or not row.get("description"):
            continue
        pattern = pattern_of(str(row["description"]), detectors)
        if pattern is None:
            continue
        entry = concepts.setdefault(
            (row["direction"], pattern),
            {"direction": row["direction"], "pattern": pattern, "descriptions": [], "labelled_in": []},
        )
        entry["descriptions"] = sorted(set(entry["descriptions"]) | {str(row["description"]).strip()})
        entry["labelled_in"] = sorted(set(entry["labelled_in"]) | {row.get("dataset")} - {None})
    return [concepts[key] for key in sorted(concepts)]


def assess_annotated(run: RunData, host: Host, thresholds: Thresholds = Thresholds()) -> list[dict[str, Any]]:
    """Every labelled concept of the run's campaign, tested on every dataset."""
    labelled = labelled_concepts(run, host.registrations("concept detector"))
    return [{**entry, **assess_in_run(run, entry["direction"], entry["pattern"], host, None, thresholds)} for entry in labelled]
