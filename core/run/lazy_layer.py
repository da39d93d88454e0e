"""A run's model layer, created only when something needs it.

Its identity (which keys the vectors and driving tokens in the store) comes from the plugin's
``identify``, without loading anything; its width and driving-token method from the record a run
that created the same layer kept in the store. So a run whose vectors and driving tokens are all
cached neither creates the layer nor imports what the plugin needs to (torch, transformers).
Without ``identify``, without that record, or without a store, the layer is created at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from illusion.errors import PluginError
from illusion.model_layer import driving_method
from illusion.registrations import ModelLayerPlugin
from illusion.run.derived import Derived

MODEL = "model-layer"  # the kind of derived value: a created layer's dim and driving-token method


class LazyLayer:
    """``identity``, ``dim`` and ``method`` of a model layer, which is created (once) when anything else of it is asked for."""

    def __init__(
        self, plugin: ModelLayerPlugin, options: Mapping[str, Any], made_by: tuple[str, str], derived: Derived | None = None
    ):
        self.plugin, self.options, self.made_by, self.derived = plugin, options, made_by, derived
        self._layer: Any = None
        identified = plugin.identity_of(options) if derived is not None else None
        about = derived.get(MODEL, self._made_from(identified)) if derived is not None and identified is not None else None
        if isinstance(about, dict) and isinstance(about.get("dim"), int) and isinstance(about.get("method"), str):
            self.identity: dict[str, Any] = identified or {}
            self.dim: int = about["dim"]
            self.method: str = about["method"]
        else:
            self._create(identified)

    def layer(self) -> Any:
        """The plugin's model layer, created on first use."""
        if self._layer is None:
            self._create(self.identity)
        return self._layer

    def __getattr__(self, name: str) -> Any:
        """Anything else is the layer's (``encode``, ``attribute``...): asking for it creates the layer."""
        if name.startswith("__") or name == "_layer":
            raise AttributeError(name)
        return getattr(self.layer(), name)

    def _create(self, identified: dict[str, Any] | None) -> None:
        layer = self.plugin.create(self.options)
        if identified is not None and layer.identity != identified:
            raise PluginError(
                f"{self.plugin.label}: identify() gives {identified}, but the layer it creates has identity "
                f"{layer.identity}; they must be equal (identify keys the cached vectors)"
            )
        self._layer, self.identity, self.dim = layer, layer.identity, int(layer.dim)
        self.method = driving_method(layer)
        if self.derived is not None and identified is not None:
            self.derived.put(MODEL, self._made_from(identified), {"dim": self.dim, "method": self.method})

    def _made_from(self, identity: dict[str, Any] | None) -> dict[str, Any]:
        return {"identity": identity, "made_by": self.made_by}
