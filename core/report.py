"""``report.html``: one self-contained page per run; every sentence is escaped before markup is added."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from illusion.io import read_json, read_jsonl, write_text


def highlight(text: str, span: Sequence[int] | None) -> Markup:
    """``text`` escaped, with the characters in ``span`` wrapped in <mark>."""
    if not span or not 0 <= span[0] < span[1] <= len(text):
        return escape(text)
    start, end = span
    return escape(text[:start]) + Markup("<mark>") + escape(text[start:end]) + Markup("</mark>") + escape(text[end:])


def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("illusion", "templates"), autoescape=select_autoescape(["html", "j2"]))
    environment.filters["highlight"] = highlight
    return environment


def render(run_dir: str | Path) -> str:
    """The report of a run folder, from its files."""
    run_dir = Path(run_dir)
    manifest = read_json(run_dir / "manifest.json", "run manifest")
    rows = read_jsonl(run_dir / "topk.jsonl", "top-k file")
    by_direction: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_direction.setdefault(row["direction"], {})[row["dataset"]] = row
    optional = {name: read_json(run_dir / f"{name}.json") for name in ("stats", "diagnostics") if (run_dir / f"{name}.json").exists()}
    return _environment().get_template("report.html.j2").render(
        manifest=manifest,
        datasets=[d["name"] for d in manifest["datasets"]],
        directions=by_direction,
        stats=optional.get("stats", {}),
        diagnostics=optional.get("diagnostics"),
    )


def write_report(run_dir: str | Path) -> Path:
    path = Path(run_dir) / "report.html"
    write_text(path, render(run_dir))
    return path
