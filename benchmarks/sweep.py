"""``illusion sweep`` on the embedded default: one forward pass for every view against one pass per view, and the whole sweep cold.

First, ``--n`` sentences are encoded at the 12 views of layers 1-6 x cls, mean: once through
``encode_layers`` (one pass) and once per view (12 passes, as a model layer without
``illusion.MultiLayer`` is swept), rounds in turn. Then the default sweep (layers 1-6, cls and mean,
sizes 200, 700, all) runs in process on an empty activation store, timed per step, with its CPU time.
Run:
    python benchmarks/sweep.py [--n 300] [--rounds 2]
Prints a table and writes benchmarks/results/sweep.json (or --out).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

from common import corpus, load, machine, report

from illusion.plugins.transformer import TransformerLayer
from illusion.run.config import load_config
from illusion.sweep.grid import Grid
from illusion.sweep.runner import sweep

VIEWS = [(layer, pooling) for layer in range(1, 7) for pooling in ("cls", "mean")]


def layer(number: int, pooling: str) -> TransformerLayer:
    return TransformerLayer("all-MiniLM-L6-v2", number, pooling, "cpu", "float32", 64, 128, download=False)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="sentences encoded at every view")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", help="JSON file or folder to write")
    args = parser.parse_args()
    info, texts = machine(), corpus(args.n)
    deepest, single = layer(6, "cls"), {view: layer(*view) for view in VIEWS}
    one_pass, per_view, loads = [], [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        deepest.encode_layers(texts, VIEWS)
        one_pass.append(time.perf_counter() - start)
        start = time.perf_counter()
        for model in single.values():
            model.encode(texts)
        per_view.append(time.perf_counter() - start)
        loads.append(load())

    with tempfile.TemporaryDirectory(prefix="illusion-sweep-") as folder:
        os.environ["ILLUSION_CACHE_DIR"] = os.path.join(folder, "cache")
        grid = Grid(tuple(range(1, 7)), ("cls", "mean"), ("200", "700", "all"))
        load_before, cpu_before, start = load(), cpu_seconds(), time.perf_counter()
        summary = sweep(load_config(None), grid, os.path.join(folder, "sweep"))
        wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu_before

    rows = [
        {
            "figure": f"{args.n} sentences x 12 views, one pass",
            "seconds": round(min(one_pass), 2),
            "detail": f"{min(per_view) / min(one_pass):.1f}x faster than one pass per view",
        },
        {"figure": f"{args.n} sentences x 12 views, a pass per view", "seconds": round(min(per_view), 2), "detail": ""},
        {
            "figure": "default sweep, cold (36 cells)",
            "seconds": round(wall, 1),
            "detail": f"CPU {cpu:.0f} s; vectors {summary['timings']['vectors']:.0f} s, "
            f"{summary['computed']} cells {summary['timings']['cells']:.0f} s; load {load_before} -> {load()}",
        },
    ]
    figures = {
        "sentences": args.n,
        "views": len(VIEWS),
        "one_pass_seconds": one_pass,
        "per_view_seconds": per_view,
        "load_per_round": loads,
        "sweep": {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "timings": summary["timings"]},
    }
    report("sweep", info, rows, ["figure", "seconds", "detail"], args.out, f"load {info['load_at_start']} -> {load()}", **figures)


if __name__ == "__main__":
    main()
