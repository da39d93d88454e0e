"""``diagnostics.json``: every automatic illusion diagnostic of a run, assembled in one file.

The schema and the cost of each analysis are documented in docs/diagnostics.md. The suite runs every
registered diagnostic (``illusion_diagnostics``: the built-in ones of ``illusion.diagnostics.builtin``, then
installed ones) on one typed context, records each one's findings, compares them with the paper, and names
a diagnostic that fails under ``problems``; each analysis is a function of arrays in its own module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from illusion.common.progress import Reporter
from illusion.diagnostics import locality, monotonicity, outliers, paper, separability
from illusion.diagnostics.kept import KeptResults
from illusion.errors import IllusionError, PluginError
from illusion.host import Host, Provided
from illusion.registrations import DiagnosticContext, DiagnosticPlugin, Finding, FindingValue
from illusion.run.data import RunData, load_run_data
from illusion.run.derived import Derived
from illusion.run.folder import DIAGNOSTICS, RunFolder
from illusion.run.pipeline import Dataset, open_store
from illusion.run.schema import FORMAT, FindingEntry, FindingPaper, Manifest, Measured, Problem


@dataclass(frozen=True)
class Settings:
    """What the analyses may be tuned by; recorded in ``diagnostics.json``."""

    min_count: int = monotonicity.MIN_COUNT  # monotonicity: a word's occurrences needed in every dataset
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


def context_of(run: RunData, settings: Settings, roles: Mapping[str, str] | None = None) -> DiagnosticContext:
    """What every diagnostic reads of ``run``: its datasets, vectors, directions, top-k, statistics and control sets."""
    return DiagnosticContext(
        run_id=run.manifest.run_id,
        seed=run.config.seed,
        k=run.config.k,
        datasets=run.names,
        vectors=run.vectors,
        texts={name: run.texts(name) for name in run.names},
        direction_ids=run.direction_ids,
        conditions=run.conditions,
        directions=run.directions,
        top_index=run.top_index(),
        stats=run.stats(),
        manifest=run.manifest,
        roles=dict(roles or {}),
        settings=asdict(settings),
        controls=run.controls(),
    )


def in_order(diagnostics: Sequence[DiagnosticPlugin]) -> tuple[list[DiagnosticPlugin], dict[str, str]]:
    """The diagnostics in registration order, each after those it needs; and why the others cannot run."""
    known = {d.name for d in diagnostics}
    ordered: list[DiagnosticPlugin] = []
    skipped: dict[str, str] = {}
    waiting = list(diagnostics)
    while waiting:
        ready = [d for d in waiting if all(n in {o.name for o in ordered} for n in d.needs)]
        if not ready:
            for d in waiting:
                missing = [n for n in d.needs if n not in known]
                skipped[d.name] = (
                    f"needs unknown diagnostic {missing[0]!r}" if missing else f"needs {', '.join(d.needs)} in a cycle"
                )
            break
        ordered.append(ready[0])
        waiting.remove(ready[0])
    return ordered, skipped


def registered(host: Host) -> list[tuple[DiagnosticPlugin, Provided]]:
    """Every diagnostic the plain name reaches, built-ins first, with the plugin that provides it."""
    entries = [entry for entries in host.registrations("diagnostic").values() for entry in entries if entry.active]
    return [(entry.registration, entry) for entry in entries if isinstance(entry.registration, DiagnosticPlugin)]


def run_suite(
    context: DiagnosticContext, host: Host, reporter: Reporter | None = None, derived: Derived | None = None
) -> tuple[dict[str, Any], dict[str, float]]:
    """Every registered diagnostic on ``context``: the parts of ``diagnostics.json`` they write, then ``findings``,
    ``paper``, ``problems`` (a diagnostic that fails, or needs one that did, is named there; the others still run)
    and each step's time. With ``derived``, each result is kept there by its inputs (:mod:`illusion.diagnostics.kept`)."""
    reporter = reporter or Reporter(quiet=True)
    timings: dict[str, float] = {}
    results: dict[str, Any] = {}

    def timed(name: str, compute: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        with reporter.step(f"diagnostics: {name}"):
            found = compute()
        timings[name] = round(time.perf_counter() - start, 3)
        return found

    def once(name: str, compute: Callable[[], Any]) -> Any:
        if name not in shared:
            shared[name] = timed(name, compute)
        return shared[name]

    shared: dict[str, Any] = {}
    context = replace(context, results=results, shared=once)
    kept = KeptResults(derived, context, host) if derived is not None else None
    entries = dict((d.name, provided) for d, provided in registered(host))
    ordered, skipped = in_order([d for d, _ in registered(host)])
    problems = [_problem(entries[name], why) for name, why in skipped.items()]
    findings: dict[str, FindingEntry] = {}
    versus: dict[str, Any] = {}
    for diagnostic in ordered:
        failed = [need for need in diagnostic.needs if need not in results]
        if failed:
            problems.append(_problem(entries[diagnostic.name], f"not run: {failed[0]!r}, which it needs, failed"))
            continue
        try:
            compute = partial(diagnostic.run, context)
            if kept is not None:
                compute = partial(kept.get_or_make, entries[diagnostic.name], results, compute)
            result = timed(diagnostic.name, compute)
            measured = diagnostic.measure(result, context)
            with diagnostic.blamed(" describing its findings", own=True):
                own = {f.key: described(diagnostic, f, measured[f.key], context) for f in diagnostic.findings}
                compared = paper.versus(diagnostic, result, context)
        except PluginError as exc:
            problems.append(_problem(entries[diagnostic.name], str(exc)))
            continue
        results[diagnostic.name] = result
        for key in set(own) & set(findings):
            taken = findings[key].diagnostic
            problems.append(
                _problem(entries[diagnostic.name], f"its finding {key!r} is already declared by {taken!r}; not shown")
            )
            del own[key]
        findings |= own
        versus |= compared
    results["paper"] = paper.summary(versus, context.manifest)
    written = {"findings": {key: f.to_json() for key, f in findings.items()}, "problems": [p.to_json() for p in problems]}
    return results | written, timings


def described(
    diagnostic: DiagnosticPlugin, finding: Finding, values: Mapping[str, FindingValue], context: DiagnosticContext
) -> FindingEntry:
    """A finding as ``diagnostics.json`` records it: what it is, how it is shown, the paper's value, and its values."""
    why = finding.incomparable(context) if finding.incomparable else None
    return FindingEntry(
        diagnostic=diagnostic.name,
        title=finding.title,
        description=finding.description,
        per_condition=finding.per_condition,
        interval=finding.interval,
        shown=finding.shown,
        paper=None
        if finding.paper is None and finding.paper_text is None
        else FindingPaper(value=finding.paper, text=finding.paper_text, why=why),
        warned_by=list(finding.warned_by),
        values={key: Measured.model_validate(value.to_json()) for key, value in values.items()},
    )


def _problem(entry: Provided, message: str) -> Problem:
    return Problem(diagnostic=entry.registration.name, plugin=entry.plugin, distribution=entry.distribution.name, message=message)


def diagnose(
    run: RunData,
    settings: Settings = Settings(),
    reporter: Reporter | None = None,
    roles: dict[str, str] | None = None,
    host: Host | None = None,
    derived: Derived | None = None,
) -> dict[str, Any]:
    """All diagnostics of ``run`` as the JSON-able content of ``diagnostics.json``.

    The per-direction findings, the dataset classifier and the top-k come from the run's own files;
    ``roles`` maps each condition (sampler label) to its sampler's role (:func:`sampler_roles`);
    ``host`` gives the diagnostics (built-in and installed); ``derived``, where results are kept by their inputs.
    """
    head = {
        "format": FORMAT,
        "run_id": run.manifest.run_id,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": asdict(settings),
        "datasets": run.names,
    }
    result, timings = run_suite(context_of(run, settings, roles), host or Host(), reporter, derived)
    return head | result | {"timings": timings}


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
    derived = Derived(open_store(run.config).root)
    result = diagnose(run, settings, reporter, sampler_roles(run.manifest, host), host, derived)
    result["timings"] = {"load": loaded, **result["timings"]}
    RunFolder(out or run_dir).write_json(DIAGNOSTICS, result)
    return result
