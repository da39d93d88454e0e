"""Built-in concept detectors: a regular expression, and a list of words."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from illusion import ConceptDetectorPlugin, Param, PluginError, hookimpl


def _searcher(pattern: re.Pattern) -> Callable[[Sequence[str]], np.ndarray]:
    return lambda texts: np.array([pattern.search(text) is not None for text in texts], dtype=bool)


def regex(argument: str, ignore_case: bool) -> Callable[[Sequence[str]], np.ndarray]:
    try:
        pattern = re.compile(argument, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise PluginError(f"concept detector 'regex': {argument!r} is not a valid regular expression ({exc})") from None
    return _searcher(pattern)


def words(argument: str, ignore_case: bool) -> Callable[[Sequence[str]], np.ndarray]:
    listed = [word.strip() for word in argument.split(",") if word.strip()]
    if not listed:
        raise PluginError("concept detector 'words': give words separated by commas, e.g. words:war,battle,army")
    alternatives = "|".join(re.escape(word) for word in sorted(set(listed), key=lambda w: (-len(w), w)))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE if ignore_case else 0)
    if ignore_case and not all(word.isascii() for word in listed):
        return _searcher(pattern)
    needles = [re.compile(re.escape(dotless(word).casefold() if ignore_case else word)) for word in listed]

    def find(texts: Sequence[str]) -> np.ndarray:  # the expression runs only where a word occurs as a substring
        texts = list(texts)
        joined, starts = _joined(tuple(texts), ignore_case)
        hits = [m.start() for needle in needles for m in needle.finditer(joined)]
        found = np.zeros(len(texts), dtype=bool)
        for index in np.unique(np.searchsorted(starts, hits, side="right") - 1):
            found[index] = pattern.search(texts[index]) is not None
        return found

    return find


_DOTTED = str.maketrans({"\u0130": "i", "\u0131": "i"})  # the two letters that match i under IGNORECASE but fold apart


def dotless(text: str) -> str:
    """``text`` with the dotted and dotless i as ``i``: lower-cased after this, every letter is one the ``words``
    detector matches its letter with when it ignores case (``"İstanbul".lower()`` is not)."""
    return text.translate(_DOTTED)


@lru_cache(maxsize=8)
def _joined(texts: tuple[str, ...], fold: bool) -> tuple[str, np.ndarray]:
    """The texts (case-folded so that every letter the expression matches an ASCII letter with becomes that letter)
    joined by newlines, and where each starts; kept for the next words of the same texts."""
    shown = [dotless(text).casefold() for text in texts] if fold else texts
    starts = np.cumsum([0] + [len(text) + 1 for text in shown])[:-1]
    return "\n".join(shown), starts


@hookimpl
def illusion_concept_detectors():
    ignore_case = Param("ignore_case", bool, True, "match regardless of letter case")
    yield ConceptDetectorPlugin(
        name="regex",
        description="Sentences in which a regular expression matches (Python syntax).",
        factory=regex,
        params=[ignore_case],
    )
    yield ConceptDetectorPlugin(
        name="words",
        description="Sentences that contain any of a comma-separated list of whole words or phrases.",
        factory=words,
        params=[ignore_case],
    )
