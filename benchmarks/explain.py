"""``illusion explain`` at scale: synthetic datasets of word sentences with random vectors, random directions,
the ``keywords`` explainer, every direction explained from every dataset and scored on every dataset.

    python benchmarks/explain.py [--directions 8 16 32] [--datasets 4] [--sentences 20000] [--bootstrap 200]

Prints seconds per size and per direction, and a least-squares line through the sizes: cost is linear in
directions when the per-direction time stays flat; the line extrapolates to 10,000 directions. Nothing is
encoded (the vectors are given), so this is the cost of explaining and scoring alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from common import RESULTS, load, machine

from illusion.common.files import write_json
from illusion.explain.direction import Settings
from illusion.explain.runner import explain_run, load_explainers
from illusion.host import Host
from illusion.records import Record
from illusion.run.config import parse
from illusion.run.data import RunData

VOCABULARY = 2_000
DIM = 384


def synthetic_run(folder: Path, datasets: int, sentences: int, directions: int, seed: int = 0) -> RunData:
    """A run in memory: ``datasets`` of ``sentences`` Zipf-distributed word sentences, random vectors and directions."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{n}" for n in range(VOCABULARY)])
    weights = 1 / np.arange(1, VOCABULARY + 1)
    names = [f"set{n}" for n in range(datasets)]
    records = {
        name: [
            Record(f"{name}-{i}", " ".join(rng.choice(words, size=rng.integers(6, 16), p=weights / weights.sum())) + ".")
            for i in range(sentences)
        ]
        for name in names
    }
    vectors = {name: rng.standard_normal((sentences, DIM)).astype(np.float32) for name in names}
    config = parse(
        {
            "seed": seed,
            "k": 10,
            "model": {"plugin": "transformer"},
            "datasets": [{"name": name, "plugin": "text", "path": "-"} for name in names],
            "samplers": [{"plugin": "random", "count": directions}],
        },
        "benchmark",
    )
    found = rng.standard_normal((directions, DIM)).astype(np.float32)
    found /= np.linalg.norm(found, axis=1, keepdims=True)
    ids = [f"random:{n}" for n in range(directions)]
    manifest = {"run_id": "benchmark", "config": {"samplers": [{"plugin": "random"}]}}
    return RunData(folder, manifest, config, records, vectors, ids, ["random"] * directions, found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directions", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--datasets", type=int, default=4)
    parser.add_argument("--sentences", type=int, default=20_000)
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args()
    host = Host()
    explainers = load_explainers(host, ["keywords"])
    rounds = []
    with tempfile.TemporaryDirectory() as folder:
        explain_run(synthetic_run(Path(folder), 2, 200, 2), host, explainers)  # imports (scipy) and caches: untimed
        for count in args.directions:
            run = synthetic_run(Path(folder), args.datasets, args.sentences, count)
            start = time.perf_counter()
            rows = explain_run(run, host, explainers, settings=Settings(replicates=args.bootstrap))
            seconds = time.perf_counter() - start
            rounds.append({"directions": count, "seconds": seconds, "explanations": len(rows), "load": load()})
            print(f"{count:>6} directions: {seconds:8.1f} s, {1000 * seconds / count:7.1f} ms per direction, load {load()}")
    sizes = np.array([r["directions"] for r in rounds], dtype=float)
    times = np.array([r["seconds"] for r in rounds])
    slope, intercept = np.polyfit(sizes, times, 1)
    print(f"line: {intercept:.1f} s + {1000 * slope:.1f} ms per direction; 10,000 directions ≈ {intercept + 1e4 * slope:.0f} s")
    write_json(
        RESULTS / "explain.json",
        {
            "machine": machine(),
            "datasets": args.datasets,
            "sentences": args.sentences,
            "bootstrap": args.bootstrap,
            "rounds": rounds,
            "line": {"intercept_s": intercept, "per_direction_s": slope, "at_10000_s": intercept + 1e4 * slope},
            "load_at_end": load(),
        },
    )


if __name__ == "__main__":
    main()
