"""``report.html``: one self-contained page per run; every sentence is escaped before markup is added.

The page stays small for any run: above ``CARDS`` directions it shows the ``CARDS // 2`` most and
least illusion-like ones (by the diagnostics' ranking; the first ``CARDS`` without diagnostics) and
links each to its page in the explorer (``illusion explore``), which holds them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from illusion.host import Host
from illusion.registrations import DiagnosticPlugin
from illusion.report.pages import environment
from illusion.run.folder import REPORT, RunFolder
from illusion.run.schema import findings_of

CARDS = 100
EXPLORER = "explore"  # the folder beside report.html that `illusion explore RUN_DIR --static RUN_DIR/explore` writes


def ends(ranking: list[str]) -> list[tuple[int, str]]:
    """(rank, direction) of the ranking's ``CARDS // 2`` first and last; all of it when it is short."""
    places = list(range(len(ranking)))
    if len(ranking) > CARDS:
        places = [*range(CARDS // 2), *range(len(ranking) - CARDS // 2, len(ranking))]
    return [(place + 1, ranking[place]) for place in places]


def shown(ids: list[str], ranking: list[str]) -> list[str]:
    """The directions the page shows in full: all up to ``CARDS``, else both ends of the ranking (else the first)."""
    if len(ids) <= CARDS:
        return ids
    return [identifier for _, identifier in ends(ranking)] if ranking else ids[:CARDS]


def sections(
    env: Environment, diagnostics: dict[str, Any], manifest: dict[str, Any], ranked: list[tuple[int, str]], host: Host
) -> list[Markup]:
    """Each registered diagnostic's section, in registration order, for those in ``diagnostics``: its own template
    (``DiagnosticPlugin.report``), else its title and findings; a template that fails is named in its place."""
    found = []
    findings = findings_of(diagnostics)
    for entries in host.registrations("diagnostic").values():
        entry = next(e for e in entries if e.active)
        diagnostic = entry.registration
        if not isinstance(diagnostic, DiagnosticPlugin) or diagnostic.name not in diagnostics:
            continue
        own = {key: f.to_json() for key, f in findings.items() if f.diagnostic == diagnostic.name}
        context = dict(d=diagnostics, result=diagnostics[diagnostic.name], manifest=manifest, ranked=ranked, findings=own)
        try:
            template = env.from_string(diagnostic.report) if diagnostic.report else env.get_template("diagnostic_default.html.j2")
            html = template.render(title=diagnostic.title, description=diagnostic.description, **context)
        except Exception as exc:  # a plugin's template: named in the report, never a failed report
            html = str(
                Markup('<p class="off" data-diagnostic="{}">The section of {} ({}) could not be shown: {}: {}</p>').format(
                    diagnostic.name, diagnostic.label, entry.distribution, type(exc).__name__, exc
                )
            )
        found.append(Markup(html))
    return found


def render(run_dir: str | Path, diagnostics: dict[str, Any] | None = None, host: Host | None = None) -> str:
    """The report of a run folder, from its files (``diagnostics``: these instead of its ``diagnostics.json``;
    ``host``: the diagnostics whose sections it shows, by default the built-in and installed ones)."""
    folder = RunFolder(run_dir)
    manifest = folder.manifest()
    if diagnostics is None:
        found = folder.diagnostics()
        diagnostics = found.to_json() if found is not None else None
    ranking = (
        diagnostics.get("illusion_score", {}).get("ranking", [])
        if diagnostics and diagnostics.get("run_id") == manifest.run_id
        else []
    )
    ids = manifest.direction_ids
    by_direction: dict[str, dict[str, Any]] = {identifier: {} for identifier in shown(ids, ranking)}
    for row in folder.topk():
        if row.direction in by_direction:
            by_direction[row.direction][row.dataset] = row.to_json()
    env = environment("illusion.report")
    stats = folder.optional_stats()
    as_json = manifest.to_json()
    diagnosed = diagnostics is not None and diagnostics.get("run_id") == manifest.run_id
    shown_sections = sections(env, diagnostics, as_json, ends(ranking), host or Host()) if diagnostics and diagnosed else []
    return env.get_template("report.html.j2").render(
        manifest=as_json,
        datasets=manifest.dataset_names,
        directions=by_direction,
        ranked=ends(ranking),
        hidden=len(ids) - len(by_direction),
        explorer=EXPLORER if len(ids) > CARDS else None,
        stats=stats.to_json() if stats is not None else {},
        diagnostics=diagnostics,
        sections=shown_sections,
    )


def write_report(
    run_dir: str | Path, out: str | Path | None = None, diagnostics: dict[str, Any] | None = None, host: Host | None = None
) -> Path:
    """Write the report of ``run_dir`` into it, or into the folder ``out``."""
    return RunFolder(out or run_dir).write_text(REPORT, render(run_dir, diagnostics, host))
