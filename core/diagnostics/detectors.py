"""Which sentences of each dataset show a concept: plugin detectors over texts, and two that need more
than the text.

- ``meta:KEY=VALUE``: records whose metadata field KEY equals VALUE (compared as text); ``meta:KEY``:
  records where KEY is present and true.
- ``similar:DESCRIPTION``: sentences whose cosine similarity to DESCRIPTION is at least ``threshold``
  (option, default 0.4), both embedded by a sentence-embedding model: the bundled all-MiniLM-L6-v2,
  mean-pooled last layer, unless ``-o model=...`` names another. The sentences' embeddings go through
  the run's activation store, so they are computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from illusion.errors import IllusionError
from illusion.host import Host
from illusion.records import Record, content_hash
from illusion.run.data import RunData

BUILT_IN = {
    "meta": "records whose metadata field matches: meta:KEY=VALUE, or meta:KEY for a true field",
    "similar": "sentences similar to a description under a sentence-embedding model: similar:cooking and food",
}
SIMILAR_OPTIONS = {"threshold": 0.4, "model": "all-MiniLM-L6-v2"}


def detector_names(host: Host) -> list[str]:
    """Every detector a pattern may name: the plugins' and the built-in record-level ones."""
    return sorted(set(host.registrations("concept detector")) | set(BUILT_IN))


def detect(
    run: RunData, detector: str, argument: str, host: Host, options: Mapping[str, Any] | None = None
) -> dict[str, np.ndarray]:
    """Per dataset of ``run``: one bool per sentence, whether it shows the concept ``detector:argument``."""
    options = dict(options or {})
    if detector == "meta":
        _no_options(detector, options)
        return {name: meta_matches(run.records[name], argument) for name in run.names}
    if detector == "similar":
        return similar_matches(run, argument, host, options)
    find = host.get("concept detector", detector).create(argument, options)
    return {name: find(run.texts(name)) for name in run.names}


def meta_matches(records: Iterable[Record], argument: str) -> np.ndarray:
    key, sep, value = argument.partition("=")
    if not key.strip():
        raise IllusionError("concept detector 'meta': write meta:KEY=VALUE (or meta:KEY), e.g. meta:book=Genesis")
    key = key.strip()
    if sep:
        return np.array([key in r.meta and str(r.meta[key]) == value for r in records], dtype=bool)
    return np.array([bool(r.meta.get(key)) for r in records], dtype=bool)


def similar_matches(run: RunData, description: str, host: Host, options: dict[str, Any]) -> dict[str, np.ndarray]:
    unknown = set(options) - set(SIMILAR_OPTIONS)
    if unknown:
        raise IllusionError(f"concept detector 'similar': unknown option(s) {sorted(unknown)}; it takes threshold and model")
    settings = {**SIMILAR_OPTIONS, **options}
    threshold = float(settings["threshold"])
    if not description.strip() or not -1 <= threshold <= 1:
        raise IllusionError("concept detector 'similar': give a description (similar:...) and a threshold in [-1, 1]")
    embed = sentence_embedder(run, host, str(settings["model"]))
    target = _unit(embed(None, [description.strip()]))[0]
    return {name: _unit(embed(run.records[name], run.texts(name))) @ target >= threshold for name in run.names}


def sentence_embedder(run: RunData, host: Host, model: str) -> Callable[[Sequence[Record] | None, list[str]], np.ndarray]:
    """A function (records or None, texts) -> embeddings; those of records are kept in the run's store."""
    from illusion.run.pipeline import open_store
    from illusion.run.store import entry_key

    layer = host.get("model layer", "transformer").create({"model": model, "layer": -1, "pooling": "mean", "device": "auto"})
    made_by = host.distribution_of("model layer", "transformer")
    store = open_store(run.config)

    def embed(records: Sequence[Record] | None, texts: list[str]) -> np.ndarray:
        if records is None:
            return np.asarray(layer.encode(texts), dtype=np.float32)
        key = entry_key(layer.identity, content_hash(records), store.dtype, made_by.release)
        return np.asarray(
            store.compute(
                key,
                texts,
                layer.dim,
                layer.encode,
                describe={"model": layer.identity},
                owner=f"model layer 'transformer' ({made_by})",
            )
        )

    return embed


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _no_options(detector: str, options: Mapping[str, Any]) -> None:
    if options:
        raise IllusionError(f"concept detector {detector!r} takes no options (got {', '.join(sorted(options))})")
