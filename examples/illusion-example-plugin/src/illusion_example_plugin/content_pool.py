"""Model layer ``content-pool``: the built-in transformer layer, pooled over content tokens only.

The built-in ``transformer`` pools every position, [CLS] and [SEP] included; this layer reads its
per-token vectors and pools the word pieces of the sentence alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from illusion import ModelLayer, ModelLayerPlugin, Param, TokenVectors, hookimpl
from illusion.plugins import transformer

TRANSFORMER = next(iter(transformer.illusion_model_layers()))  # the built-in registration, wrapped below
POOLINGS = {"mean": lambda vectors: vectors.mean(axis=0), "max": lambda vectors: vectors.max(axis=0)}
CHUNK = 256


class ContentPool:
    """Sentence vectors pooled from another layer's token vectors; a text without tokens gives zeros."""

    def __init__(self, inner: ModelLayer, pooling: str):
        self.inner, self.pooling = inner, POOLINGS[pooling]
        self.dim = inner.dim
        self.identity = {**inner.identity, "plugin": "content-pool", "pooling": pooling}

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            chunk = list(texts[start : start + CHUNK])
            for row, tokens in enumerate(self.inner.token_vectors(chunk), start):
                if len(tokens.tokens):
                    out[row] = self.pooling(tokens.vectors)
            if progress:
                progress(len(chunk))
        return out

    def token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]:
        return self.inner.token_vectors(texts) if len(texts) else []  # the built-in tokenizer rejects an empty batch


def content_pool(pooling: str, **options) -> ContentPool:
    return ContentPool(TRANSFORMER.create({**options, "pooling": "cls"}), pooling)


@hookimpl
def illusion_model_layers():
    yield ModelLayerPlugin(
        name="content-pool",
        description="A transformer layer pooled over the sentence's word pieces only ([CLS], [SEP] left out).",
        factory=content_pool,
        params=[
            *(param for param in TRANSFORMER.params if param.name != "pooling"),
            Param("pooling", str, "mean", "how word-piece vectors become a sentence vector", choices=tuple(POOLINGS)),
        ],
    )
