"""The default ``illusion run``, cold (empty cache) then warm (everything cached), per step and as a command.

In one process, per round: a cold run on an empty cache and a warm run on the same cache, through
what ``illusion run`` does (pipeline, diagnostics, report), each step also as a share of the cold
run's vector step. Then, rounds taken in turn, ``illusion run -q`` as a user types it (a new
process: start-up and imports included): cold, warm, and warm with ``--no-diagnostics``, for this
code and, with ``--against REV``, for the package at git revision REV (laid out in a temporary
folder), side by side. Run:
    python benchmarks/run.py [--rounds 2] [--against REV] [--set KEY=VALUE ...]
Prints the CPU kind and the load with the tables and writes benchmarks/results/run.json (or --out).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from common import load, machine, report, table

from illusion.diagnostics.suite import write_diagnostics
from illusion.report.run_report import write_report
from illusion.run.config import load_config
from illusion.run.pipeline import run

STEPS = (
    "datasets",
    "model",
    "vectors",
    "directions",
    "top-k",
    "checks",
    "tokens",
    "profiles",
    "statistics",
    "diagnostics",
    "report",
)
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"core": "illusion", "plugins": "illusion/plugins", "annotations": "illusion/annotations"}


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


KINDS = {"cold": [], "warm": [], "warm, no diagnostics": ["--no-diagnostics"]}  # the commands' runs, in order


def command(overrides: list[str], cache: str, out: Path, tree: Path | None, flags: list[str]) -> dict[str, float]:
    """Wall-clock seconds of ``illusion run -q`` as a user types it (a new Python process), with its vector step;
    ``tree``: a folder that holds another version of the package (``illusion/``), imported instead of this one."""
    sets = [part for item in [*overrides, f'cache_dir="{cache}"'] for part in ("--set", item)]
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else None
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "illusion.cli", "run", "-q", *flags, "--out", str(out), *sets],
        check=True,
        capture_output=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "vectors": json.loads((out / "manifest.json").read_text())["timings"]["vectors"]}


def checkout(revision: str, folder: Path) -> Path:
    """The package at git ``revision`` laid out as an importable ``illusion`` under ``folder``."""
    archive = subprocess.run(["git", "archive", revision, *PACKAGES], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            top, _, rest = member.name.partition("/")
            if member.isfile() and top in PACKAGES:
                target = folder / PACKAGES[top] / rest
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                target.write_bytes(source.read())
    return folder


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", metavar="REV", help="also time the commands of the package at this git revision")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="config override")
    parser.add_argument("--out", help="JSON file or folder to write")
    args = parser.parse_args()

    info = machine()
    runs: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    trees = {"this code": None} | ({args.against: None} if args.against else {})
    commands: dict[tuple[str, str], list[dict[str, float]]] = {(t, run): [] for t in trees for run in KINDS}
    loads = []
    with tempfile.TemporaryDirectory(prefix="illusion-run-bench-") as folder:
        if args.against:
            trees[args.against] = checkout(args.against, Path(folder) / "against")
        one_run(args.overrides, f"{folder}/warm-up", Path(folder) / "out")  # imports, page cache
        for number in range(args.rounds):
            cache = f"{folder}/cache-{number}"
            runs["cold"].append(one_run(args.overrides, cache, Path(folder) / "out"))
            runs["warm"].append(one_run(args.overrides, cache, Path(folder) / "out"))
            for name, tree in trees.items():
                own = f"{folder}/command-cache-{number}-{list(trees).index(name)}"
                for kind, flags in KINDS.items():
                    commands[name, kind].append(command(args.overrides, own, Path(folder) / "command-out", tree, flags))
            loads.append(load())
    rows = []
    for name, timings in runs.items():
        row = {"run": name, **{step: median([t.get(step, 0.0) for t in timings]) for step in STEPS}}
        row["total"] = median([t["total"] for t in timings])
        rows.append(row)
    cold = rows[0]
    shares = {"run": "cold, share of vectors", **{step: round(cold[step] / cold["vectors"], 3) for step in (*STEPS, "total")}}
    command_rows = [
        {
            "code": name,
            "run": kind,
            "seconds": median([c["seconds"] for c in timed]),
            "vectors": median([c["vectors"] for c in timed]),
            "each": ", ".join(f"{c['seconds']:.1f}" for c in timed),
        }
        for (name, kind), timed in commands.items()
    ]
    for row in command_rows:
        cold_row = next(r for r in command_rows if r["code"] == row["code"] and r["run"] == "cold")
        row["over cold vectors"] = round(row["seconds"] / cold_row["vectors"], 2)
    summary = {
        "cold_total_over_vectors": round(cold["total"] / cold["vectors"], 2),
        "cold_overhead_over_vectors": round((cold["total"] - cold["vectors"]) / cold["vectors"], 2),
        "warm_total_s": rows[1]["total"],
        "commands": command_rows,
    }
    print(f"CPU: {info['cpu']} ({info['cpu_kind']}), {info['cores']} cores; load at start {info['load_at_start']}")
    print(table(command_rows, ["code", "run", "seconds", "vectors", "over cold vectors", "each"]))
    note = (
        f"median of {args.rounds} rounds; in one process, cold total / vectors step = {summary['cold_total_over_vectors']} "
        f"(overhead {summary['cold_overhead_over_vectors']}); load per round {', '.join(loads)}"
    )
    report(
        "run",
        info,
        [*rows, shares],
        ["run", *STEPS, "total"],
        args.out,
        note,
        overrides=args.overrides,
        load_per_round=loads,
        **summary,
    )


if __name__ == "__main__":
    main()
