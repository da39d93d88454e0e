"""Vectors read a block of rows at a time, so memory-mapped stores of any size stream through a fixed buffer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

ROWS_PER_CHUNK = 8192


class RowSource(Protocol):
    """Rows read by slices: a (memory-mapped) matrix, or a view of some of its rows."""

    def __len__(self) -> int: ...

    def __getitem__(self, part: slice, /) -> np.ndarray: ...


def chunks(vectors: RowSource, dtype: type = np.float32, rows: int = ROWS_PER_CHUNK) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, block)`` for consecutive blocks of at most ``rows`` rows, each converted to ``dtype``."""
    for start in range(0, len(vectors), rows):
        yield start, np.asarray(vectors[start : start + rows], dtype=dtype)


def project(vectors: np.ndarray, directions: np.ndarray, rows: int = ROWS_PER_CHUNK) -> np.ndarray:
    """Activations ``vectors @ directions.T``, shape (sentences, directions), streamed over vector chunks.

    Call it with a block of directions: the result is sentences x block.
    """
    directions = np.asarray(directions, dtype=np.float32)
    out = np.empty((len(vectors), len(directions)), dtype=np.float32)
    for start, block in chunks(vectors, rows=rows):
        out[start : start + len(block)] = block @ directions.T
    return out
