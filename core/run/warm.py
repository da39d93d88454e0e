"""The steps of a run that a warm run reads back instead of redoing: dataset records, top and bottom k,
attention checks, the dataset classifier (each kept in the store's derived values, see :mod:`illusion.run.derived`)."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
from pydantic import ValidationError

from illusion.errors import IllusionWarning
from illusion.host import Host
from illusion.records import Record
from illusion.run import control_sets, stats
from illusion.run.config import PluginChoice
from illusion.run.derived import Derived, files_digest
from illusion.run.schema import Separability
from illusion.run.topk import Extremes, extremes

RECORDS = "dataset-records"
TOPK = "top-k"
CHECKS = "attention-checks"
SEPARABILITY = "separability"
Classifier = Callable[[Mapping[str, np.ndarray], int], Separability]


def dataset_records(host: Host, choice: PluginChoice, seed: int, derived: Derived | None) -> list[Record]:
    """The prepared records of a run's dataset, kept (with the warnings their reading gave, given again) while its
    sources, options, seed and plugin code stay the same; read afresh when its plugin names no sources, its code
    has no file (defined in a notebook: its changes cannot be told) or there is no store."""
    plugin = host.get("dataset", choice.plugin).as_configured(choice.name)
    distribution = host.distribution_of("dataset", choice.plugin)
    sources = plugin.source_paths(choice.options) if derived is not None and distribution.fingerprint else None
    if derived is None or sources is None:
        return plugin.load(choice.options, seed=seed)
    made_from = {
        "plugin": choice.plugin,
        "release": distribution.release,
        "options": plugin.resolve(choice.options),
        "seed": seed,
        "sources": files_digest(sources),
    }
    kept = derived.get(RECORDS, made_from)
    if _kept_records(kept):
        for message in kept["warnings"]:  # what the cold read said (too few sentences for n, ...), said again
            warnings.warn(message, IllusionWarning, stacklevel=2)
        return [Record(*row) for row in kept["records"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = plugin.load(choice.options, seed=seed)
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno, source=warning.source)
    said = [str(warning.message) for warning in caught if issubclass(warning.category, IllusionWarning)]
    derived.put(RECORDS, made_from, {"records": [[r.id, r.text, r.meta] for r in records], "warnings": said})
    return records


def _kept_records(kept: Any) -> bool:
    """Whether ``kept`` is what :func:`dataset_records` keeps: the records as ``[id, text, meta]`` and the warnings."""
    return (
        isinstance(kept, dict)
        and isinstance(kept.get("records"), list)
        and all(isinstance(row, list) and len(row) == 3 for row in kept["records"])
        and isinstance(kept.get("warnings"), list)
        and all(isinstance(message, str) for message in kept["warnings"])
    )


def ranked(derived: Derived | None, key: str, vectors: np.ndarray, directions: np.ndarray, k: int) -> Extremes:
    """:func:`illusion.run.topk.extremes`, kept by the store ``key`` of the vectors, the directions and ``k``."""
    if derived is None:
        return extremes(vectors, directions, k)
    made_from = {
        "vectors": key,
        "directions": hashlib.sha256(np.ascontiguousarray(directions, dtype=np.float32).tobytes()).hexdigest(),
        "k": k,
    }
    names = [field.name for field in fields(Extremes)]
    kept = derived.get_arrays(TOPK, made_from, names)
    if kept is not None:
        return Extremes(**kept)
    found = extremes(vectors, directions, k)
    derived.put_arrays(TOPK, made_from, {name: getattr(found, name) for name in names})
    return found


def attention_checks(
    dataset: str, dataset_hash: str, texts: Sequence[str], k: int, count: int, seed: int, derived: Derived | None
) -> list[tuple[str, np.ndarray]]:
    """:func:`illusion.run.control_sets.check_indices`, kept by the dataset's content, ``k``, ``count`` and ``seed``."""
    if derived is None:
        return control_sets.check_indices(dataset, texts, k, count, seed)
    made_from = {
        "dataset": dataset,
        "hash": dataset_hash,
        "k": k,
        "count": count,
        "seed": seed,
    }

    def checks() -> list[Any]:
        return [[word, chosen.tolist()] for word, chosen in control_sets.check_indices(dataset, texts, k, count, seed)]

    def valid(kept: Any) -> bool:
        return isinstance(kept, list) and all(
            isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) and all(isinstance(i, int) for i in c[1]) for c in kept
        )

    kept = derived.get_or_make(CHECKS, made_from, checks, valid)
    return [(word, np.asarray(chosen, dtype=np.int64)) for word, chosen in kept]


def dataset_classifier(derived: Derived | None, keys: Mapping[str, str]) -> Classifier:
    """:func:`illusion.run.stats.dataset_classifier`, its answer kept by the store keys of the vectors (``keys``:
    by dataset name) it is given."""
    if derived is None:
        return stats.dataset_classifier

    def classify(vectors: Mapping[str, np.ndarray], seed: int) -> Separability:
        made_from = {"vectors": {name: keys[name] for name in vectors}, "seed": seed}
        kept = derived.get_or_make(
            SEPARABILITY, made_from, lambda: stats.dataset_classifier(vectors, seed).to_json(), _separability
        )
        return Separability.model_validate(kept)

    return classify


def _separability(kept: Any) -> bool:
    """Whether a kept answer of the dataset classifier is one ``stats.json`` can hold."""
    try:
        Separability.model_validate(kept)
    except ValidationError:
        return False
    return True
