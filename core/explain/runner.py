"""``illusion explain``: every chosen direction of a run explained and scored, written to ``explanations.jsonl``,
and the summary of how often explanations transfer, against the run's baseline (random) directions as the null.

Cost: per direction, one projection of every sentence (streamed from the store), one sort per dataset, each
explainer per source dataset, a detection per new pattern and dataset, and O(replicates x sentences) per
(explanation, dataset) for the bootstrap: linear in directions and in sentences (``benchmarks/explain.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from illusion.common.chunks import project
from illusion.common.progress import Reporter
from illusion.common.seeds import rng_for
from illusion.diagnostics.suite import sampler_roles
from illusion.diagnostics.uncertainty import BOOTSTRAP
from illusion.explain.direction import Context, Explainer, Settings, explain_direction, explain_spec
from illusion.host import Host
from illusion.run.data import RunData
from illusion.run.folder import EXPLANATIONS, RunFolder
from illusion.run.schema import ExplanationRow
from illusion.run.view import RunView

DEFAULT_EXPLAINERS = ("keywords",)
CANDIDATE, BASELINE = "candidate", "baseline"


def load_explainers(
    host: Host, names: Sequence[str], options: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Explainer]:
    """The explainers ``names`` with their options (``options[NAME]``), by name."""
    options = options or {}
    return {name: host.get("explainer", name).create(options.get(name, {})) for name in names}


class SpecExplainer:
    """Explains any direction a run can resolve when asked (the served explorer's computed pages); the run's
    data, contrast samples and explainers are loaded on the first request and kept."""

    def __init__(
        self,
        names: Sequence[str] = DEFAULT_EXPLAINERS,
        settings: Settings | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ):
        self.names, self.settings, self.options = tuple(names), settings or Settings(), options
        self._context: Context | None = None

    def __call__(self, view: RunView, spec: str) -> list[ExplanationRow]:
        if self._context is None:
            host = Host()
            self._context = Context(view.data, host, load_explainers(host, self.names, self.options), self.settings)
        return explain_spec(self._context, spec)


def explain_run(
    run: RunData,
    host: Host,
    explainers: Mapping[str, Explainer],
    directions: Sequence[str] = (),
    settings: Settings | None = None,
    sources: Sequence[str] = (),
    reporter: Reporter | None = None,
) -> list[ExplanationRow]:
    """The rows of ``explanations.jsonl`` for ``directions`` (ids or any spec the run resolves; default: all of the run)."""
    context = Context(run, host, explainers, settings or Settings(), sources)
    roles = sampler_roles(run.manifest, host)
    chosen = [run.resolve(spec, host) for spec in directions] or list(zip(run.direction_ids, run.directions))
    rows: list[ExplanationRow] = []
    reporter = reporter or Reporter(quiet=True)
    with reporter.step("explaining directions", len(chosen)) as advance:
        for name, vector in chosen:
            activations = {dataset: project(run.vectors[dataset], vector[None, :])[:, 0] for dataset in run.names}
            condition = run.conditions[run.direction_ids.index(name)] if name in run.direction_ids else ""
            rows += explain_direction(context, name, activations, condition, roles.get(condition, ""))
            advance(1)
    return rows


def write_explanations(run_dir: str | Path, rows: Sequence[ExplanationRow]) -> Path:
    """Write ``rows`` to the run's ``explanations.jsonl``, atomically (a complete file or the old one)."""
    return RunFolder(run_dir).write_rows(EXPLANATIONS, rows)


def summary(rows: Sequence[ExplanationRow], replicates: int = BOOTSTRAP, seed: int = 0) -> list[dict[str, Any]]:
    """Per explainer, candidate directions (sampler role ``candidate``) against baseline ones (role ``baseline``, the
    null), each direction weighing the same: the share of its explanations that hold on every testable other dataset
    and its mean transfer gap, averaged over directions; and candidate minus baseline for both, with a 95% interval
    from resampling the directions of each group (``replicates`` times)."""
    found = []
    for explainer in dict.fromkeys(row.explainer for row in rows):
        entry: dict[str, Any] = {"explainer": explainer}
        per_direction = {}
        for group in (CANDIDATE, BASELINE):
            members = [r for r in rows if r.explainer == explainer and r.role == group]
            per_direction[group] = {
                "holds_elsewhere": _direction_means(members, "holds_elsewhere"),
                "transfer_gap": _direction_means(members, "transfer_gap"),
            }
            entry[group] = {
                "explanations": len(members),
                "directions": len({r.direction for r in members}),
                "holds_elsewhere": _mean(per_direction[group]["holds_elsewhere"]),
                "mean_gap": _mean(per_direction[group]["transfer_gap"]),
            }
        rng = rng_for(seed, f"explain summary {explainer}")
        entry["difference"] = {
            figure: _difference(per_direction[CANDIDATE][figure], per_direction[BASELINE][figure], replicates, rng)
            for figure in ("holds_elsewhere", "transfer_gap")
        }
        found.append(entry)
    return found


def _direction_means(rows: Sequence[ExplanationRow], field: str) -> np.ndarray:
    """Per direction, the mean of ``field`` over its rows where it is defined (directions with none left out)."""
    values: dict[str, list[float]] = {}
    for row in rows:
        value = getattr(row, field)
        if value is not None:
            values.setdefault(row.direction, []).append(float(value))
    return np.array([np.mean(found) for found in values.values()], dtype=np.float64)


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if len(values) else None


def _difference(candidate: np.ndarray, baseline: np.ndarray, replicates: int, rng: np.random.Generator) -> dict[str, Any]:
    """Mean of ``candidate`` minus mean of ``baseline`` with the 95% percentile interval of resampled directions."""
    if not len(candidate) or not len(baseline):
        return {"estimate": None, "low": None, "high": None}
    resampled = candidate[rng.integers(0, len(candidate), (replicates, len(candidate)))].mean(axis=1) - baseline[
        rng.integers(0, len(baseline), (replicates, len(baseline)))
    ].mean(axis=1)
    low, high = np.percentile(resampled, [2.5, 97.5])
    return {"estimate": float(candidate.mean() - baseline.mean()), "low": float(low), "high": float(high)}
