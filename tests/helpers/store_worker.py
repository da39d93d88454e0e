"""Subprocesses for the store tests: a slow extraction to kill, and a top-k under a heap cap.

python store_worker.py extract ROOT SIZE DELAY
python store_worker.py stream ROOT SIZE CAP_MIB
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from illusion.run.store import ActivationStore
from illusion.run.topk import extremes

DIM = 384
KEY = "entry"


def texts(size: int) -> list[str]:
    return [str(i) for i in range(size)]


def vectors(part: list[str]) -> np.ndarray:
    """Vectors that depend only on the sentences (here: their numbers), as a model's would."""
    rows = np.array([int(text) for text in part], dtype=np.float32)[:, None]
    return np.sin(rows * np.arange(1, DIM + 1, dtype=np.float32) / 997)


def directions() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((50, DIM)).astype(np.float32)


def extract(root: str, size: int, delay: float) -> None:
    def slow(part):
        time.sleep(delay)
        return vectors(part)

    ActivationStore(root).compute(KEY, texts(size), DIM, slow)


def stream(root: str, size: int, cap_mib: int) -> None:
    """Fill the store and rank its vectors with the heap capped below their size, then show the cap holds."""
    resource.setrlimit(resource.RLIMIT_DATA, (cap_mib * 2**20, cap_mib * 2**20))
    stored = ActivationStore(root).compute(KEY, texts(size), DIM, vectors)
    found = extremes(stored, directions(), 10)
    np.save(f"{root}/top_index.npy", found.top_index)
    np.save(f"{root}/bottom_index.npy", found.bottom_index)
    try:
        np.array(stored)
    except MemoryError:
        print("whole array refused")


if __name__ == "__main__":
    command, root, size, last = sys.argv[1:]
    (extract if command == "extract" else stream)(root, int(size), float(last) if command == "extract" else int(last))
