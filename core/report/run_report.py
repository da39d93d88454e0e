"""``report.html``: one self-contained page per run; every sentence is escaped before markup is added."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from illusion.report.pages import environment
from illusion.run.folder import DIAGNOSTICS, REPORT, STATS, RunFolder


def render(run_dir: str | Path, diagnostics: dict[str, Any] | None = None) -> str:
    """The report of a run folder, from its files (``diagnostics``: these instead of its ``diagnostics.json``)."""
    folder = RunFolder(run_dir)
    manifest = folder.manifest()
    rows = folder.topk()
    by_direction: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_direction.setdefault(row["direction"], {})[row["dataset"]] = row
    return (
        environment("illusion.report")
        .get_template("report.html.j2")
        .render(
            manifest=manifest,
            datasets=[d["name"] for d in manifest["datasets"]],
            directions=by_direction,
            stats=folder.optional_json(STATS) or {},
            diagnostics=diagnostics if diagnostics is not None else folder.optional_json(DIAGNOSTICS),
        )
    )


def write_report(run_dir: str | Path, out: str | Path | None = None, diagnostics: dict[str, Any] | None = None) -> Path:
    """Write the report of ``run_dir`` into it, or into the folder ``out``."""
    return RunFolder(out or run_dir).write_text(REPORT, render(run_dir, diagnostics))
