"""Driving-token marks: a sentence shown as escaped text with its driving characters wrapped in ``<mark>``."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def highlight(text: str, span: Sequence[int] | None) -> Markup:
    """``text`` escaped, with the characters in ``span`` wrapped in <mark>."""
    if not span or not 0 <= span[0] < span[1] <= len(text):
        return escape(text)
    start, end = span
    return escape(text[:start]) + Markup("<mark>") + escape(text[start:end]) + Markup("</mark>") + escape(text[end:])
