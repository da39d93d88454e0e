"""The activation store: sentence vectors on disk, keyed by content, reused across runs.

A dataset's vectors are computed in chunks; each chunk is checked (shape, dtype, finite values)
and written atomically, so a killed run resumes where it stopped and a bad chunk is never kept.
Complete entries are single ``.npy`` files opened memory-mapped, so datasets larger than memory
stream through the pipeline. What is found on disk is checked again before it is used: a corrupt
or mismatched file is discarded, with a warning, and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from illusion.common.files import atomic_writer, write_json
from illusion.errors import IllusionWarning, PluginError

CHUNK = 2048
DTYPES = {"float32": np.float32, "float16": np.float16}
ENTRY = "entry.json"
TOKENS = "driving-tokens"  # the folder of cached driving tokens (illusion.run.tokens), beside the entries
DERIVED = "derived"  # the folder of what runs derive from their inputs (illusion.run.derived)
VECTORS = "vectors.npy"


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


def chunk_rows(number: int, size: int) -> int:
    """How many of a ``size``-sentence entry's sentences chunk ``number`` holds."""
    return len(range(size)[chunk_slice(number)])


def entry_key(identity: dict[str, Any], dataset_hash: str, dtype: str, made_by: tuple[str, str]) -> str:
    """The store key of a model layer's vectors of a dataset.

    ``made_by`` is the model plugin's (distribution, version): a new release of a plugin never
    reuses the vectors of an older one, even when its author forgot to change ``identity``.
    """
    distribution, version = made_by
    text = json.dumps(
        {"model": identity, "dataset": dataset_hash, "dtype": dtype, "distribution": distribution, "version": version},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def check_block(
    values: Any,
    shape: tuple[int, ...],
    owner: str,
    what: str = "vectors",
    first_row: int = 0,
    stored: Callable[[], str] = lambda: "nothing was stored",
) -> np.ndarray:
    """The check every block passes before the store writes it: a finite float32 array of exactly ``shape``.

    The error names ``owner`` (the plugin that made the block), the expected and actual shape, the first bad
    row counted from the dataset's start (the block starts at ``first_row``), and ``stored()``: what was kept
    (asked only when the block is rejected).
    """
    if not isinstance(values, np.ndarray) or values.dtype != np.float32:
        got = f"{type(values).__name__}" + (f" of {values.dtype}" if isinstance(values, np.ndarray) else "")
        raise PluginError(f"{owner}: {what} must be a float32 array of shape {shape}, got {got}; {stored()}")
    if values.shape != shape:
        raise PluginError(f"{owner}: {what} of {shape[0]} sentences must have shape {shape}, got {values.shape}; {stored()}")
    bad = ~np.isfinite(values)
    if bad.any():
        row = first_row + int(np.argwhere(bad)[0][0])
        raise PluginError(f"{owner}: {what} hold NaN or infinite values (first in row {row}); {stored()}")
    return values


@dataclass(frozen=True)
class Entry:
    """One stored (model layer, dataset) entry, or one file of cached driving tokens or derived values, as
    ``illusion cache`` lists it."""

    key: str
    path: Path
    model: str
    dataset: str
    bytes: int
    modified: float  # seconds since the epoch
    complete: bool

    @property
    def age(self) -> float:
        return max(0.0, time.time() - self.modified)


class ActivationStore:
    """Vectors of (model layer, dataset) pairs under ``root``."""

    def __init__(self, root: str | os.PathLike, dtype: str = "float32"):
        self.root = Path(root)
        self.dtype = dtype

    def path(self, key: str) -> Path:
        return self.root / key / VECTORS

    def has(self, key: str) -> bool:
        return self.path(key).exists()

    def load(self, key: str) -> np.ndarray:
        """The stored vectors, memory-mapped read-only."""
        return np.load(self.path(key), mmap_mode="r")

    def find(self, key: str, size: int, dim: int) -> np.ndarray | None:
        """The complete entry's vectors if they are on disk and fit ``(size, dim)``; a bad entry is discarded."""
        if not self.has(key):
            return None
        try:
            vectors = self.load(key)
        except (OSError, ValueError) as exc:
            found = f"unreadable ({exc})"
        else:
            if vectors.shape == (size, dim) and vectors.dtype == DTYPES[self.dtype]:
                return vectors
            found = f"{vectors.dtype} of shape {vectors.shape}"
        self._discard(self.root / key, f"{found}, expected {self.dtype} of shape ({size}, {dim})")
        return None

    def chunk_file(self, key: str, number: int) -> Path:
        return self.root / key / "chunks" / f"{number:06d}.npy"

    def missing(self, key: str, size: int, dim: int) -> list[int]:
        """Numbers of the chunks (``CHUNK`` sentences each) of a ``size``-sentence entry not yet validly on disk."""
        if self.find(key, size, dim) is not None:
            return []
        return [number for number in range(chunk_count(size)) if not self._chunk_ok(key, number, (chunk_rows(number, size), dim))]

    def _chunk_ok(self, key: str, number: int, shape: tuple[int, int]) -> bool:
        file = self.chunk_file(key, number)
        if not file.exists():
            return False
        try:
            check_block(np.load(file).astype(np.float32), shape, f"stored chunk {file}")
            return True
        except (OSError, ValueError, PluginError) as exc:
            self._discard(file, str(exc).split("; nothing")[0])
            return False

    def _discard(self, path: Path, why: str) -> None:
        warnings.warn(f"activation store: discarded {path} ({why}); it will be recomputed", IllusionWarning, stacklevel=3)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def write_chunk(self, key: str, number: int, vectors: Any, size: int, dim: int, owner: str) -> None:
        """Check, then store the vectors of sentences ``number * CHUNK`` onwards; the file appears whole or not at all."""
        rows = chunk_rows(number, size)
        check_block(vectors, (rows, dim), owner, first_row=number * CHUNK, stored=lambda: self._kept(key, number, rows))
        with atomic_writer(self.chunk_file(key, number), "wb") as handle:
            np.save(handle, np.asarray(vectors, dtype=DTYPES[self.dtype]))

    def _kept(self, key: str, number: int, rows: int) -> str:
        """What the store holds of an entry whose chunk ``number`` (of ``rows`` sentences) is rejected."""
        first = number * CHUNK
        kept = sorted(int(file.stem) for file in (self.root / key / "chunks").glob("*.npy"))
        held = ", ".join(f"{n * CHUNK}-{(n + 1) * CHUNK - 1}" for n in kept)
        if not kept:
            return "nothing was stored"
        return f"rows {first}-{first + rows - 1} were not stored; rows {held} are stored (a rerun of the same code resumes from there)"

    def compute(
        self,
        key: str,
        texts: Sequence[str],
        dim: int,
        encode: Callable[[Sequence[str]], np.ndarray],
        progress: Callable[[int], None] | None = None,
        describe: dict[str, Any] | None = None,
        owner: str = "model layer",
    ) -> np.ndarray:
        """Return the vectors of ``texts``, computing only the chunks not already (validly) on disk."""
        todo = set(self.missing(key, len(texts), dim))
        first = min(todo, default=None)
        for number in range(chunk_count(len(texts))):
            part = texts[chunk_slice(number)]
            if number in todo:
                self.write_chunk(key, number, encode(part), len(texts), dim, owner)
                if number == first:  # from its first chunk on, a partial entry says what it is (`illusion cache`)
                    self._describe(key, len(texts), dim, describe)
            elif progress:
                progress(len(part))
        return self.finish(key, len(texts), dim, describe)

    def finish(self, key: str, size: int, dim: int, describe: dict[str, Any] | None = None) -> np.ndarray:
        """Join the chunks of a complete entry into one memory-mapped file (a no-op if already done)."""
        if not self.has(key):
            self._assemble(key, size, dim)
            self._describe(key, size, dim, describe)
            shutil.rmtree(self.root / key / "chunks", ignore_errors=True)
        return self.load(key)

    def _describe(self, key: str, size: int, dim: int, describe: dict[str, Any] | None) -> None:
        write_json(self.root / key / ENTRY, {"size": size, "dim": dim, "dtype": self.dtype, **(describe or {})})

    def _assemble(self, key: str, size: int, dim: int) -> None:
        target = self.path(key)
        tmp = target.with_name(f".{VECTORS}.tmp")
        target.parent.mkdir(parents=True, exist_ok=True)
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=DTYPES[self.dtype], shape=(size, dim))
        for number in range(chunk_count(size)):
            out[chunk_slice(number)] = np.load(self.chunk_file(key, number))
        out.flush()
        del out
        os.replace(tmp, target)

    # -- housekeeping (``illusion cache``) -----------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every entry under ``root``, complete or not, oldest first."""
        found = []
        for folder in sorted(self.root.iterdir()) if self.root.is_dir() else ():
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            if folder.name == TOKENS:
                found += [_file_entry(file, f"{TOKENS}/{file.stem}", "driving tokens") for file in sorted(folder.glob("*.json"))]
                continue
            if folder.name == DERIVED:  # a run's derived values (illusion.run.derived), one file each
                found += [
                    _file_entry(file, file.relative_to(self.root).with_suffix("").as_posix(), file.parent.name)
                    for file in sorted(folder.glob("*/*"))
                    if file.suffix in (".json", ".npz")
                ]
                continue
            files = [file for file in folder.rglob("*") if file.is_file()]
            about = _read_entry(folder / ENTRY)
            model = about.get("model")
            found.append(
                Entry(
                    folder.name,
                    folder,
                    str(model.get("model", model) if isinstance(model, dict) else model or "?"),
                    str(about.get("dataset", "?")),
                    sum(file.stat().st_size for file in files),
                    max((file.stat().st_mtime for file in files), default=folder.stat().st_mtime),
                    (folder / VECTORS).exists(),
                )
            )
        return sorted(found, key=lambda entry: entry.modified)

    def remove(self, entry: Entry) -> None:
        if entry.path.is_dir():
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            entry.path.unlink(missing_ok=True)

    def prune(self, older_than: float | None = None, max_bytes: int | None = None) -> list[Entry]:
        """Remove entries not used for ``older_than`` seconds, then the oldest until at most ``max_bytes`` remain."""
        entries, removed = self.entries(), []
        for entry in entries:
            over = max_bytes is not None and sum(e.bytes for e in entries if e not in removed) > max_bytes
            if (older_than is not None and entry.age > older_than) or over:
                self.remove(entry)
                removed.append(entry)
        return removed


def _file_entry(file: Path, key: str, what: str) -> Entry:
    """A cache entry that is one file: cached driving tokens, or a derived value (``what``: its kind)."""
    stat = file.stat()
    return Entry(key, file, what, "-", stat.st_size, stat.st_mtime, True)


def _read_entry(path: Path) -> dict[str, Any]:
    try:
        about = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return about if isinstance(about, dict) else {}


class MemoryStore:
    """A store that keeps nothing: vectors are computed, checked as on disk, and held in memory (``--no-cache``)."""

    def __init__(self, dtype: str = "float32"):
        self.dtype = dtype

    def compute(
        self,
        key: str,
        texts: Sequence[str],
        dim: int,
        encode: Callable[[Sequence[str]], np.ndarray],
        progress: Callable[[int], None] | None = None,
        describe: dict[str, Any] | None = None,
        owner: str = "model layer",
    ) -> np.ndarray:
        out = np.zeros((len(texts), dim), dtype=DTYPES[self.dtype])
        for number in range(chunk_count(len(texts))):
            out[chunk_slice(number)] = check_block(
                encode(texts[chunk_slice(number)]), (chunk_rows(number, len(texts)), dim), owner, first_row=number * CHUNK
            )
        return out
