"""``illusion sweep``: encode once, then diagnose every (layer, pooling, size) cell; resumable cell by cell.

Each finished cell is written atomically to ``cells/`` with a key of everything its numbers depend
on; a restarted sweep keeps the cells whose key still matches and computes the rest. A cell whose
sentences are those of a cell already computed (a size no dataset reaches is the same as ``all``)
copies its findings. ``sweep.json`` and ``sweep.html`` are written at the end (docs/sweep.md).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from illusion import __version__
from illusion.common.files import read_json, write_json, write_text
from illusion.common.progress import Reporter
from illusion.diagnostics.compare import flags
from illusion.diagnostics.suite import Settings
from illusion.errors import IllusionError
from illusion.host import Host
from illusion.run.config import RunConfig
from illusion.run.pipeline import Dataset, load_dataset, open_store, resolved_samplers
from illusion.run.schema import findings_of
from illusion.sweep import cell, encode, findings
from illusion.sweep.grid import Grid, effective, subsample
from illusion.sweep.page import render

FORMAT = 1
SWEEP = "sweep.json"
PAGE = "sweep.html"
CELLS = "cells"


def cell_name(layer: int, pooling: str, size: str) -> str:
    return f"layer{layer}-{pooling}-{size}"


def fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _finished(file: Path, key: str) -> dict[str, Any] | None:
    """The cell written by an earlier sweep with the same key, if there is a readable one."""
    try:
        found = read_json(file, "sweep cell")
    except (IllusionError, OSError):
        return None
    return found if isinstance(found, dict) and found.get("key") == key and "findings" in found and "flags" in found else None


def sweep(
    config: RunConfig,
    grid: Grid,
    out: str | Path,
    host: Host | None = None,
    reporter: Reporter | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Run the sweep of ``config`` over ``grid`` into the folder ``out``; returns the content of ``sweep.json``."""
    host, reporter, out = host or Host(), reporter or Reporter(quiet=True), Path(out)
    settings = settings or Settings()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    encode.check_views(host, config, grid.views)
    samplers = resolved_samplers(host, config)
    roles = {choice.name: plugin.role for choice, plugin in samplers}
    datasets = [load_dataset(host, choice, config) for choice in config.datasets]
    timings["datasets"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    encoded = encode.encode(host, config, grid.views, datasets, open_store(config), reporter)
    timings["vectors"] = round(time.perf_counter() - start, 3)
    counts = [len(d.records) for d in datasets]
    rows = {size: {d.name: subsample(len(d.records), size, config.seed, d.name) for d in datasets} for size in grid.sizes}
    common = {
        "version": __version__,
        "seed": config.seed,
        "k": config.k,
        "samplers": config.to_dict()["samplers"],
        "datasets": [(d.name, d.hash) for d in datasets],
        "settings": asdict(settings),
    }
    start, cells, computed = time.perf_counter(), [], 0
    done: dict[tuple[Any, ...], dict[str, Any]] = {}
    with reporter.step("sweep cells", len(grid.cells())) as advance:
        for layer, pooling, size in grid.cells():
            view, name = (layer, pooling), cell_name(layer, pooling, size)
            same = (view, effective(counts, size))
            key = fingerprint({**common, "identity": encoded.identities[view], "sentences": same[1]})
            file = out / CELLS / f"{name}.json"
            result = _finished(file, key)
            if result is None and same in done:
                result = {**done[same], "name": name, "size": size, "same_as": done[same]["name"], "seconds": 0.0, "key": key}
                write_json(file, result)
            elif result is None:
                cell_start, computed = time.perf_counter(), computed + 1
                parts = [cell.subset(d, encoded.vectors[view][d.name], rows[size][d.name]) for d in datasets]
                found = cell.diagnose_cell(config, samplers, parts, roles, settings, name, host)
                result = _cell_record(name, layer, pooling, size, parts, found, round(time.perf_counter() - cell_start, 3))
                write_json(file, {**result, "key": key})
            done.setdefault(same, result)
            cells.append(result)
            advance(1)
    timings["cells"] = round(time.perf_counter() - start, 3)
    summary = {
        **_header(config, grid, encoded, datasets, rows, samplers, settings, host, cells),
        "cells": [{k: v for k, v in c.items() if k != "key"} for c in cells],
        "computed": computed,
        "timings": timings,
    }
    write_json(out / SWEEP, summary)
    write_text(out / PAGE, render(summary))
    return summary


def _header(
    config: RunConfig,
    grid: Grid,
    encoded: encode.Encoded,
    datasets: list[Dataset],
    rows: dict[str, dict[str, np.ndarray]],
    samplers: list[tuple[Any, Any]],
    settings: Settings,
    host: Host,
    cells: list[dict[str, Any]],
) -> dict[str, Any]:
    """What ``sweep.json`` says before its cells: the sweep's settings, grid, datasets, conditions and findings."""
    return {
        "format": FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "illusion_version": __version__,
        "seed": config.seed,
        "k": config.k,
        "config": config.to_dict(),
        "model": {"plugin": config.model.plugin, "dim": encoded.dim, "passes": encoded.passes},
        "grid": {"layers": list(grid.layers), "poolings": list(grid.poolings), "sizes": list(grid.sizes)},
        "datasets": [
            {
                "name": d.name,
                "plugin": d.plugin,
                "hash": d.hash,
                "sentences": {size: len(rows[size][d.name]) for size in grid.sizes},
            }
            for d in datasets
        ],
        "conditions": [{"condition": choice.name, "sampler": choice.plugin, "role": plugin.role} for choice, plugin in samplers],
        "settings": asdict(settings),
        "findings": findings.describe(host, config.k, len(datasets), {key for cell in cells for key in cell["findings"]}),
    }


def _cell_record(
    name: str, layer: int, pooling: str, size: str, datasets: list[Dataset], found: cell.CellResult, seconds: float
) -> dict[str, Any]:
    condition_of = np.asarray(found.conditions)
    return {
        "name": name,
        "layer": layer,
        "pooling": pooling,
        "size": size,
        "same_as": None,
        "sentences": {d.name: len(d.records) for d in datasets},
        "directions": {
            c: hashlib.sha256(found.directions[condition_of == c].tobytes()).hexdigest()[:16]
            for c in sorted(set(found.conditions))
        },
        "checks": [check["check"] for check in found.diagnostics.get("sanity", {}).get("checks", [])],
        "flags": flags(found.diagnostics),
        "findings": findings.measure(findings_of(found.diagnostics)),
        "seconds": seconds,
    }
