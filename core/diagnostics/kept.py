"""Diagnostic results kept beside the activation store, so that a warm run recomputes no diagnostic whose inputs are
unchanged.

A result is kept by everything its diagnostic can read (a digest of the whole context: vectors, sentences,
directions, top-k, statistics, the manifest without the run's id and clock times, control sets, roles and
settings), the results of the diagnostics it needs, and its code (its distribution's release and fingerprint,
illusion's own source; every derived value also depends on the installed packages' releases: installing
``umap-learn`` changes the separability picture). A diagnostic is therefore a function of its context; one whose
result JSON would not give back as it is (tuples, NaN) is simply not kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import illusion
from illusion.host import Host, Provided
from illusion.registrations import DiagnosticContext, DiagnosticPlugin
from illusion.run.derived import Derived, files_digest

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
        self.code = files_digest([Path(illusion.__file__).parent])

    def get_or_make(self, entry: Provided, results: Mapping[str, Any], make: Callable[[], Any]) -> Any:
        """The result kept for the diagnostic ``entry`` provides, on these inputs; else ``make()``, kept."""
        diagnostic = entry.registration
        assert isinstance(diagnostic, DiagnosticPlugin)
        release = self.host.distribution_of("diagnostic", f"{entry.distribution.name}:{diagnostic.name}").release
        made_from = {
            "diagnostic": diagnostic.name,
            "release": release,
            "illusion": self.code,
            "inputs": self.inputs,
            "needs": {name: results[name] for name in diagnostic.needs},
        }
        return self.derived.get_or_make(KIND, made_from, make, lambda kept: isinstance(kept, dict))
