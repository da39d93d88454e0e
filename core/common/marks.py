"""Driving-token marks: a sentence shown as escaped text with a whole word wrapped in ``<mark>``.

One rule for every mark an annotator sees, whatever the model's tokenizer did:

- a driving token's span grows to the whole word around it (a maximal run of letters and digits),
  so a sub-word ("late|ncy") is marked as its word ("latency");
- a driver with no letter or digit (".", "?") gets no mark at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape

WORD = re.compile(r"\w+")


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


def highlight(text: str, span: Sequence[int] | None) -> Markup:
    """``text`` escaped, with the characters in ``span`` wrapped in <mark>."""
    if not span or not 0 <= span[0] < span[1] <= len(text):
        return escape(text)
    start, end = span
    return escape(text[:start]) + Markup("<mark>") + escape(text[start:end]) + Markup("</mark>") + escape(text[end:])
