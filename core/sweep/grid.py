"""The grid of a sweep: layers, poolings and dataset sizes as given on the command line, and the nested subsamples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from illusion.common.seeds import rng_for
from illusion.errors import IllusionError

ALL = "all"


@dataclass(frozen=True)
class Grid:
    """Layers, poolings and sizes (sentences per dataset, ``"all"`` = the datasets as configured), in sweep order."""

    layers: tuple[int, ...]
    poolings: tuple[str, ...]
    sizes: tuple[str, ...]

    def cells(self) -> list[tuple[int, str, str]]:
        """Every (layer, pooling, size), sizes outermost and smallest first: small cells finish first."""
        return [(layer, pooling, size) for size in self.sizes for layer in self.layers for pooling in self.poolings]

    @property
    def views(self) -> list[tuple[int, str]]:
        """Every (layer, pooling) the model layer must give."""
        return [(layer, pooling) for layer in self.layers for pooling in self.poolings]


def parse_layers(text: str) -> tuple[int, ...]:
    """``1-6``, ``0,3,6`` or both mixed (``0,2-4``): hidden-state indices counted from 0 (the embeddings)."""
    layers: list[int] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        low, dash, high = item.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise IllusionError(
                f"--layers {text!r}: write layer numbers and ranges counted from 0 (the embeddings), e.g. 1-6 or 0,3,6"
            )
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise IllusionError(f"--layers {text!r}: the range {item} runs backwards; write {last}-{first}")
        layers += [layer for layer in range(first, last + 1) if layer not in layers]
    if not layers:
        raise IllusionError("--layers: give at least one layer, e.g. 1-6")
    return tuple(layers)


def parse_names(text: str, option: str) -> tuple[str, ...]:
    """A comma-separated list, each name once, in order."""
    names = tuple(dict.fromkeys(filter(None, (part.strip() for part in text.split(",")))))
    if not names:
        raise IllusionError(f"{option}: give at least one value, e.g. {option} cls,mean")
    return names


def parse_sizes(text: str, k: int) -> tuple[str, ...]:
    """``200,700,all``: sentences per dataset, each at least ``k``, smallest first, ``all`` last."""
    sizes = parse_names(text, "--sizes")
    numbers = [size for size in sizes if size != ALL]
    if any(not size.isdigit() for size in numbers):
        raise IllusionError(f"--sizes {text!r}: write sentence counts per dataset and 'all', e.g. 200,700,all")
    small = [size for size in numbers if int(size) < k]
    if small:
        raise IllusionError(f"--sizes {text!r}: {', '.join(small)} is fewer sentences than k = {k}; use sizes of at least {k}")
    return tuple(sorted(numbers, key=int)) + ((ALL,) if ALL in sizes else ())


def subsample(count: int, size: str, seed: int, dataset: str) -> np.ndarray:
    """Rows of a ``count``-sentence dataset kept at ``size``, in dataset order.

    They are the first ``size`` of one seeded permutation per dataset, so every size holds every smaller one.
    """
    if size == ALL or int(size) >= count:
        return np.arange(count)
    order = rng_for(seed, f"sweep:{dataset}").permutation(count)
    return np.sort(order[: int(size)])


def effective(counts: Sequence[int], size: str) -> tuple[int, ...]:
    """Sentences per dataset at ``size``: equal tuples mean the same sentences (every size nests in the next)."""
    return tuple(count if size == ALL else min(count, int(size)) for count in counts)
