"""The one Jinja environment behind every HTML page illusion writes: autoescaped, with the shared filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from illusion.common.marks import highlight


def environment(package: str, **filters: Callable[..., Any]) -> Environment:
    """Templates from ``package``'s ``templates`` folder; every value escaped unless marked safe."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(highlight=highlight, **filters)
    return env
