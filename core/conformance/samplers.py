"""The conformance checks of direction samplers."""

from __future__ import annotations

import numpy as np

from illusion.conformance.subject import Failure, Subject, check, crashed
from illusion.errors import PluginError
from illusion.registrations import DirectionSamplerPlugin


@check("output", "direction sampler")
def sampler_output(subject: Subject) -> None:
    """At least one unit direction of the context's dimension, as float32 vectors."""
    directions = subject.plugin(DirectionSamplerPlugin).sample(subject.context(), subject.options)
    if not len(directions.ids):
        raise Failure(f"{subject.label} gives no directions with options {dict(subject.options)}")
    if directions.vectors.dtype != np.float32 or directions.vectors.shape != (len(directions.ids), subject.dim):
        raise Failure(f"{subject.label}: vectors of shape {directions.vectors.shape} for {len(directions.ids)} ids")


@check("determinism", "direction sampler")
def sampler_determinism(subject: Subject) -> None:
    """The same seed gives the same directions; the sampler draws only from the context's seed or its own."""
    first, again = (subject.plugin(DirectionSamplerPlugin).sample(subject.context(), subject.options) for _ in range(2))
    if list(first.ids) != list(again.ids) or not np.array_equal(first.vectors, again.vectors):
        raise Failure(
            f"{subject.label} is not deterministic for seed {subject.seed}: use context.rng(seed), not global randomness"
        )


@check("stable_ids", "direction sampler")
def sampler_ids(subject: Subject) -> None:
    """Direction ids are unique, non-empty strings without spaces (repeated draws: see ``sampler_determinism``)."""
    directions = subject.plugin(DirectionSamplerPlugin).sample(subject.context(), subject.options)
    bad = [i for i in directions.ids if not isinstance(i, str) or not i or any(c.isspace() for c in i)]
    if bad:
        raise Failure(f"{subject.label}: direction ids must be non-empty strings without spaces, got {bad[0]!r}")
    if len(set(directions.ids)) != len(directions.ids):
        raise Failure(f"{subject.label}: direction ids are not unique")


@check("empty_input", "direction sampler")
def sampler_empty(subject: Subject) -> None:
    """Datasets without sentences give directions or a clear error, never a crash."""
    try:
        subject.plugin(DirectionSamplerPlugin).sample(subject.context(sentences=0), subject.options)
    except PluginError as exc:
        if crashed(exc):
            raise Failure(f"{subject.label} crashed on datasets without sentences: {exc}") from None
