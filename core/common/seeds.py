"""Seeded random generators: one of its own per named use, so no result depends on the order of others."""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, key: str) -> np.random.Generator:
    """A generator seeded by ``seed`` and the name ``key`` (a dataset, a statistic)."""
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])
