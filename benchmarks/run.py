"""The default ``illusion run``, cold (empty cache) then warm (every vector cached), per step.

Both runs go through what ``illusion run`` does (pipeline, diagnostics, report) in one process,
rounds taken in turn, with a fresh cache per cold run; the warm run is also timed as the command
a user types (a new process: imports and model load included). Run:
    python benchmarks/run.py [--rounds 2] [--set KEY=VALUE ...]
Prints a table and writes benchmarks/results/run.json (or --out).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import load, machine, report

from illusion.diagnostics.suite import write_diagnostics
from illusion.report.run_report import write_report
from illusion.run.config import load_config
from illusion.run.pipeline import run

STEPS = ("datasets", "model", "vectors", "directions", "top-k", "tokens", "statistics", "diagnostics", "report")


def one_run(overrides: list[str], cache: str, out: Path) -> dict[str, float]:
    """Seconds per step of the whole ``illusion run`` (pipeline, diagnostics, report), and their total."""
    start = time.perf_counter()
    result = run(load_config(None, [*overrides, f'cache_dir="{cache}"']), out)
    timings = dict(result.timings)
    mark = time.perf_counter()
    write_diagnostics(out, datasets=result.datasets)
    timings["diagnostics"] = time.perf_counter() - mark
    mark = time.perf_counter()
    write_report(out)
    timings["report"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - start
    return timings


def command_seconds(overrides: list[str], cache: str, out: Path) -> float:
    """Wall-clock seconds of ``illusion run -q`` as a user types it (a new Python process)."""
    sets = [part for item in [*overrides, f'cache_dir="{cache}"'] for part in ("--set", item)]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "illusion.cli", "run", "-q", "--out", str(out), *sets], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="config override")
    parser.add_argument("--out", help="JSON file or folder to write")
    args = parser.parse_args()

    info = machine()
    runs: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    loads, commands = [], []
    with tempfile.TemporaryDirectory(prefix="illusion-run-bench-") as folder:
        one_run(args.overrides, f"{folder}/warm-up", Path(folder) / "out")  # imports, page cache
        for number in range(args.rounds):
            cache = f"{folder}/cache-{number}"
            runs["cold"].append(one_run(args.overrides, cache, Path(folder) / "out"))
            runs["warm"].append(one_run(args.overrides, cache, Path(folder) / "out"))
            commands.append(command_seconds(args.overrides, cache, Path(folder) / "out"))
            loads.append(load())
    rows = []
    for name, timings in runs.items():
        row = {"run": name, **{step: round(statistics.median(t.get(step, 0.0) for t in timings), 2) for step in STEPS}}
        row["total"] = round(statistics.median(t["total"] for t in timings), 2)
        rows.append(row)
    cold = rows[0]
    summary = {
        "cold_total_over_vectors": round(cold["total"] / cold["vectors"], 2),
        "warm_total_s": rows[1]["total"],
        "warm_command_s": round(statistics.median(commands), 2),
        "warm_command_s_each": [round(s, 2) for s in commands],
    }
    note = (
        f"median of {args.rounds} rounds; cold total / vectors step = {summary['cold_total_over_vectors']}; warm `illusion run` "
        f"as a command: {summary['warm_command_s']} s; load per round {', '.join(loads)}"
    )
    report("run", info, rows, ["run", *STEPS, "total"], args.out, note, overrides=args.overrides, load_per_round=loads, **summary)


if __name__ == "__main__":
    main()
