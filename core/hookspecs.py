"""The hooks a plugin may implement. Each returns an iterable of typed registrations.

Bump ``HOOK_API_VERSION``'s minor number when a hook is added, and its major number
when a hook's signature or meaning changes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from illusion.registrations import DatasetPlugin, DirectionSamplerPlugin, ModelLayerPlugin

PROJECT = "illusion"
HOOK_API_VERSION = "1.1"

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
def illusion_task_predictions(task: dict) -> list[dict] | None:
    """Pre-annotate a labelling task ({"type", "data", "meta"}): Label Studio predictions, or None."""
