"""Per-token shading: each listed sentence's tokens with their share of its score on a direction.

The shares come from the run's model the way ``illusion run`` finds driving tokens (the model
layer's ``attribute``, else each token's own projection; ``illusion.run.tokens``), so a sentence's
most shaded token is its driving token. The served explorer builds the model on the first request;
a static folder has no shading.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from illusion.errors import IllusionError
from illusion.explore.sentences import utf16
from illusion.host import Host
from illusion.run.tokens import token_shares
from illusion.run.view import RunView


class Shading:
    """Token shares of sentences on directions of one run, from its model (built once, when first needed)."""

    def __init__(self, run: RunView, host: Host | None = None):
        self.run, self.host = run, host
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                config = self.run.config
                model = (self.host or Host()).get("model layer", config.model.plugin).create(config.model.options)
                if model.identity != self.run.manifest.model:
                    raise IllusionError(f"the model layer of run {self.run.path} has changed since the run; rerun `illusion run`")
                self._model = model
            return self._model

    def tokens(self, texts: list[str], vector: np.ndarray) -> list[list[list[float]]]:
        """Per text: [start, end, share] of each token (UTF-16 offsets), shares divided by the text's largest in size."""
        unique = list(dict.fromkeys(texts))
        found = {}
        for text, shares in token_shares(unique, {text: [0] for text in unique}, vector[None, :], self.model, {}):
            column = np.asarray(shares.shares, dtype=np.float64)[:, 0]
            largest = float(np.abs(column).max()) if len(column) else 0.0
            found[text] = [
                [utf16(text, span[0]), utf16(text, span[1]), round(share / largest, 3) if largest > 0 else 0.0]
                for span, share in zip(shares.spans, column.tolist())
                if span
            ]
        return [found[text] for text in texts]
