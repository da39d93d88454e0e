"""illusion: test what directions in a model's embedding space mean, on several datasets at once.

The public API for plugin authors is everything imported here.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("illusion")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from illusion.directions import Directions, SamplerContext, unit_rows
from illusion.errors import ConfigError, IllusionError, PluginError, PluginUnavailable
from illusion.hookspecs import HOOK_API_VERSION, hookimpl
from illusion.model_layer import ModelLayer, TokenVectors
from illusion.params import REQUIRED, Param
from illusion.records import Record
from illusion.registrations import ConceptDetectorPlugin, DatasetPlugin, DirectionSamplerPlugin, ModelLayerPlugin

__all__ = [
    "HOOK_API_VERSION",
    "REQUIRED",
    "ConceptDetectorPlugin",
    "ConfigError",
    "DatasetPlugin",
    "DirectionSamplerPlugin",
    "Directions",
    "IllusionError",
    "ModelLayer",
    "ModelLayerPlugin",
    "Param",
    "PluginError",
    "PluginUnavailable",
    "Record",
    "SamplerContext",
    "TokenVectors",
    "__version__",
    "hookimpl",
    "unit_rows",
]
