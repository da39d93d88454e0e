"""Dataset records and the preparation every dataset shares: splitting, length bounds, dedup, sampling."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from illusion.errors import PluginError
from illusion.params import Param


@dataclass(frozen=True)
class Record:
    """One sentence of a dataset: a stable ``id``, its ``text`` and free-form ``meta``."""

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


def check_record(record: Any, number: int, owner: str) -> Record:
    """Record ``number`` of a dataset as its plugin gave it: an illusion.Record with a non-empty string id and text.

    Errors name ``owner`` (the plugin), the record (id, or position when the id is bad) and the field at fault.
    """
    if not isinstance(record, Record):
        raise PluginError(f"{owner}: record {number} is a {type(record).__name__}, expected illusion.Record")
    if not isinstance(record.id, str) or not record.id.strip():
        raise PluginError(
            f"{owner}: record {number} has id {record.id!r} ({type(record.id).__name__}); ids are non-empty strings"
        )
    if not isinstance(record.text, str):
        raise PluginError(f"{owner}: record {record.id!r}: field 'text' is {type(record.text).__name__}, expected str")
    if not record.text.strip():
        raise PluginError(f"{owner}: record {record.id!r} has an empty text; leave such records out")
    return record


def check_unique_ids(records: Sequence[Record], owner: str) -> None:
    """Each id names one record; the error names the first id given twice and both positions."""
    first: dict[str, int] = {}
    for number, record in enumerate(records):
        if record.id in first:
            raise PluginError(
                f"{owner}: record id {record.id!r} is given twice (records {first[record.id]} and {number}); "
                "ids must be unique: derive them from the source"
            )
        first[record.id] = number


SHARED_DATASET_PARAMS = (
    Param("split_sentences", bool, False, "split each record into sentences"),
    Param("min_words", int, 4, "drop sentences shorter than this many words"),
    Param("max_words", int, 60, "drop sentences longer than this many words"),
    Param("dedupe", bool, True, "keep only the first of identical sentences"),
    Param("n", int, None, "keep a seeded random sample of this many sentences (all when unset)"),
    Param("seed", int, None, "seed of the sample (the run's seed when unset)"),
)
SHARED_DATASET_PARAM_NAMES = frozenset(param.name for param in SHARED_DATASET_PARAMS)

_SPACE = re.compile(r"\s+")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences with a rule-based segmenter (syntok)."""
    from syntok import segmenter

    sentences = (
        "".join(str(token) for token in sentence).strip() for paragraph in segmenter.process(text) for sentence in paragraph
    )
    return [sentence for sentence in sentences if sentence]


def prepare(
    records: Iterable[Record],
    *,
    split_sentences: bool,
    min_words: int,
    max_words: int,
    dedupe: bool,
    n: int | None,
    seed: int,
) -> list[Record]:
    """Apply the shared options in a fixed order; the result is deterministic for a seed."""
    kept: list[Record] = []
    seen: set[str] = set()
    for record in _split(records) if split_sentences else records:
        text = _SPACE.sub(" ", record.text).strip()
        words = len(text.split(" ")) if text else 0
        if not min_words <= words <= max_words:
            continue
        if dedupe:
            if text.lower() in seen:
                continue
            seen.add(text.lower())
        kept.append(record if text == record.text else Record(record.id, text, record.meta))
    if n is not None and n < len(kept):
        kept = [kept[i] for i in sample_indices(len(kept), n, seed)]
    return kept


def sample_indices(size: int, n: int, seed: int) -> np.ndarray:
    """The seeded sample of ``n`` of ``size`` prepared sentences (sorted indices) that the shared option ``n`` keeps."""
    return np.sort(np.random.default_rng(seed).choice(size, size=n, replace=False))


def _split(records: Iterable[Record]) -> Iterator[Record]:
    for record in records:
        for number, sentence in enumerate(split_sentences(record.text)):
            yield Record(f"{record.id}#{number}", sentence, record.meta)


def content_hash(records: Iterable[Record]) -> str:
    """A fingerprint of the ids and texts, in order: equal hashes mean equal datasets."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(record.id.encode("utf-8") + b"\x00" + record.text.encode("utf-8") + b"\x01")
    return digest.hexdigest()[:32]
