"""`illusion explore` at scale: the static folder of 10,000 directions x 10 datasets, time and peak memory,
and how long the served explorer takes to start, first and second time.

    python benchmarks/explore_scale.py [--directions 10000] [--datasets 10] [--sentences 300] [--k 10]

The benchmark writes a synthetic run folder of that size (every file the explorer reads: manifest,
top-k with driving tokens, statistics, diagnostics, activation profiles; no model is run), then runs
the commands as a user would, each in a new process: ``illusion explore RUN --static OUT`` (wall
time, peak resident memory of the process) and ``illusion explore RUN`` twice on one cache (seconds
until it prints its address).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

import numpy as np
from common import load, machine, report

from illusion.run.folder import RunFolder

WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zu", "pi") for b in ("n", "r", "lt", "ssa", "mo")]


def write_run(folder: Path, directions: int, datasets: int, sentences: int, k: int, seed: int = 0) -> Path:
    """A synthetic, diagnosed run folder with activation profiles: what ``illusion run`` and ``diagnose`` write."""
    rng = np.random.default_rng(seed)
    run = RunFolder(folder)
    folder.mkdir(parents=True)
    names = [f"corpus-{d}" for d in range(datasets)]
    ids = [f"random:{i}" for i in range(directions)]
    vocabulary = [f"{w}{i}" for i, w in enumerate(WORDS * 40)]
    texts = {
        name: [" ".join(rng.choice(vocabulary, rng.integers(10, 20))) + f" ({name} {i})." for i in range(sentences)]
        for name in names
    }
    manifest = {
        "format": 1,
        "run_id": f"{rng.integers(1 << 62):016x}",
        "created": "synthetic",
        "model": {"model": "synthetic"},
        "k": k,
        "dim": 64,
        "datasets": [{"name": name, "size": sentences} for name in names],
        "directions": [{"id": identifier, "sampler": "random", "condition": "random"} for identifier in ids],
        "config": {"samplers": [{"plugin": "random", "count": directions}]},
    }
    run.write_json("manifest.json", manifest)
    vectors = rng.standard_normal((directions, 64)).astype(np.float32)
    run.write_npy("directions.npy", vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    with (folder / "topk.jsonl").open("w", encoding="utf-8") as handle:
        for identifier in ids:
            for name in names:
                chosen = rng.choice(sentences, 2 * k, replace=False)
                scores = np.sort(rng.normal(size=2 * k))[::-1]
                row = {"direction": identifier, "sampler": "random", "condition": "random", "dataset": name}
                for side, part in (("top", slice(0, k)), ("bottom", slice(k, 2 * k))):
                    row[side] = [_entry(name, int(i), texts[name][i], float(s)) for i, s in zip(chosen[part], scores[part])]
                handle.write(json.dumps(row) + "\n")
    pairs = [f"{a}|{b}" for a, b in combinations(names, 2)]
    stats = {
        identifier: {
            "condition": "random",
            "pooled": {"counts": {n: int(c) for n, c in zip(names, counts)}, "largest_dataset": names[int(np.argmax(counts))]}
            | {"largest_share": float(counts.max() / k)},
            "range_overlap": {pair: bool(v) for pair, v in zip(pairs, rng.random(len(pairs)) < 0.5)},
        }
        for identifier, counts in zip(ids, rng.multinomial(k, [1 / datasets] * datasets, size=directions))
    }
    run.write_json("stats.json", {"directions": stats, "separability": {}})
    scores = rng.random((directions, 4))
    run.write_json(
        "diagnostics.json",
        {
            "run_id": manifest["run_id"],
            "illusion_score": {
                "directions": {
                    identifier: {"score": s[0], "parts": {"concentration": s[1], "separation": s[2], "inconsistency": s[3]}}
                    for identifier, s in zip(ids, scores.tolist())
                },
                "ranking": [ids[i] for i in np.argsort(-scores[:, 0])],
            },
            "uncertainty": {
                "directions": {
                    identifier: {"score": [s[0] * 0.8, min(1.0, s[0] * 1.2)]} for identifier, s in zip(ids, scores.tolist())
                }
            },
        },
    )
    run.write_npy("profile-range.npy", np.tile(np.array([[-3, 3]], dtype=np.float32), (directions, 1)))
    histograms = rng.multinomial(sentences, np.ones(40) / 40, size=(directions, datasets)).astype(np.uint32)
    run.write_npy("profile-histograms.npy", histograms)
    samples = rng.integers(0, sentences, (directions, datasets, 5, k)).astype(np.int32)
    run.write_npy("profile-samples.npy", samples)
    run.write_npy("profile-sample-scores.npy", rng.normal(size=samples.shape).astype(np.float32))
    run.write_jsonl(
        "profile-sentences.jsonl",
        [{"dataset": name, "index": i, "id": f"{name}-{i}", "text": texts[name][i]} for name in names for i in range(sentences)],
    )
    return folder


def _entry(name: str, index: int, text: str, score: float) -> dict:
    """A listed sentence whose driving token is a sub-word ("##" and the end of one of its words)."""
    words = list(re.finditer(r"\w+", text))
    start, end = words[index % len(words)].span()
    token = "##" + text[start + 1 : end]
    return {"id": f"{name}-{index}", "text": text, "score": round(score, 6), "token": token, "span": [start + 1, end]}


def static(run: Path, out: Path) -> dict:
    """``illusion explore RUN --static OUT`` in a new process: wall seconds and the process's peak resident memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "illusion.cli", "explore", str(run), "--static", str(out), "--quiet"], check=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"static_s": round(seconds, 1), "static_peak_mib": round(peak / 1024, 1) if peak > before else None, "load": load()}


def served_start(run: Path) -> float:
    """Seconds from ``illusion explore RUN`` until it prints the address it serves."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "illusion.cli", "explore", str(run), "--quiet"], stdout=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert "http://" in line, line
        return round(time.perf_counter() - start, 2)
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directions", type=int, default=10_000)
    parser.add_argument("--datasets", type=int, default=10)
    parser.add_argument("--sentences", type=int, default=300, help="sentences per dataset")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--out", help="results file or folder (default: benchmarks/results/explore-scale.json)")
    args = parser.parse_args()
    info = machine()
    print(f"CPU {info['cpu']}, {info['cores']} cores, load {info['load_at_start']}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="illusion-explore-scale-"))
    try:
        start = time.perf_counter()
        run = write_run(work / "run", args.directions, args.datasets, args.sentences, args.k)
        made = round(time.perf_counter() - start, 1)
        row = {
            "directions": args.directions,
            "datasets": args.datasets,
            "sentences": args.datasets * args.sentences,
            "topk_mib": round((run / "topk.jsonl").stat().st_size / 2**20, 1),
            **static(run, work / "site"),
        }
        row["folder_mib"] = round(sum(p.stat().st_size for p in (work / "site").rglob("*") if p.is_file()) / 2**20, 1)
        os.environ["ILLUSION_CACHE_DIR"] = str(work / "cache")
        row["served_first_s"] = served_start(run)
        row["served_second_s"] = served_start(run)
        columns = list(row)
        report("explore-scale", info, [row], columns, args.out, f"synthetic run folder written in {made} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
