"""The run's sets that no direction chose: random-sentence controls and attention checks.

A control set is ``k`` sentences of a dataset drawn at random (the paper's control). An attention
check is ``k`` sentences of a dataset that all contain one word: a pattern any careful reader
sees, which a campaign uses to check that its annotators read the sentences.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from illusion.common.seeds import rng_for
from illusion.records import Record
from illusion.run.schema import CheckSet, ControlSet, SetSentence

CONTROL = "control"
ATTENTION = "attention"
WORD = re.compile(r"[^\W\d_]{3,}")
RAREST = 5  # a check's word is drawn among this many of the rarest words shared by enough sentences
POOL = 3  # ... shared by POOL * k sentences, so that k of them can be as long as random sentences


def control_indices(dataset: str, size: int, k: int, count: int, seed: int) -> list[np.ndarray]:
    """The sentences (indices) of ``count`` control sets of ``k`` of a dataset's ``size`` sentences."""
    rng = rng_for(seed, dataset)
    return [rng.choice(size, size=k, replace=False) for _ in range(count)]


def check_indices(dataset: str, texts: Sequence[str], k: int, count: int, seed: int) -> list[tuple[str, np.ndarray]]:
    """Up to ``count`` attention checks of a dataset: a content word (three letters or more, not a
    stopword), drawn among the rarest such words that at least ``POOL * k`` sentences share (then
    among those that fewer share, down to ``k``), one word per check, and ``k`` of those sentences
    drawn to be as long as ``k`` sentences drawn at random."""
    if count == 0:
        return []
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    holders: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        for word in {w.lower() for w in WORD.findall(text)} - ENGLISH_STOP_WORDS:
            holders[word].append(index)
    counted = sorted((len(ids), word) for word, ids in holders.items() if len(ids) >= k)
    shared = [word for n, word in counted if n >= POOL * k] + [word for n, word in reversed(counted) if n < POOL * k]
    out = []
    for n in range(min(count, len(shared))):
        rng = rng_for(seed, f"{ATTENTION}:{dataset}:{n}")
        word = shared.pop(int(rng.integers(min(len(shared), RAREST))))
        out.append((word, np.array(_like(holders[word], rng.choice(len(texts), k, replace=False), texts))))
    return out


def _like(pool: list[int], targets: np.ndarray, texts: Sequence[str]) -> list[int]:
    """For each target sentence, the sentence of ``pool`` closest to it in length (each taken once): so a
    check's sentences are as long as a control set's, not as long as sentences that hold a rare word."""
    left, chosen = list(pool), []
    for target in targets:
        best = min(left, key=lambda i: (abs(len(texts[i]) - len(texts[target])), i))
        left.remove(best)
        chosen.append(best)
    return chosen


def control_set(set_id: str, dataset: str, records: Sequence[Record], indices: np.ndarray) -> ControlSet:
    """A line of ``controls.jsonl``: the set and its sentences."""
    return ControlSet(set=set_id, condition=CONTROL, dataset=dataset, sentences=_sentences(records, indices))


def check_set(set_id: str, dataset: str, records: Sequence[Record], indices: np.ndarray, word: str) -> CheckSet:
    """A line of ``checks.jsonl``: the set, the word its sentences share, and its sentences."""
    return CheckSet(set=set_id, condition=ATTENTION, dataset=dataset, word=word, sentences=_sentences(records, indices))


def _sentences(records: Sequence[Record], indices: np.ndarray) -> list[SetSentence]:
    return [SetSentence(id=records[i].id, text=records[i].text) for i in indices]
