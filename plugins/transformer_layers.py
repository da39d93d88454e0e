"""Several layers and poolings of a ``transformers`` model from one forward pass (``illusion.MultiLayer``).

``illusion sweep`` asks for a grid of (layer, pooling) views; every hidden state up to the deepest
layer the model layer keeps comes out of the same pass, so each view costs only its pooling (under ``cls`` and
``last``, its pooled rows, computed as a layer of those options computes them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from illusion import PluginError


class AllLayers:
    """``identity_at`` and ``encode_layers`` for :class:`illusion.plugins.transformer.TransformerLayer`.

    The layer it was created with is the deepest it can read: the blocks after it were dropped.
    """

    layer: int
    openvino: str | None
    identity: dict[str, Any]
    dim: int
    tokenizer: Any
    _passes: Callable[..., Any]
    _precision: Callable[[], Any]
    _view: Callable[[Any, dict[str, Any], int, str], Any]

    def identity_at(self, layer: int, pooling: str) -> dict[str, Any]:
        from illusion.plugins.transformer import POOLINGS, _check_classification_token

        if not 0 <= layer <= self.layer:
            raise PluginError(
                f"model layer 'transformer': layer {layer} is not in 0..{self.layer}, the layers this one reads; "
                f"create it with layer = {layer} or deeper"
            )
        if pooling not in POOLINGS:
            raise PluginError(f"model layer 'transformer': pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
        if pooling == "cls":
            _check_classification_token(self.tokenizer, self.identity["model"])
        return {**self.identity, "layer": layer, "pooling": pooling}

    def encode_layers(
        self, texts: Sequence[str], views: Sequence[tuple[int, str]], progress: Callable[[int], None] | None = None
    ) -> list[np.ndarray]:
        if self.openvino:
            raise PluginError(
                "model layer 'transformer': a sweep runs on torch (OpenVINO's vectors depend on the passes that make "
                "them, and a sweep's views share their vectors with runs); set runtime = 'torch'"
            )
        for layer, pooling in views:
            self.identity_at(layer, pooling)
        out = [np.empty((len(texts), self.dim), dtype=np.float32) for _ in views]
        with self._precision():  # as ``encode``: the views share their identities with layers of these options
            for rows, _, states, inputs in self._passes(texts):
                for vectors, (layer, pooling) in zip(out, views):
                    vectors[rows] = self._view(states, inputs, layer, pooling).float().cpu().numpy()
                if progress:
                    progress(len(rows))
        return out
