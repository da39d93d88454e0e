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

from illusion.io import atomic_writer, write_json

CHUNK = 2048
DTYPES = {"float32": np.float32, "float16": np.float16}


def default_cache_dir() -> Path:
    """``$ILLUSION_CACHE_DIR``, else ``$XDG_CACHE_HOME/illusion``, else ``~/.cache/illusion``."""
    if os.environ.get("ILLUSION_CACHE_DIR"):
        return Path(os.environ["ILLUSION_CACHE_DIR"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser() / "illusion"


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
        if self.has(key):
            if progress:
                progress(len(texts))
            return self.load(key)
        chunks = self.root / key / "chunks"
        chunks.mkdir(parents=True, exist_ok=True)
        for start in range(0, len(texts), CHUNK):
            chunk_file = chunks / f"{start // CHUNK:06d}.npy"
            stop = min(start + CHUNK, len(texts))
            if not chunk_file.exists():
                vectors = np.asarray(encode(texts[start:stop]), dtype=DTYPES[self.dtype])
                with atomic_writer(chunk_file, "wb") as handle:
                    np.save(handle, vectors)
            elif progress:
                progress(stop - start)
        self._assemble(key, len(texts), dim, chunks)
        write_json(self.root / key / "entry.json", {"size": len(texts), "dim": dim, "dtype": self.dtype, **(describe or {})})
        shutil.rmtree(chunks, ignore_errors=True)
        return self.load(key)

    def _assemble(self, key: str, size: int, dim: int, chunks: Path) -> None:
        target = self.path(key)
        tmp = target.with_name(".vectors.npy.tmp")
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=DTYPES[self.dtype], shape=(size, dim))
        for start in range(0, size, CHUNK):
            out[start : start + CHUNK] = np.load(chunks / f"{start // CHUNK:06d}.npy")
        out.flush()
        del out
        os.replace(tmp, target)
