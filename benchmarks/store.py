"""The activation store with the bundled model: reuse across runs, resume after a kill, half precision.

A run's first extraction is timed, then the same entry opened again as a later run would; an
extraction in a subprocess is killed once its first chunk is on disk and resumed here; the same
vectors are stored in float16. (Streaming data larger than the heap allowed: benchmarks/topk.py.)
Run:
    python benchmarks/store.py [--n 6144]
Prints a table and writes benchmarks/results/store.json (or --out).
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import corpus, load, machine, report

import illusion
from illusion.plugins.transformer import TransformerLayer
from illusion.run.store import ActivationStore, chunk_count, entry_key
from illusion.run.topk import extremes


def layer() -> TransformerLayer:
    return TransformerLayer("all-MiniLM-L6-v2", -1, "cls", "cpu", "float32", 64, 128, download=False)


def key_of(model: TransformerLayer, texts: list[str], dtype: str) -> str:
    made_by = ("illusion", illusion.__version__)
    return entry_key(model.identity, hashlib.sha256("\n".join(texts).encode()).hexdigest(), dtype, made_by)


def extract(root: str, n: int) -> None:
    """The subprocess that gets killed."""
    model, texts = layer(), corpus(n)
    ActivationStore(root).compute(key_of(model, texts, "float32"), texts, model.dim, model.encode)


def timed(work):
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6144, help="sentences (the store writes chunks of 2048)")
    parser.add_argument("--out", help="JSON file or folder to write")
    parser.add_argument("--extract", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.extract:
        extract(args.extract, args.n)
        return

    info, texts, model = machine(), corpus(args.n), layer()
    key32, key16 = key_of(model, texts, "float32"), key_of(model, texts, "float16")
    chunks = chunk_count(len(texts))
    with tempfile.TemporaryDirectory(prefix="illusion-store-") as folder:
        root = Path(folder)
        full, first_s = timed(lambda: ActivationStore(root).compute(key32, texts, model.dim, model.encode))
        _, reuse_s = timed(lambda: np.asarray(ActivationStore(root).compute(key32, texts, model.dim, model.encode)).sum())
        half, half_s = timed(lambda: ActivationStore(root, "float16").compute(key16, texts, model.dim, model.encode))
        sizes = {dtype: ActivationStore(root).path(key).stat().st_size for dtype, key in (("float32", key32), ("float16", key16))}
        directions = np.random.default_rng(0).standard_normal((1000, model.dim)).astype(np.float32)
        same_top = float((extremes(half, directions, 10).top_index == extremes(full, directions, 10).top_index).mean())

        killed = root / "killed"
        process = subprocess.Popen([sys.executable, __file__, "--extract", str(killed), "--n", str(args.n)])
        chunk_dir = killed / key32 / "chunks"
        while process.poll() is None and not any(chunk_dir.glob("[0-9]*.npy")):
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        left = len(list(chunk_dir.glob("[0-9]*.npy")))
        encoded = []
        resumed, resume_s = timed(
            lambda: ActivationStore(killed).compute(
                key32, texts, model.dim, lambda part: encoded.append(len(part)) or model.encode(part)
            )
        )
        resume_diff = float(np.abs(resumed - full).max())

    rows = [
        {
            "figure": "first extraction, float32 store",
            "seconds": round(first_s, 2),
            "detail": f"{len(texts) / first_s:.1f} sentences/s",
        },
        {
            "figure": "reuse in a later run (open, read all)",
            "seconds": round(reuse_s, 3),
            "detail": f"{first_s / reuse_s:.0f}x faster than extracting",
        },
        {
            "figure": "first extraction, float16 store",
            "seconds": round(half_s, 2),
            "detail": f"{sizes['float16']} bytes, {sizes['float32'] / sizes['float16']:.2f}x smaller",
        },
        {
            "figure": "resume after a kill",
            "seconds": round(resume_s, 2),
            "detail": f"{left} of {chunks} chunks kept, {len(encoded)} recomputed, max diff {resume_diff:.1e}",
        },
    ]
    error = float(np.abs(np.asarray(half, dtype=np.float32) - full).max())
    note = (
        f"{len(texts)} sentences in {chunks} chunks; float16 store: {sizes['float16']} vs {sizes['float32']} bytes, "
        f"max abs error {error:.2e}, same top-10 for {same_top:.1%} of 1000 directions; load {info['load_at_start']} -> {load()}"
    )
    figures = {
        "sentences": len(texts),
        "chunks": chunks,
        "bytes": sizes,
        "float16_max_abs_error": error,
        "float16_same_top10_share": round(same_top, 4),
        "chunks_kept_after_kill": left,
        "chunks_recomputed": len(encoded),
    }
    report("store", info, rows, ["figure", "seconds", "detail"], args.out, note, **figures)


if __name__ == "__main__":
    main()
