"""Driving-token marks: a sentence shown as escaped text with a whole word wrapped in ``<mark>``.

One rule for every mark an annotator sees, whatever the model's tokenizer did:

- a driving token's span grows to the whole word around it (a maximal run of letters and digits),
  so a sub-word ("late|ncy") is marked as its word ("latency");
- a driver with no letter or digit (".", "?") gets no mark at all;
- a decoy mark (for a set that has no driving token) copies the shape of a real mark, its relative
  position in the sentence and its length, onto the word of its own sentence closest to that shape.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WORD = re.compile(r"\w+")
LENGTH_WEIGHT = 3
CAPITAL_WEIGHT = 0.6


@dataclass(frozen=True)
class MarkShape:
    """What an annotator can see of a mark: where it sits (0 = start, 1 = end), how long it is, and
    whether it starts with a capital."""

    position: float
    length: int
    capital: bool


def word_span(text: str, span: Sequence[int] | None) -> list[int] | None:
    """``span`` grown to the whole word(s) it touches; None when it holds no letter or digit."""
    if not span or not 0 <= span[0] < span[1] <= len(text):
        return None
    start, end = span
    if not WORD.search(text, start, end):
        return None
    while start > 0 and WORD.match(text[start - 1]):
        start -= 1
    while end < len(text) and WORD.match(text[end]):
        end += 1
    # Drop leading or trailing non-word characters the token carried ("(cos" -> "cos").
    inner = [m.span() for m in WORD.finditer(text, start, end)]
    return [inner[0][0], inner[-1][1]]


def mark_shape(text: str, span: Sequence[int] | None) -> MarkShape | None:
    """The shape of the mark at ``span`` of ``text``, or None when there is no mark."""
    if not span:
        return None
    return MarkShape(span[0] / max(len(text), 1), span[1] - span[0], text[span[0]].isupper())


def decoy_span(text: str, shape: MarkShape | None) -> list[int] | None:
    """The word of ``text`` closest to ``shape``: same capitalisation if it has one, then nearest in
    position and length (one character of length weighs a third of the sentence); None for none."""
    if shape is None:
        return None
    words = [m.span() for m in WORD.finditer(text)]
    if not words:
        return None
    size = max(len(text), 1)

    def distance(word: tuple[int, int]) -> float:
        start, end = word
        return (
            abs(start / size - shape.position)
            + abs(end - start - shape.length) / LENGTH_WEIGHT
            + CAPITAL_WEIGHT * (text[start].isupper() != shape.capital)
        )

    closest = min(words, key=distance)
    return list(closest)


def highlight(text: str, span: Sequence[int] | None) -> Markup:
    """``text`` escaped, with the characters in ``span`` wrapped in <mark>."""
    if not span or not 0 <= span[0] < span[1] <= len(text):
        return escape(text)
    start, end = span
    return escape(text[:start]) + Markup("<mark>") + escape(text[start:end]) + Markup("</mark>") + escape(text[end:])
