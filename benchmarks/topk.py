"""Top-k over many directions: 1,000,000 synthetic vectors x 10,000 directions, top-10 and bottom-10.

Each dimension runs in a fresh subprocess whose heap is capped (RLIMIT_DATA) below the size of
its vectors, which it reads memory-mapped from disk, as the activation store serves them. The
naive peer (all scores, then a full sort per direction) runs on a subset, since 1,000,000 x
10,000 scores would take 40 GB; its time is extrapolated (matrix product linearly, the sort as
n log n). Run:
    python benchmarks/topk.py [--n 1000000] [--directions 10000] [--dims 384 768] [--subset 20000]
Prints a table and writes benchmarks/results/topk.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import PeakMemory, load, machine, peak_rss_mib, report

from illusion.run.topk import extremes

K = 10


def synthetic(path: Path, n: int, dim: int, seed: int) -> np.ndarray:
    """``n`` standard-normal float32 vectors written to an .npy file in slices, returned memory-mapped."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, dim))
    rng = np.random.default_rng(seed)
    for start in range(0, n, 65536):
        out[start : start + 65536] = rng.standard_normal((min(65536, n - start), dim), dtype=np.float32)
    out.flush()
    del out
    return np.load(path, mmap_mode="r")


def naive(vectors: np.ndarray, directions: np.ndarray) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Every score, then a full sort per direction: (seconds per step, top indices, bottom indices)."""
    start = time.perf_counter()
    scores = directions @ np.asarray(vectors, dtype=np.float32).T  # (directions, n)
    product = time.perf_counter()
    order = np.argsort(scores, axis=1)
    done = time.perf_counter()
    return {"product": product - start, "sort": done - product}, order[:, ::-1][:, :K], order[:, :K]


def directions_for(m: int, dim: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((m, dim), dtype=np.float32)


def capped(path: str, m: int, cap_mib: int, screen: bool) -> dict:
    """The chunked top-k over all the vectors at ``path``, measured in this process under a heap cap."""
    resource.setrlimit(resource.RLIMIT_DATA, (cap_mib * 2**20, cap_mib * 2**20))
    vectors = np.load(path, mmap_mode="r")
    directions = directions_for(m, vectors.shape[1])
    with PeakMemory() as heap:
        start, cpu = time.perf_counter(), time.process_time()
        found = extremes(vectors, directions, K, screen=screen)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    np.save(Path(path).with_name(f"found-{screen}.npy"), np.concatenate([found.top_index, found.bottom_index], 1))
    return {
        "seconds": round(seconds, 1),
        "cpu_s": round(cpu, 1),  # all threads: read beside the load, it tells work from waiting on a busy machine
        "heap_before_mib": heap.start_mib,
        "heap_peak_mib": heap.mib,
        "rss_peak_mib": peak_rss_mib(),
        "load": load(),
    }


def in_subprocess(path: str, m: int, cap_mib: int, screen: bool) -> dict:
    command = [sys.executable, __file__, "--capped", path, "--directions", str(m), "--cap-mib", str(cap_mib)]
    done = subprocess.run([*command, *(["--screen"] if screen else [])], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{path} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def measure(n: int, dim: int, m: int, subset: int, cap_mib: int, folder: str, screens: list[bool]) -> dict:
    """One dimension: each capped full run in a subprocess (screened, float32 only), then chunked and naive on the subset."""
    vectors = synthetic(Path(folder) / f"vectors-{dim}.npy", n, dim, seed=dim)
    runs = {screen: in_subprocess(str(vectors.filename), m, cap_mib, screen) for screen in screens}
    found = {screen: np.load(Path(folder) / f"found-{screen}.npy") for screen in screens}
    full = runs[screens[0]]
    if len(screens) == 2:
        full = {
            **full,
            "float32_only_s": runs[False]["seconds"],
            "float32_only_cpu_s": runs[False]["cpu_s"],
            "float32_only_heap_peak_mib": runs[False]["heap_peak_mib"],
            "float32_only_load": runs[False]["load"],
            "screened_speedup": round(runs[False]["seconds"] / runs[True]["seconds"], 2),
            "screened_identical": bool(np.array_equal(found[True], found[False])),
        }
    directions = directions_for(m, dim)
    small = np.array(vectors[:subset])
    start = time.perf_counter()
    found = extremes(small, directions, K, screen=screens[0])
    chunked_small = time.perf_counter() - start
    steps, top, bottom = naive(small, directions)
    scale = n / subset
    naive_full = steps["product"] * scale + steps["sort"] * scale * math.log(n) / math.log(subset)
    return {
        "dim": dim,
        "vectors": n,
        "directions": m,
        "k": K,
        **full,
        "sentences_per_s": round(n / full["seconds"]),
        "heap_cap_mib": cap_mib,
        "vectors_mib": round(vectors.nbytes / 2**20),
        "subset": subset,
        "chunked_subset_s": round(chunked_small, 2),
        "naive_subset_s": {k: round(v, 2) for k, v in steps.items()},
        "speedup_on_subset": round(sum(steps.values()) / chunked_small, 1),
        # lists that differ from the brute force's: near-ties closer than float32's rounding (tests/perf checks the rule)
        "lists_differing_on_subset": int((found.top_index != top).any(1).sum() + (found.bottom_index != bottom).any(1).sum()),
        "naive_full_s_extrapolated": round(naive_full, 1),
        "naive_full_scores_gib": round(n * m * 4 / 2**30, 1),
        "speedup_vs_naive": round(naive_full / full["seconds"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--directions", type=int, default=10_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[384, 768])
    parser.add_argument("--subset", type=int, default=20_000, help="vectors the naive peer sorts")
    parser.add_argument("--cap-mib", type=int, default=1024, help="heap cap (RLIMIT_DATA) of each measured process")
    parser.add_argument("--out", help="JSON file or folder to write")
    parser.add_argument("--float32-only", action="store_true", help="skip the screened run (the bfloat16 screen)")
    parser.add_argument("--no-float32-only", action="store_true", help="skip the float32-only run beside the screened one")
    parser.add_argument("--capped", help=argparse.SUPPRESS)
    parser.add_argument("--screen", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.capped:
        print(json.dumps(capped(args.capped, args.directions, args.cap_mib, args.screen)))
        return

    info = machine()
    rows = []
    with tempfile.TemporaryDirectory(prefix="illusion-topk-") as folder:
        for dim in args.dims:
            screens = [False] if args.float32_only else [True] if args.no_float32_only else [True, False]
            rows.append(measure(args.n, dim, args.directions, args.subset, args.cap_mib, folder, screens))
            (Path(folder) / f"vectors-{dim}.npy").unlink()
    columns = [
        "dim",
        "vectors",
        "directions",
        "seconds",
        "cpu_s",
        "float32_only_s",
        "screened_speedup",
        "screened_identical",
        "heap_before_mib",
        "heap_peak_mib",
        "heap_cap_mib",
        "vectors_mib",
        "naive_full_s_extrapolated",
        "speedup_vs_naive",
        "speedup_on_subset",
        "lists_differing_on_subset",
        "load",
    ]
    note = (
        f"top-{K} and bottom-{K}; heap = anonymous resident memory, capped by RLIMIT_DATA below the vectors' size; "
        f"naive = all scores then a full sort ({rows[0]['naive_full_scores_gib']} GiB of scores at full size, so run on "
        f"{args.subset} vectors and extrapolated); load {info['load_at_start']} -> {load()}"
    )
    report("topk", info, rows, columns, args.out, note)


if __name__ == "__main__":
    main()
