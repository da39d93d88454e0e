"""One way to show a number: shares, scores and their intervals, alike in the terminal, the pages and the explorer.

Values are rounded half up from their shortest decimal form (0.375 -> 0.38, 0.125 -> 0.13), so a
figure reads the same wherever it is shown; missing values show as "-".
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

MISSING = "-"


def rounded(value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals, rounded half up from its shortest decimal form."""
    quantum = Decimal(1).scaleb(-digits)
    text = f"{Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP):f}"
    return "0" + text[2:] if text.startswith("-0") and not text.strip("-0.") else text


def share(value: float | None, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage: 0.375 -> "38%"."""
    return MISSING if value is None else f"{rounded(100 * value, digits)}%"


def score(value: float | None, digits: int = 2) -> str:
    """A score, correlation or part in [0, 1] (or [-1, 1]): 0.375 -> "0.38"."""
    return MISSING if value is None else rounded(value, digits)


def as_shown(how: str, value: float | None) -> str:
    """A finding's value as its diagnostic says to show it (``Finding.shown``): a share, a score or a plain number."""
    if how == "percent":
        return share(value, 1)
    if value is None or how == "score":
        return score(value, 3)
    return f"{value:.4g}"


def interval(bounds: Sequence[float] | None, kind: str = "score") -> str:
    """An interval "low-high" as shares ("31%-45%") or scores ("0.12-0.40"); "" when there is none."""
    if not bounds:
        return ""
    show = share if kind == "share" else score
    low, high = (show(b) for b in bounds)
    return f"{low}-{high}"


def figure(value: float | None, bounds: Sequence[float] | None = None, kind: str = "score") -> str:
    """A figure with its interval: "0.38 (95% CI 0.25-0.50)"; the figure alone when it has none."""
    show = share(value) if kind == "share" else score(value)
    spread = interval(bounds, kind)
    return f"{show} (95% CI {spread})" if spread and value is not None else show
