"""Built-in concept detectors: a regular expression, and a list of words."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

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
    needles = [_fold(word) if ignore_case else word for word in listed]
    fold = _fold if ignore_case else str

    def find(texts: Sequence[str]) -> np.ndarray:  # the expression runs only where a word occurs as a substring
        return np.array([_holds_any(fold(t), needles) and pattern.search(t) is not None for t in texts], dtype=bool)

    return find


_DOTTED = str.maketrans({"\u0130": "i", "\u0131": "i"})  # the two letters that match i under IGNORECASE but fold apart


def _holds_any(text: str, needles: Sequence[str]) -> bool:
    return any(needle in text for needle in needles)


def _fold(text: str) -> str:
    """``text`` case-folded so that every letter the expression matches an ASCII letter with becomes that letter."""
    return text.translate(_DOTTED).casefold()


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
