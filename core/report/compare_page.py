"""``illusion compare --html``: the comparison of several runs as one self-contained page."""

from __future__ import annotations

from typing import Any

from illusion.report.pages import environment


def render(comparison: dict[str, Any]) -> str:
    conditions = sorted({c for run in comparison["runs"] for c in run["conditions"]})
    return environment("illusion.report").get_template("compare.html.j2").render(comparison=comparison, conditions=conditions)
