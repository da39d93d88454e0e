"""``diagnostics.json``: every automatic illusion diagnostic of a run, assembled in one file.

The schema and the cost of each analysis are documented in docs/diagnostics.md; each analysis
lives in its own module (``illusion.diagnostics.*``) and is a function of arrays, testable on its own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from illusion.common.progress import Reporter
from illusion.diagnostics import locality, outliers, paper, separability
from illusion.diagnostics.anisotropy import anisotropy
from illusion.diagnostics.monotonicity import monotonicity, split_consistency, word_counts
from illusion.diagnostics.sanity import sanity
from illusion.diagnostics.score import illusion_scores
from illusion.diagnostics.uncertainty import Resampler, direction_uncertainty
from illusion.errors import IllusionError
from illusion.host import Host
from illusion.run import stats
from illusion.run.data import RunData, load_run_data
from illusion.run.folder import DIAGNOSTICS, RunFolder
from illusion.run.pipeline import Dataset
from illusion.run.schema import FORMAT, Manifest


@dataclass(frozen=True)
class Settings:
    """What the analyses may be tuned by; recorded in ``diagnostics.json``."""

    min_count: int = 10  # monotonicity: a word's occurrences needed in every dataset (the paper: 100)
    neighbours: int = locality.NEIGHBOURS  # locality: nearest neighbours per sampled sentence
    queries: int = locality.QUERIES  # locality: sentences sampled per dataset for nearest neighbours
    random: int = locality.RANDOM  # locality: random sentences each top-k set is compared with
    bins: int = locality.BINS  # locality: histogram bins
    fractions: tuple[float, ...] = outliers.FRACTIONS  # outliers: most distant shares of sentences
    points: int = separability.POINTS  # separability picture: sentences drawn per dataset

    def __post_init__(self) -> None:
        if self.min_count < 1 or self.neighbours < 1 or self.queries < 1 or self.random < 1 or self.bins < 1 or self.points < 1:
            raise IllusionError(
                "diagnostics settings: min_count, neighbours, queries, random, bins and points must be at least 1"
            )
        if not all(0 < f < 1 for f in self.fractions):
            raise IllusionError(
                f"diagnostics settings: outlier fractions must lie strictly between 0 and 1, not {list(self.fractions)}"
            )


def overlap_summary(findings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per condition: the share of overlapping dataset pairs, overall and per pair; per direction: every pair."""
    summary = {}
    for condition, row in stats.summarise_by_condition(findings).items():
        members = [f["range_overlap"] for f in findings.values() if f["condition"] == condition]
        pairs = {pair: sum(m[pair] for m in members) / len(members) for pair in members[0]}
        summary[condition] = {"share": row["range_overlap_share"], "pairs": pairs}
    return {"by_condition": summary, "directions": {i: f["range_overlap"] for i, f in findings.items()}}


def diagnose(
    run: RunData, settings: Settings = Settings(), reporter: Reporter | None = None, roles: dict[str, str] | None = None
) -> dict[str, Any]:
    """All diagnostics of ``run`` as the JSON-able content of ``diagnostics.json``.

    The per-direction findings, the dataset classifier and the top-k come from the run's own files;
    ``roles`` maps each condition (sampler label) to its sampler's role (:func:`sampler_roles`).
    """
    reporter = reporter or Reporter(quiet=True)
    seed, k = run.config.seed, run.config.k
    ids, conditions, directions = run.direction_ids, run.conditions, run.directions
    run_stats, top_index = run.stats().to_json(), run.top_index()
    findings = run_stats["directions"]
    timings: dict[str, float] = {}

    def timed(name: str, compute, *args, **kwargs):
        start = time.perf_counter()
        with reporter.step(f"diagnostics: {name}"):
            result = compute(*args, **kwargs)
        timings[name] = round(time.perf_counter() - start, 3)
        return result

    result: dict[str, Any] = {
        "format": FORMAT,
        "run_id": run.manifest.run_id,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": asdict(settings),
        "datasets": run.names,
    }
    result["separability"] = timed(
        "separability", separability.separability, run_stats["separability"], run.vectors, seed, settings.points
    )
    result["range_overlap"] = overlap_summary(findings)
    texts = {n: run.texts(n) for n in run.names}
    counted = timed("words", word_counts, texts, settings.min_count)  # for monotonicity and the reliability's halves
    result["monotonicity"] = timed(
        "monotonicity",
        monotonicity,
        run.vectors,
        texts,
        directions,
        ids,
        conditions,
        settings.min_count,
        seed,
        counted=counted,
    )
    result["locality"] = timed(
        "locality",
        locality.locality,
        run.vectors,
        top_index,
        ids,
        conditions,
        seed,
        settings.neighbours,
        settings.queries,
        settings.random,
        settings.bins,
    )
    result["outliers"] = timed(
        "outliers",
        outliers.outliers,
        run.vectors,
        top_index,
        directions,
        ids,
        conditions,
        k,
        run_stats["conditions"],
        settings.fractions,
    )
    result["anisotropy"] = timed("anisotropy", anisotropy, run.vectors)
    result["sanity"] = timed(
        "sanity",
        sanity,
        run.vectors,
        directions,
        ids,
        roles or {},
        k,
        result["anisotropy"],
        result["monotonicity"],
        run_stats["separability"],
    )
    consistency = {i: d["consistency"] for i, d in result["monotonicity"]["directions"].items()}
    result["illusion_score"] = illusion_scores(
        findings, consistency, len(run.names), roles=roles, duplicate_of=result["sanity"]["duplicates"], k=k
    )
    result["uncertainty"] = timed(  # the resampler's projection is part of the step's time
        "uncertainty",
        lambda: direction_uncertainty(
            Resampler(run.vectors, directions, k),
            ids,
            result["illusion_score"],
            seed,
            lambda masks: split_consistency(run.vectors, counted, directions, masks),
        ),
    )
    result["paper"] = paper.compare(result, run.manifest.to_json())
    result["timings"] = timings
    return result


def sampler_roles(manifest: Manifest, host: Host) -> dict[str, str]:
    """Each condition of the run and the role its sampler plugin declares (``candidate`` when the plugin is gone)."""
    roles = {}
    for condition, plugin in {d.condition: d.sampler for d in manifest.directions}.items():
        try:
            roles[condition] = host.get("direction sampler", plugin).role
        except IllusionError:
            roles[condition] = "candidate"
    return roles


def write_diagnostics(
    run_dir: str | Path,
    settings: Settings = Settings(),
    host: Host | None = None,
    reporter: Reporter | None = None,
    datasets: Sequence[Dataset] | None = None,
    out: str | Path | None = None,
) -> dict[str, Any]:
    """Compute the diagnostics of the run in ``run_dir`` and write its ``diagnostics.json`` (into ``out`` when given).

    ``datasets``: the run's datasets with their vectors, when the run has them in memory.
    """
    start = time.perf_counter()
    host = host or Host()
    run = load_run_data(run_dir, host, datasets)
    loaded = round(time.perf_counter() - start, 3)
    result = diagnose(run, settings, reporter, sampler_roles(run.manifest, host))
    result["timings"] = {"load": loaded, **result["timings"]}
    RunFolder(out or run_dir).write_json(DIAGNOSTICS, result)
    return result
