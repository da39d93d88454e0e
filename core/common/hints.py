"""The "did you mean" hint every unknown-name error ends with."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, known: Iterable[str], n: int = 1) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``known`` (up to ``n``), or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(known), n=n)
    return f"; did you mean {', '.join(repr(name) for name in close)}?" if close else ""
