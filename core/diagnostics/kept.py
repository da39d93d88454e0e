"""Diagnostic results kept beside the activation store, so that a warm run recomputes no diagnostic whose inputs are
unchanged.

A result is kept by everything its diagnostic can read (a digest of the whole context: vectors, sentences,
directions, top-k, statistics, the manifest without the run's id and clock times, control sets, roles and
settings), the results of the diagnostics it needs, and its code (its distribution's release and fingerprint,
illusion's own source; every derived value also depends on the installed packages' releases: installing
``umap-learn`` changes the separability picture). A diagnostic is therefore a function of its context; one whose
result JSON would not give back as it is (tuples, NaN) is simply not kept, nor one whose code has no file (defined
in a notebook), nor one that changes the results of others in place (it runs each time, so that they change as
they did cold).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from illusion.host import Host, Provided
from illusion.registrations import DiagnosticContext, DiagnosticPlugin
from illusion.run.derived import Derived

KIND = "diagnostics"
VOLATILE = ("run_id", "created", "timings")  # manifest fields that differ between runs of the same inputs


def context_digest(context: DiagnosticContext) -> str:
    """A digest of everything ``context`` holds for a diagnostic to read, its earlier results aside."""
    digest = hashlib.sha256()

    def add(value: Any) -> None:
        if isinstance(value, np.ndarray):
            array = np.ascontiguousarray(value)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(array.data.cast("B"))
        else:
            digest.update(json.dumps(value, sort_keys=True, default=str).encode())
        digest.update(b"\0")

    manifest = {key: value for key, value in context.manifest.to_json().items() if key not in VOLATILE}
    add([list(context.datasets), list(context.direction_ids), list(context.conditions), context.k, context.seed])
    for name in context.datasets:
        add(name)
        add(context.vectors[name])
        add(list(context.texts[name]))
        add(context.top_index[name])
    add(context.directions)
    add([context.stats.to_json(), manifest, [c.to_json() for c in context.controls], dict(context.roles), dict(context.settings)])
    return digest.hexdigest()


class KeptResults:
    """The kept results of one suite's diagnostics, all on the same ``context``."""

    def __init__(self, derived: Derived, context: DiagnosticContext, host: Host):
        self.derived, self.host = derived, host
        self.inputs = context_digest(context)

    def get_or_make(self, entry: Provided, results: Mapping[str, Any], make: Callable[[], Any]) -> Any:
        """The result kept for the diagnostic ``entry`` provides, on these inputs; else ``make()``, kept."""
        diagnostic = entry.registration
        assert isinstance(diagnostic, DiagnosticPlugin)
        distribution = self.host.distribution_of("diagnostic", f"{entry.distribution.name}:{diagnostic.name}")
        if not distribution.fingerprint:  # code without a file (a notebook's) tells no change of it
            return make()
        made_from = {
            "diagnostic": diagnostic.name,
            "release": distribution.release,
            "inputs": self.inputs,
            "needs": needs_digest([results[name] for name in diagnostic.needs]),
        }
        kept = self.derived.get(KIND, made_from)
        if isinstance(kept, dict):
            return kept
        before = needs_digest(list(results.values()))
        made = make()
        if needs_digest(list(results.values())) == before:  # one that changed earlier results must do so every time
            self.derived.put(KIND, made_from, made)
        return made


def needs_digest(results: list[Any]) -> str:
    """A digest of the results a diagnostic needs, as JSON in their own order: sorted keys would fail on number and
    text keys side by side, and a kept result reads back in the same order, so it gives the same digest."""
    return hashlib.sha256(json.dumps(results, ensure_ascii=False, default=repr).encode()).hexdigest()
