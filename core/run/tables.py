"""``illusion tables``: a run's tables as Parquet or CSV files, one per table of :class:`illusion.run.view.RunView`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from illusion.common.files import atomic_writer
from illusion.errors import IllusionError
from illusion.run.folder import EXPLANATIONS
from illusion.run.schema import Diagnostics, ExplanationRow

if TYPE_CHECKING:
    import pandas as pd

    from illusion.run.view import RunView

FORMATS = ("parquet", "csv")


def diagnostics_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per direction from a ``diagnostics.json``: score, parts and their intervals, locality, monotone words."""
    score = result.get("illusion_score", {})
    locality = result.get("locality", {}).get("directions", {})
    monotone = result.get("monotonicity", {}).get("directions", {})
    intervals = result.get("uncertainty", {}).get("directions", {})
    rows = []
    for identifier, entry in score.get("directions", {}).items():
        row = {"direction": identifier, "condition": entry["condition"], "role": entry.get("role"), "score": entry["score"]}
        row.update({f"part_{name}": value for name, value in entry["parts"].items()})
        for name, bounds in intervals.get(identifier, {}).items():  # 95% bootstrap intervals: score_low, score_high, ...
            column = name if name in ("score", "overlap") else f"part_{name}"
            row.update({f"{column}_low": bounds[0] if bounds else None, f"{column}_high": bounds[1] if bounds else None})
        row["duplicate_of"] = entry.get("duplicate_of")
        row["locality"] = locality.get(identifier, {}).get("score")
        row["random_similarity"] = locality.get(identifier, {}).get("random_similarity")
        for key in ("monotone_words", "shared_words", "consistency"):
            value = monotone.get(identifier, {}).get(key)
            row[key] = len(value) if isinstance(value, list) else value
        rows.append(row)
    return rows


EXPLANATION_COLUMNS = [
    "direction",
    "explainer",
    "source",
    "explanation",
    "detector",
    "target",
    "auroc",
    "auroc_low",
    "auroc_high",
    "verdict",
]


def explanation_rows(rows: list[ExplanationRow]) -> list[dict[str, Any]]:
    """One flat row per target dataset of each row of ``explanations.jsonl``."""
    return [
        {
            **{key: getattr(row, key) for key in EXPLANATION_COLUMNS[:5]},
            "target": target,
            **{key: getattr(score, key) for key in EXPLANATION_COLUMNS[6:]},
        }
        for row in rows
        for target, score in row.scores.items()
    ]


FINDING_COLUMNS = ["finding", "diagnostic", "title", "condition", "value", "low", "high", "chance", "paper", "comparable"]


def findings_rows(result: Diagnostics) -> list[dict[str, Any]]:
    """One row per finding and condition (``all`` for a finding of the whole run) from a ``diagnostics.json``."""
    rows = []
    for key, finding in result.findings.items():
        paper = finding.paper.value if finding.paper else None
        comparable = paper is not None and finding.paper is not None and not finding.paper.why
        for condition, found in finding.values.items():
            low, high = found.interval or (None, None)
            values = [key, finding.diagnostic, finding.title, condition, found.value, low, high, found.chance, paper, comparable]
            rows.append(dict(zip(FINDING_COLUMNS, values)))
    return rows


def tables(run: RunView) -> dict[str, Callable[[], pd.DataFrame | None]]:
    """The tables ``illusion tables`` writes, by file stem; a table is None when the run has no such file."""
    return {
        "facts": run.facts,
        "directions": run.directions,
        "topk": run.topk,
        "controls": run.controls,
        "stats": run.stats,
        "range_overlap": run.range_overlap,
        "diagnostics": lambda: run.diagnostics() if run.diagnosed else None,
        "findings": lambda: run.findings() if run.diagnosed else None,
        "annotations": run.annotations,
        "explanations": lambda: run.explanations() if run.folder.has(EXPLANATIONS) else None,
    }


def activation_table(run: RunView) -> pd.DataFrame:
    """Every sentence of every dataset with its activation on every direction of the run (one column per direction)."""
    import numpy as np
    import pandas as pd

    from illusion.common.chunks import project

    directions = run.direction_vectors()
    scores = np.concatenate([project(run.vectors(name), directions) for name in run.datasets])
    return run.sentences().join(pd.DataFrame(scores, columns=run.direction_ids))


def write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    """One DataFrame to ``path``, atomically."""
    with atomic_writer(path, "wb") as handle:
        if fmt == "parquet":
            frame.to_parquet(handle, index=False)
        else:
            handle.write(frame.to_csv(index=False).encode("utf-8"))


def write_tables(run: RunView, out: Path, fmt: str = "parquet", activations: bool = False) -> dict[str, tuple[Path, int]]:
    """Write every table the run has to ``out`` (with ``activations``, also every sentence's activations); (path, rows) by name."""
    if fmt not in FORMATS:
        raise IllusionError(f"tables: format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise IllusionError("tables: Parquet needs the pyarrow package (pip install pyarrow), or use --format csv") from None
    written = {}
    makers = tables(run) | ({"activations": lambda: activation_table(run)} if activations else {})
    for name, make in makers.items():
        frame = make()
        if frame is None:
            continue
        if name == "annotations":  # lists and nested answers as JSON text, so both formats keep them
            frame = frame.apply(lambda column: column.map(_flat) if column.dtype == object else column)
        path = out / f"{name}.{fmt}"
        write_table(frame, path, fmt)
        written[name] = (path, len(frame))
    return written


def _flat(value: Any) -> Any:
    import json

    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value
