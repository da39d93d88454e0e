"""Directions in embedding space and what a sampler may look at to choose them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from illusion.errors import PluginError


@dataclass(frozen=True)
class Directions:
    """Named unit directions: ``vectors[i]`` is the direction called ``ids[i]``.

    Samplers give local ids (``"17"``); the run prefixes the condition, the sampler's name in the config (``"neuron:17"``).
    """

    ids: Sequence[str]
    vectors: np.ndarray

    def checked(self, dim: int, owner: str) -> Directions:
        """Check shape, finiteness, unit length, unique ids and vectors; return a float32 copy.

        Errors name ``owner`` and the first direction at fault, by index and id.
        """
        try:
            vectors = np.asarray(self.vectors, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise PluginError(f"{owner}: directions must be a numeric array of shape (count, {dim}) ({exc})") from None
        bad_ids = [(n, i) for n, i in enumerate(self.ids) if not isinstance(i, (str, int)) or isinstance(i, bool) or not str(i)]
        if bad_ids:
            number, identifier = bad_ids[0]
            raise PluginError(f"{owner}: direction {number} has id {identifier!r} ({type(identifier).__name__}); use strings")
        ids = [str(i) for i in self.ids]
        if vectors.ndim != 2 or vectors.shape[1] != dim:
            raise PluginError(f"{owner}: directions must have shape (count, {dim}), got {vectors.shape}")
        if len(ids) != len(vectors):
            raise PluginError(f"{owner}: {len(ids)} ids for {len(vectors)} directions")
        seen: dict[str, int] = {}
        for number, identifier in enumerate(ids):
            if identifier in seen:
                raise PluginError(
                    f"{owner}: direction id {identifier!r} is given twice (directions {seen[identifier]} and {number})"
                )
            seen[identifier] = number
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():
            number = int(np.flatnonzero(~finite)[0])
            raise PluginError(f"{owner}: direction {number} (id {ids[number]!r}) contains NaN or infinite values")
        norms = np.linalg.norm(vectors, axis=1)
        off = ~np.isclose(norms, 1.0, atol=1e-4)
        if off.any():
            number = int(np.flatnonzero(off)[0])
            raise PluginError(
                f"{owner}: direction {number} (id {ids[number]!r}) has length {norms[number]:.3g}; directions must have "
                "unit length (illusion.unit_rows scales them; a zero row has no direction)"
            )
        single = vectors.astype(np.float32)
        _, first, which = np.unique(single, axis=0, return_index=True, return_inverse=True)
        again = np.flatnonzero(first[which.ravel()] != np.arange(len(single)))
        if len(again):
            number, earlier = int(again[0]), int(first[which.ravel()[again[0]]])
            raise PluginError(
                f"{owner}: direction {number} (id {ids[number]!r}) is the same vector as direction {earlier} "
                f"(id {ids[earlier]!r}); each direction must differ"
            )
        return Directions(ids, single)

    def prefixed(self, condition: str) -> Directions:
        """The directions with ids ``CONDITION:ID``: the run names each by the sampler (condition) that chose it."""
        return Directions([f"{condition}:{i}" for i in self.ids], self.vectors)

    @property
    def conditions(self) -> list[str]:
        """Each direction's condition, from its prefixed id."""
        return [condition_of(identifier) for identifier in self.ids]


def condition_of(identifier: str) -> str:
    """The condition of a run's direction: the prefix of its id (``"neuron:17"`` -> ``"neuron"``)."""
    return identifier.split(":", 1)[0]


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
