"""Words of a sentence as the explorer's search sees them, and the file (bucket) a word's postings live in.

The browser computes the same: lowercase, runs of letters, digits and underscores; a bucket is
named by the hex code points of a word's first two characters.
"""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"[^\W]+")


@lru_cache(maxsize=1 << 16)  # a run lists the same sentences under many directions
def words(text: str) -> frozenset[str]:
    return frozenset(WORD.findall(text.lower()))


def bucket(word: str) -> str:
    return "-".join(f"{ord(character):x}" for character in word[:2])
