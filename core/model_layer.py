"""What a model-layer plugin returns: sentence vectors, per-token vectors, and each token's share of a score.

A run marks, in every listed sentence, its driving token: the token with the largest share of the
sentence's score on the direction (most negative for bottom lists). ``DRIVING_METHODS`` names and
describes the ways of finding it; the run folder and report name the one used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from illusion.errors import IllusionError


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


OWN_PROJECTION = "own projection"
EXACT_SHARE = "exact share"
GRADIENT_X_INPUT = "gradient x input"
DRIVING_METHODS = {
    OWN_PROJECTION: "the token whose own vector at the layer projects furthest on the direction; not an attribution: "
    "under cls or last pooling it need not be what drives the sentence vector",
    EXACT_SHARE: "each token's exact additive share of the score (mean pooling: its vector's projection divided by the "
    "number of pooled tokens; max pooling: the direction-weighted values of the dimensions where it holds the maximum); "
    "the shares of all pooled tokens add up to the score",
    GRADIENT_X_INPUT: "gradient x input: the gradient of the pooled vector's projection on the direction with respect to "
    "each token's hidden state at the layer before the pooled one (what the last block reads), times that hidden state, "
    "summed over its dimensions",
}


@dataclass(frozen=True)
class TokenShares:
    """The tokens of one sentence, their character spans, and each one's share of the sentence's score on some directions."""

    tokens: Sequence[str]
    spans: Sequence[tuple[int, int] | None]
    shares: np.ndarray  # shape (tokens, directions)

    def strongest(self, column: int, sign: float = 1.0) -> tuple[str, tuple[int, int] | None] | None:
        """The token with the largest share on direction ``column`` (``sign=-1``: the most negative share)."""
        if not len(self.tokens):
            return None
        index = int(np.argmax(sign * self.shares[:, column]))
        return self.tokens[index], self.spans[index]


def attributes(model: Any) -> bool:
    """Whether ``model`` scores tokens itself (``attribute``), rather than by their own vectors."""
    return callable(getattr(model, "attribute", None))


def driving_method(model: Any) -> str:
    """The name of the way ``model``'s driving tokens are found: its ``attribution``, else ``own projection``."""
    named = getattr(model, "attribution", None)
    if attributes(model) and not (isinstance(named, str) and named):
        raise IllusionError(
            f"model layer {type(model).__name__}: a model layer with attribute() must name its method in `attribution` "
            "(a non-empty str, e.g. one of illusion.DRIVING_METHODS)"
        )
    return named if isinstance(named, str) and named else OWN_PROJECTION


@runtime_checkable
class ModelLayer(Protocol):
    """A model, a layer and a pooling that turn sentences into vectors.

    ``identity`` is a JSON-able dict that changes whenever the vectors would (model, revision,
    layer, pooling, max length): it keys the on-disk activation cache.

    Optional: ``encode_with_tokens(texts, progress=None)`` returning ``(encode(texts), token_vectors(texts))``
    from one pass; a run then finds driving tokens without encoding the listed sentences again.

    Optional: ``attribute(texts, directions)``, one ``TokenShares`` per text (special tokens left out),
    ``directions[i]`` an array of shape (m, dim) with the directions text ``i`` needs, and ``attribution``,
    the name of its method (see ``DRIVING_METHODS``). Without ``attribute`` a run marks the token
    whose own vector projects furthest (``attribution`` may then name what that is for this layer,
    e.g. ``"exact share"`` when the sentence vector is the mean of the token vectors).
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
