"""The hooks a plugin may implement.

The ``illusion_<kind>s`` hooks return an iterable of typed registrations; the others are
called with data and answer it (e.g. ``illusion_task_predictions``).

Bump ``HOOK_API_VERSION``'s minor number when a hook is added, and its major number
when a hook's signature or meaning, or a registration type's contract, changes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from illusion.registrations import (
    ConceptDetectorPlugin,
    DatasetPlugin,
    DiagnosticPlugin,
    DirectionSamplerPlugin,
    ExplainerPlugin,
    ModelLayerPlugin,
)

PROJECT = "illusion"
HOOK_API_VERSION = "2.0"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def illusion_datasets() -> Iterable[DatasetPlugin]:
    """Register datasets: sources of sentences."""


@hookspec
def illusion_model_layers() -> Iterable[ModelLayerPlugin]:
    """Register model layers: a model plus a layer and pooling that turn sentences into vectors."""


@hookspec
def illusion_direction_samplers() -> Iterable[DirectionSamplerPlugin]:
    """Register direction samplers: ways to choose the directions to study."""


@hookspec
def illusion_concept_detectors() -> Iterable[ConceptDetectorPlugin]:
    """Register concept detectors: rules or models that say which sentences show a concept."""


@hookspec
def illusion_task_predictions(task: dict) -> list[dict] | None:
    """Pre-annotate a labelling task ({"type", "data", "meta"}): Label Studio predictions, or None."""


@hookspec
def illusion_explainers() -> Iterable[ExplainerPlugin]:
    """Register explainers: turn a direction's top sentences in one dataset into a text and a pattern to score."""


@hookspec
def illusion_diagnostics() -> Iterable[DiagnosticPlugin]:
    """Register diagnostics: automatic analyses of a run, each with its findings."""
