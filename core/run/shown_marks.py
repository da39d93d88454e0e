"""The mark a campaign shows on each sentence: the sentence's own driving token, the same in every set.

A blind campaign may show nothing that depends on why a sentence is in a set. The driving token of
the direction that chose a sentence does: a direction's top sentences are marked on the words that
made them top, a random set's are not, and a classifier on the marked words tells them apart. So
the mark shown is found by the run's driving-token method on a direction that depends on the
sentence and its dataset alone: its vector minus its dataset's mean vector (what sets it apart in
its dataset). A sentence carries the same mark in a direction's top set, in a control set and in
an attention check, so marks add nothing to what the sentences themselves tell.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from illusion.directions import Directions
from illusion.run.listing import Listing, Slot

OWN = "own"  # prefix of the sentences' own directions, beside the run's


def own_directions(datasets: Sequence[Any], shown: Mapping[str, Iterable[int]]) -> tuple[Directions, list[Listing]]:
    """Each shown sentence's own direction (by dataset, the indices in ``shown``), and a listing of that sentence
    alone per direction, whose driving token marking fills (the rows of ``marks.jsonl``). A direction's id names
    its dataset's content, its sentence and the direction itself (which the stored precision of the vectors
    changes), so the driving tokens found for it stay cached whatever else of the run changes."""
    slots, texts, vectors = [], [], []
    for dataset in datasets:
        encoded = np.asarray(dataset.encoded, dtype=np.float32)
        mean = encoded.mean(axis=0)
        for index in sorted({int(i) for i in shown.get(dataset.name, ())}):
            record = dataset.records[index]
            slots.append((dataset.name, Slot(record.id, record.text)))
            texts.append(f"{dataset.hash}:{hashlib.sha256(record.text.encode()).hexdigest()[:20]}")
            vectors.append(encoded[index] - mean)
    own = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(own, axis=1, keepdims=True)
    own = np.divide(own, norms, out=np.zeros_like(own), where=norms > 0)
    ids = [f"{OWN}:{text}:{hashlib.sha256(vector.tobytes()).hexdigest()[:16]}" for text, vector in zip(texts, own)]
    return Directions(ids, own), [Listing(identifier, name, [slot]) for identifier, (name, slot) in zip(ids, slots)]
