"""Hand-made labelled run folders: annotation rows, a manifest, top-k and control sets, automatic statistics."""

from __future__ import annotations

import json
from pathlib import Path

DATASETS = ("wiki-math", "bible", "jokes", "chat")


def set_row(set_id: str, annotator: str, condition: str, dataset: str, *, direction: str | None = None, **labels) -> dict:
    """One annotator's label of one set; fields left out are null, as in ``illusion import``'s output."""
    row = {
        "task_uid": f"task-{set_id}",
        "task_type": "set",
        "run_id": "run-1",
        "set_id": set_id,
        "direction": direction,
        "condition": condition,
        "dataset": dataset,
        "datasets": [dataset],
        "annotator": annotator,
        "annotation_id": None,
        "pattern": None,
        "fits": None,
        "description": None,
        "taxonomy": None,
        "confidence": None,
        "same_concept": None,
        "lead_time": None,
        "created_at": None,
        "updated_at": None,
    }
    row.update(labels)
    return row


def direction_row(direction: str, dataset: str, annotator: str, **labels) -> dict:
    return set_row(f"{direction}@{dataset}", annotator, direction.split(":")[0], dataset, direction=direction, **labels)


def control_row(number: int, dataset: str, annotator: str, **labels) -> dict:
    return set_row(f"control:{dataset}:{number}", annotator, "control", dataset, **labels)


def pair_row(direction: str, a: str, b: str, annotator: str, same_concept: str | None) -> dict:
    """A cross-dataset judgement of a direction's sets in datasets ``a`` and ``b`` (in the run's dataset order)."""
    return _pair(f"{direction}@{a}|{b}", direction, direction.split(":")[0], a, b, annotator, same_concept)


def control_pair_row(number: int, a: str, b: str, annotator: str, same_concept: str | None) -> dict:
    return _pair(f"control:{a}:{number}|control:{b}:{number}", None, "control", a, b, annotator, same_concept)


def _pair(set_id, direction, condition, a, b, annotator, same_concept) -> dict:
    row = set_row(set_id, annotator, condition, a, direction=direction, same_concept=same_concept)
    row.update(task_type="pair", dataset=None, datasets=[a, b], task_uid=f"pair-{set_id}")
    return row


def write_run(
    path: Path,
    rows: list[dict],
    *,
    directions: dict[str, str],
    controls: int = 0,
    datasets: tuple[str, ...] = DATASETS,
    k: int = 10,
    stats: dict | None = None,
) -> Path:
    """A run folder: ``manifest.json``, ``topk.jsonl`` (``k`` sentences per direction and dataset),
    ``controls.jsonl`` (``controls`` sets per dataset), ``annotations.jsonl`` and maybe ``stats.json``."""
    path.mkdir(parents=True, exist_ok=True)
    sentences = [{"id": f"s{i}", "text": f"sentence {i}", "score": float(k - i), "span": None} for i in range(k)]
    unmarked = [{"id": s["id"], "text": s["text"]} for s in sentences]
    manifest = {  # a format-1 manifest of a run made before the model and vector size were recorded
        "run_id": "run-1",
        "illusion_version": "0.1.0",
        "created": "2025-01-01T00:00:00+00:00",
        "k": k,
        "seed": 7,
        "config": {},
        "datasets": [{"name": name, "plugin": "text", "size": 100, "hash": name} for name in datasets],
        "directions": [{"id": d, "sampler": c, "condition": c} for d, c in directions.items()],
        "plugins": [],
        "timings": {},
    }
    topk = [
        {"direction": d, "sampler": c, "condition": c, "dataset": name, "top": sentences, "bottom": []}
        for d, c in directions.items()
        for name in datasets
    ]
    control_sets = [
        {"set": f"control:{name}:{number}", "condition": "control", "dataset": name, "sentences": unmarked}
        for number in range(controls)
        for name in datasets
    ]
    _write_jsonl(path / "annotations.jsonl", rows)
    _write_jsonl(path / "topk.jsonl", topk)
    if control_sets:
        _write_jsonl(path / "controls.jsonl", control_sets)
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if stats is not None:
        (path / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    return path


def _write_jsonl(path: Path, rows: list) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
