"""The activation store: sentence vectors on disk, keyed by content, reused across runs.

A dataset's vectors are computed in chunks; each chunk is written atomically, so a killed run
resumes where it stopped. Complete entries are single ``.npy`` files opened memory-mapped,
so datasets larger than memory stream through the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from illusion.common.files import atomic_writer, write_json

CHUNK = 2048
DTYPES = {"float32": np.float32, "float16": np.float16}


def default_cache_dir() -> Path:
    """``$ILLUSION_CACHE_DIR``, else ``$XDG_CACHE_HOME/illusion``, else ``~/.cache/illusion``."""
    if os.environ.get("ILLUSION_CACHE_DIR"):
        return Path(os.environ["ILLUSION_CACHE_DIR"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser() / "illusion"


def chunk_count(size: int) -> int:
    return -(-size // CHUNK)


def chunk_slice(number: int) -> slice:
    """The sentences of chunk ``number``."""
    return slice(number * CHUNK, (number + 1) * CHUNK)


def entry_key(identity: dict[str, Any], dataset_hash: str, dtype: str) -> str:
    text = json.dumps({"model": identity, "dataset": dataset_hash, "dtype": dtype}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class ActivationStore:
    """Vectors of (model layer, dataset) pairs under ``root``."""

    def __init__(self, root: str | os.PathLike, dtype: str = "float32"):
        self.root = Path(root)
        self.dtype = dtype

    def path(self, key: str) -> Path:
        return self.root / key / "vectors.npy"

    def has(self, key: str) -> bool:
        return self.path(key).exists()

    def load(self, key: str) -> np.ndarray:
        """The stored vectors, memory-mapped read-only."""
        return np.load(self.path(key), mmap_mode="r")

    def chunk_file(self, key: str, number: int) -> Path:
        return self.root / key / "chunks" / f"{number:06d}.npy"

    def missing(self, key: str, size: int) -> list[int]:
        """Numbers of the chunks (``CHUNK`` sentences each) of a ``size``-sentence entry not yet on disk."""
        if self.has(key):
            return []
        return [number for number in range(chunk_count(size)) if not self.chunk_file(key, number).exists()]

    def write_chunk(self, key: str, number: int, vectors: np.ndarray) -> None:
        """Store the vectors of sentences ``number * CHUNK`` onwards; the file appears whole or not at all."""
        with atomic_writer(self.chunk_file(key, number), "wb") as handle:
            np.save(handle, np.asarray(vectors, dtype=DTYPES[self.dtype]))

    def compute(
        self,
        key: str,
        texts: Sequence[str],
        dim: int,
        encode: Callable[[Sequence[str]], np.ndarray],
        progress: Callable[[int], None] | None = None,
        describe: dict[str, Any] | None = None,
    ) -> np.ndarray:
        """Return the vectors of ``texts``, computing only the chunks not already on disk."""
        todo = set(self.missing(key, len(texts)))
        for number in range(chunk_count(len(texts))):
            part = texts[chunk_slice(number)]
            if number in todo:
                self.write_chunk(key, number, encode(part))
            elif progress:
                progress(len(part))
        return self.finish(key, len(texts), dim, describe)

    def finish(self, key: str, size: int, dim: int, describe: dict[str, Any] | None = None) -> np.ndarray:
        """Join the chunks of a complete entry into one memory-mapped file (a no-op if already done)."""
        if not self.has(key):
            self._assemble(key, size, dim)
            write_json(self.root / key / "entry.json", {"size": size, "dim": dim, "dtype": self.dtype, **(describe or {})})
            shutil.rmtree(self.root / key / "chunks", ignore_errors=True)
        return self.load(key)

    def _assemble(self, key: str, size: int, dim: int) -> None:
        target = self.path(key)
        tmp = target.with_name(".vectors.npy.tmp")
        target.parent.mkdir(parents=True, exist_ok=True)
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=DTYPES[self.dtype], shape=(size, dim))
        for number in range(chunk_count(size)):
            out[chunk_slice(number)] = np.load(self.chunk_file(key, number))
        out.flush()
        del out
        os.replace(tmp, target)
