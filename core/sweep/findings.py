"""The findings a sweep follows across its grid: those the diagnostics declare, read from each cell's diagnostics.

Each finding has a value per condition (or one for the whole cell), with an interval where the
diagnostic gives one, the chance level where there is one, and the paper's value where it was
measured the same way (from secondary summaries of the paper; see docs/sweep.md). What each finding
is comes from its diagnostic's registration (:class:`illusion.Finding`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from illusion.errors import PluginError
from illusion.host import Host
from illusion.registrations import WHOLE, DiagnosticContext, DiagnosticPlugin
from illusion.run.schema import DatasetEntry, FindingEntry, Manifest, Separability, Stats

NEURONS = "neuron"  # the sampler plugin whose directions the paper's neuron figures describe
__all__ = ["WHOLE", "describe", "flags", "measure"]

CELL_WIDE = ("near-constant vectors", "extreme anisotropy")  # sanity warnings under which every finding may order noise


def flags(cell: Mapping[str, Any], finding: Mapping[str, Any] | None = None) -> list[str]:
    """The cell's sanity warnings (``flags`` in ``sweep.json``); with ``finding`` (its entry in ``findings``), only
    those that bear on it."""
    found = list(cell.get("flags", []))
    if finding is None:
        return found
    return [flag for flag in found if flag in (*CELL_WIDE, *finding.get("warned_by", ()))]


def measure(found: Mapping[str, FindingEntry]) -> dict[str, dict[str, dict[str, Any]]]:
    """Every finding of one cell (its diagnostics' ``findings``): ``{finding: {condition or "all": {"value",
    "interval", "chance", "parts"?}}}``."""
    return {key: {c: value.to_json() for c, value in entry.values.items()} for key, entry in found.items()}


def describe(host: Host, k: int, datasets: int, measured: Collection[str]) -> list[dict[str, Any]]:
    """The findings' part of ``sweep.json``, for the ``measured`` ones (those the cells have): what each is, its
    interval, and the paper's value where it applies (for ``k`` and this many datasets)."""
    outline = _outline(k, [f"dataset {n}" for n in range(datasets)])
    found = []
    for entries in host.registrations("diagnostic").values():
        diagnostic = next(entry.registration for entry in entries if entry.active)
        assert isinstance(diagnostic, DiagnosticPlugin)
        for f in (f for f in diagnostic.findings if f.key in measured):
            comparable = f.paper is not None
            if comparable and f.incomparable:
                try:
                    with diagnostic.blamed(f" deciding whether finding {f.key!r} is comparable", own=True):
                        comparable = f.incomparable(outline) is None
                except PluginError:
                    comparable = False  # its cells' diagnostics name the failure
            reference = {"value": f.paper, "sampler": NEURONS if f.per_condition else None, "note": f.paper_text}
            found.append(
                {
                    "name": f.key,
                    "title": f.title,
                    "description": f.description,
                    "per_condition": f.per_condition,
                    "shown": f.shown,
                    "interval": f.interval,
                    "paper": reference if comparable else None,
                    "warned_by": list(f.warned_by),
                }
            )
    return found


def _outline(k: int, datasets: list[str]) -> DiagnosticContext:
    """What a finding's comparability is decided on for the whole sweep: its top-k size and datasets, no directions."""
    manifest = Manifest(
        run_id="sweep",
        illusion_version="",
        created="",
        seed=0,
        k=k,
        config={},
        datasets=[DatasetEntry(name=name, plugin="", size=0, hash="") for name in datasets],
        directions=[],
        plugins=[],
        timings={},
    )
    stats = Stats(
        directions={}, conditions={}, separability=Separability(labels=datasets, accuracy=None, chance=None, confusion=None)
    )
    return DiagnosticContext("sweep", 0, k, datasets, {}, {}, [], [], np.zeros((0, 0)), {}, stats, manifest)
