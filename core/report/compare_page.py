"""``illusion compare --html``: the comparison of several runs as one self-contained page."""

from __future__ import annotations

from typing import Any

from illusion.report.pages import environment

# (key in a condition's headline, row title, number format): the rows of every comparison table
MEASURES = (
    ("range_overlap", "top-k ranges overlap", "percent"),
    ("monotone_one", "monotone in 1 dataset", "percent"),
    ("monotone_all", "monotone in every dataset", "percent"),
    ("locality", "locality", "number"),
    ("outlier_fill", "top-k slots the most distant sentences fill (first outlier fraction)", "percent"),
    ("illusion_score", "mean illusion score", "number"),
)


def render(comparison: dict[str, Any]) -> str:
    conditions = sorted({c for run in comparison["runs"] for c in run["conditions"]})
    return (
        environment("illusion.report")
        .get_template("compare.html.j2")
        .render(comparison=comparison, conditions=conditions, measures=MEASURES)
    )
