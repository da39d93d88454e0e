"""Directions in embedding space and what a sampler may look at to choose them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from illusion.errors import PluginError


@dataclass(frozen=True)
class Directions:
    """Named unit directions: ``vectors[i]`` is the direction called ``ids[i]``.

    Samplers give local ids (``"17"``); the host prefixes the sampler's label (``"neuron:17"``).
    """

    ids: Sequence[str]
    vectors: np.ndarray

    def checked(self, dim: int, owner: str) -> Directions:
        """Check shape, finiteness, unit length and unique ids; return a float32 copy."""
        vectors = np.asarray(self.vectors, dtype=np.float64)
        ids = [str(i) for i in self.ids]
        if vectors.ndim != 2 or vectors.shape[1] != dim:
            raise PluginError(f"{owner}: directions must have shape (count, {dim}), got {vectors.shape}")
        if len(ids) != len(vectors):
            raise PluginError(f"{owner}: {len(ids)} ids for {len(vectors)} directions")
        if len(set(ids)) != len(ids):
            raise PluginError(f"{owner}: direction ids are not unique")
        if not np.isfinite(vectors).all():
            raise PluginError(f"{owner}: directions contain NaN or infinite values")
        norms = np.linalg.norm(vectors, axis=1)
        if len(norms) and not np.allclose(norms, 1.0, atol=1e-4):
            raise PluginError(f"{owner}: directions must have unit length (norms {norms.min():.3g}..{norms.max():.3g})")
        return Directions(ids, vectors.astype(np.float32))

    def prefixed(self, label: str) -> Directions:
        return Directions([f"{label}:{i}" for i in self.ids], self.vectors)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale every row to unit length (zero rows are an error of the caller)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@dataclass(frozen=True)
class SamplerContext:
    """What a direction sampler may use: the vector size, the run's seed, and the datasets' vectors."""

    dim: int
    seed: int
    datasets: Sequence[str] = ()
    _vectors: Callable[[str], np.ndarray] | None = field(default=None, repr=False)

    def vectors(self, dataset: str) -> np.ndarray:
        """The sentence vectors of one dataset of the run, shape (sentences, dim)."""
        if self._vectors is None or dataset not in self.datasets:
            known = ", ".join(self.datasets) or "none"
            raise PluginError(f"no dataset {dataset!r} in this run (datasets: {known})")
        return self._vectors(dataset)

    def rng(self, seed: int | None = None) -> np.random.Generator:
        """A random generator seeded by ``seed``, or by the run's seed when it is None."""
        return np.random.default_rng(self.seed if seed is None else seed)
