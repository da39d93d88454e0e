"""The one Jinja environment behind every HTML page illusion writes: autoescaped, with the shared filters and plots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

from illusion.common import numbers
from illusion.common.marks import highlight
from illusion.report import plot


def environment(package: str, **filters: Callable[..., Any]) -> Environment:
    """Templates from ``package``'s ``templates`` folder, which may import the plot macros of ``plots.html.j2``
    (geometry: the globals ``scatter_plot``, ``forest_plot`` and ``line_plot``) and show numbers with
    :mod:`illusion.common.numbers` (globals ``share``, ``score``, ``figure``, ``interval``); every value escaped unless marked safe."""
    env = Environment(
        loader=ChoiceLoader([PackageLoader(package, "templates"), PackageLoader("illusion.report", "templates")]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(highlight=highlight, **filters)
    env.globals.update(scatter_plot=plot.scatter, forest_plot=plot.forest, line_plot=plot.lines)
    env.globals.update(share=numbers.share, score=numbers.score, figure=numbers.figure, interval=numbers.interval)
    return env
