"""illusion: test what directions in a model's embedding space mean, on several datasets at once.

The public API for plugin authors is everything imported here; ``illusion.open_run(path)`` reads a
finished run as pandas DataFrames (imported on first use, so ``import illusion`` stays light).
"""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("illusion")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from illusion.directions import Directions, SamplerContext, unit_rows
from illusion.errors import ConfigError, IllusionError, PluginError, PluginUnavailable, check_annotation_run
from illusion.hookspecs import HOOK_API_VERSION, hookimpl
from illusion.model_layer import DRIVING_METHODS, ModelLayer, MultiLayer, TokenShares, TokenVectors
from illusion.params import REQUIRED, Param
from illusion.records import Record
from illusion.registrations import (
    WHOLE,
    ConceptDetectorPlugin,
    DatasetPlugin,
    DiagnosticContext,
    DiagnosticPlugin,
    DirectionSamplerPlugin,
    ExplainerInput,
    ExplainerPlugin,
    Explanation,
    Finding,
    FindingValue,
    ModelLayerPlugin,
)

if TYPE_CHECKING:
    from illusion.run.view import RunView, open_run

_LAZY = {"open_run": "illusion.run.view", "RunView": "illusion.run.view"}  # they need pandas: imported on first use


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'illusion' has no attribute {name!r}")


__all__ = [
    "DRIVING_METHODS",
    "HOOK_API_VERSION",
    "REQUIRED",
    "WHOLE",
    "ConceptDetectorPlugin",
    "ConfigError",
    "DatasetPlugin",
    "DiagnosticContext",
    "DiagnosticPlugin",
    "DirectionSamplerPlugin",
    "Directions",
    "ExplainerInput",
    "ExplainerPlugin",
    "Explanation",
    "Finding",
    "FindingValue",
    "IllusionError",
    "ModelLayer",
    "ModelLayerPlugin",
    "MultiLayer",
    "Param",
    "PluginError",
    "PluginUnavailable",
    "Record",
    "RunView",
    "SamplerContext",
    "TokenShares",
    "TokenVectors",
    "__version__",
    "check_annotation_run",
    "hookimpl",
    "open_run",
    "unit_rows",
]
