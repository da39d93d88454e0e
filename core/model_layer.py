"""What a model-layer plugin returns: sentence vectors, and per-token vectors for highlighting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class TokenVectors:
    """The tokens of one sentence: text, character span in the sentence, and vector at the layer."""

    tokens: Sequence[str]
    spans: Sequence[tuple[int, int] | None]
    vectors: np.ndarray  # shape (tokens, dim)

    def strongest(self, direction: np.ndarray, sign: float = 1.0) -> tuple[str, tuple[int, int] | None] | None:
        """The token whose vector projects furthest on ``direction`` (``sign=-1``: most negative)."""
        if not len(self.tokens):
            return None
        index = int(np.argmax(sign * (self.vectors @ direction)))
        return self.tokens[index], self.spans[index]


@runtime_checkable
class ModelLayer(Protocol):
    """A model, a layer and a pooling that turn sentences into vectors.

    ``identity`` is a JSON-able dict that changes whenever the vectors would (model, revision,
    layer, pooling, max length): it keys the on-disk activation cache.

    Optional: ``encode_with_tokens(texts, progress=None)`` returning ``(encode(texts), token_vectors(texts))``
    from one pass; a run then finds driving tokens without encoding the listed sentences again.
    """

    dim: int
    identity: dict[str, Any]

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Sentence vectors, shape (len(texts), dim), float32; call ``progress(n)`` as n more are done."""

    def token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]:
        """Per-token vectors at the same layer, special tokens left out."""


@runtime_checkable
class MultiLayer(Protocol):
    """Optional: a model layer that reads several layers and poolings from one forward pass (``illusion sweep``).

    A view is a ``(layer, pooling)`` pair, named as the plugin's ``layer`` and ``pooling`` options name them.
    ``identity_at`` must equal the ``identity`` of the same plugin created with that layer and pooling,
    so that the vectors of each view are shared with runs of that layer (one activation-store entry each).
    A model layer without these methods is swept one view per pass.
    """

    def identity_at(self, layer: int, pooling: str) -> dict[str, Any]:
        """The ``identity`` of this model layer at ``layer`` with ``pooling``; a PluginError when it cannot read them."""

    def encode_layers(
        self, texts: Sequence[str], views: Sequence[tuple[int, str]], progress: Callable[[int], None] | None = None
    ) -> list[np.ndarray]:
        """Sentence vectors at each view, each of shape (len(texts), dim), float32, from one pass over ``texts``."""
