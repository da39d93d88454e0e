"""``illusion run --ray`` on a local Ray cluster of 1 and 2 worker nodes: throughput, bytes to the head, merge cost.

Each worker node has one CPU (Ray's head node here runs no task: it stands for the head machine);
the single-machine run in the same process is the baseline. The corpus is a seeded sample of the
embedded Wikipedia leads written as ``--shards`` text files; the bundled MiniLM encodes; the
directions are ``--directions`` random ones. Bytes: every shard's summaries as pickled (what Ray
ships back), against the vectors a store-then-rank design ships (sentences x dim x 4). Merge cost:
the head's merge of S shards' top/bottom-k and profiles for 10,000 directions, timed alone. Run:
    python benchmarks/ray_run.py [--sentences 2000] [--shards 8] [--directions 1000]
Prints a table and writes benchmarks/results/ray_run.json (or --out).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from common import corpus, load, machine, save, table

from illusion.run import profiles
from illusion.run.config import load_config
from illusion.run.pipeline import run
from illusion.run.summaries import merge_extremes
from illusion.run.topk import Extremes

K = 10


def write_config(folder: Path, texts: list[str], shards: int, directions: int) -> Path:
    for number, part in enumerate(np.array_split(np.array(texts, dtype=object), shards)):
        (folder / "corpus").mkdir(exist_ok=True)
        (folder / "corpus" / f"{number:03d}.txt").write_text("\n".join(part) + "\n", encoding="utf-8")
    path = folder / "run.toml"
    path.write_text(
        f'seed = 0\nk = {K}\ncontrols = 1\ncache_dir = "{folder / "cache"}"\n'
        '[model]\nplugin = "transformer"\nmodel = "all-MiniLM-L6-v2"\npooling = "cls"\ndevice = "cpu"\n'
        f'[[datasets]]\nname = "wiki"\nplugin = "text"\npath = "{folder / "corpus" / "*.txt"}"\nmin_words = 1\n'
        f'[[samplers]]\nplugin = "random"\ncount = {directions}\n',
        encoding="utf-8",
    )
    return path


def on_cluster(config_path: Path, workers: int, out: Path) -> dict:
    import ray
    from ray.cluster_utils import Cluster

    from illusion.run.ray_run import run_on_ray

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "object_store_memory": 200 * 2**20})
    for _ in range(workers):
        nodes.add_node(num_cpus=1, object_store_memory=200 * 2**20)
    ray.init(address=nodes.address, log_to_driver=False)
    try:
        start = time.perf_counter()
        result = run_on_ray(load_config(config_path, [f'cache_dir="{out}-cache"']), out)
        seconds = time.perf_counter() - start
    finally:
        ray.shutdown()
        nodes.shutdown()
    return {
        "seconds": seconds,
        "timings": result.timings,
        "bytes": result.manifest.ray.bytes,
        "dim": result.manifest.dim,
    }


def merge_cost(shards: int, directions: int = 10_000) -> dict[str, float]:
    """Seconds the head spends merging ``shards`` shards' top/bottom-k and profiles of ``directions`` directions."""
    rng = np.random.default_rng(0)
    parts = []
    for number in range(shards):
        score = np.sort(rng.normal(size=(directions, K)).astype(np.float32), axis=1)
        index = rng.integers(0, 10_000, size=(directions, K))
        parts.append((number * 10_000, Extremes(index, score[:, ::-1].copy(), index, score)))
    start = time.perf_counter()
    merge_extremes(parts, K)
    extremes_seconds = time.perf_counter() - start
    shape = (directions, profiles.INTERVALS, K)
    partials = [
        profiles.Partial(
            rng.integers(0, 100, size=(directions, profiles.BINS)),
            rng.random(shape).astype(np.float32),
            rng.integers(0, 10_000, size=shape),
            rng.normal(size=shape).astype(np.float32),
        )
        for _ in range(shards)
    ]
    start = time.perf_counter()
    profiles.merge(partials)
    return {
        "shards": shards,
        "directions": directions,
        "top_k_s": round(extremes_seconds, 3),
        "profiles_s": round(time.perf_counter() - start, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--directions", type=int, default=1000)
    parser.add_argument("--out", help="JSON file or folder to write")
    args = parser.parse_args()
    info = machine()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config_path = write_config(folder, corpus(args.sentences), args.shards, args.directions)
        start = time.perf_counter()
        single = run(load_config(config_path), folder / "single")
        seconds = time.perf_counter() - start
        dim = single.manifest.dim
        rows.append({"setup": "one process (2 threads)", "seconds": round(seconds, 1), "vectors_s": single.timings["vectors"]})
        for workers in (1, 2):
            found = on_cluster(config_path, workers, folder / f"ray-{workers}")
            moved = sum(found["bytes"].values())
            rows.append(
                {
                    "setup": f"Ray, {workers} worker node(s) x 1 CPU",
                    "seconds": round(found["seconds"], 1),
                    "vectors_s": found["timings"]["vectors"],
                    "top_k_s": found["timings"]["top-k"],
                    "details_s": found["timings"]["details"],
                    "bytes": found["bytes"],
                    "summary_bytes_per_sentence": round(moved / args.sentences, 1),
                    "summary_bytes_per_shard_per_direction": round(
                        (found["bytes"]["top-k"] + found["bytes"]["details"]) / args.shards / args.directions, 1
                    ),
                    "load": load(),
                }
            )
        for row in rows:
            row["sentences_per_s"] = round(args.sentences / row["seconds"], 1)
    vector_bytes = args.sentences * dim * 4
    merges = [merge_cost(8), merge_cost(64)]
    print(
        table(
            rows,
            ["setup", "seconds", "sentences_per_s", "vectors_s", "top_k_s", "details_s", "summary_bytes_per_sentence", "load"],
        )
    )
    print(
        f"vectors shipped by a store-then-rank design: {vector_bytes / args.sentences:.0f} bytes per sentence ({dim} dims, float32)"
    )
    print(table(merges, ["shards", "directions", "top_k_s", "profiles_s"]))
    results = {"machine": info, "sentences": args.sentences, "shards": args.shards, "directions": args.directions, "dim": dim}
    results.update({"runs": rows, "vector_bytes_per_sentence": vector_bytes / args.sentences, "merge": merges})
    print(f"wrote {save('ray_run', results, args.out)}")


if __name__ == "__main__":
    main()
