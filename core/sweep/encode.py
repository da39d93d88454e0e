"""The sentence vectors of every (layer, pooling) view of a sweep, one activation-store entry per view and dataset.

Each entry has the key ``illusion run`` gives that layer and pooling, so a run reuses what a sweep
stored and the other way round. A model layer with the ``illusion.MultiLayer`` methods encodes each
chunk of sentences once for all views that lack it; any other is created and run once per view.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from illusion.common.progress import Reporter
from illusion.errors import IllusionError, IllusionWarning
from illusion.host import Host
from illusion.model_layer import MultiLayer
from illusion.run.config import RunConfig
from illusion.run.pipeline import Dataset
from illusion.run.store import ActivationStore, chunk_count, chunk_slice, entry_key

View = tuple[int, str]
ONE_PASS = "one pass for every layer and pooling"
PER_VIEW = "one pass per layer and pooling"


@dataclass
class Encoded:
    """Per view, each dataset's vectors (memory-mapped from the store), and how they were computed."""

    vectors: dict[View, dict[str, np.ndarray]]
    identities: dict[View, dict[str, Any]]
    dim: int
    passes: str


def view_options(config: RunConfig, view: View) -> dict[str, Any]:
    """The model layer's options of the configuration at one (layer, pooling)."""
    layer, pooling = view
    return {**config.model.options, "layer": layer, "pooling": pooling}


def check_views(host: Host, config: RunConfig, views: Sequence[View]) -> None:
    """The model layer takes ``layer`` and ``pooling`` options and accepts every value of the grid."""
    plugin = host.get("model layer", config.model.plugin)
    declared = {param.name for param in plugin.all_params}
    for option in ("layer", "pooling"):
        if option not in declared:
            raise IllusionError(f"{plugin.label} has no {option!r} parameter, so `illusion sweep` cannot vary it")
    for view in views:
        plugin.resolve(view_options(config, view))


def encode(
    host: Host, config: RunConfig, views: Sequence[View], datasets: Sequence[Dataset], store: ActivationStore, reporter: Reporter
) -> Encoded:
    """Every view's vectors of every dataset, computing only the store chunks not already there."""
    check_views(host, config, views)
    plugin = host.get("model layer", config.model.plugin)
    made_by = host.distribution_of("model layer", config.model.plugin)
    deepest = max(layer for layer, _ in views)
    model = plugin.create(view_options(config, (deepest, views[0][1])))
    owner, dim = f"{plugin.label} ({made_by})", int(model.dim)

    def key(identity: dict[str, Any], dataset: Dataset) -> str:
        return entry_key(identity, dataset.hash, store.dtype, made_by.release)

    def describe(identity: dict[str, Any], dataset: Dataset) -> dict[str, Any]:
        return {"dataset": dataset.name, "model": identity, "distribution": str(made_by)}

    vectors: dict[View, dict[str, np.ndarray]] = {view: {} for view in views}
    if isinstance(model, MultiLayer):
        with plugin.blamed(" while naming its layers"):
            identities = {view: model.identity_at(*view) for view in views}
        for dataset in datasets:
            texts = [record.text for record in dataset.records]
            keys = {view: key(identities[view], dataset) for view in views}
            missing = {view: set(store.missing(keys[view], len(texts), dim)) for view in views}
            with reporter.step(f"vectors: {dataset.name}", len(texts)) as advance, plugin.blamed(" while encoding"):
                for number in range(chunk_count(len(texts))):
                    part, todo = texts[chunk_slice(number)], [view for view in views if number in missing[view]]
                    found = model.encode_layers(part, todo, progress=advance) if todo else []
                    if not todo:
                        advance(len(part))
                    for view, block in zip(todo, found):
                        store.write_chunk(keys[view], number, block, len(texts), dim, owner)
            for view in views:
                vectors[view][dataset.name] = store.finish(keys[view], len(texts), dim, describe(identities[view], dataset))
        return Encoded(vectors, identities, dim, ONE_PASS)
    warnings.warn(
        f"{plugin.label} reads one layer per pass (it has no identity_at/encode_layers, see illusion.MultiLayer): "
        f"the sweep encodes every dataset {len(views)} times, once per layer and pooling",
        IllusionWarning,
        stacklevel=2,
    )
    identities = {}
    for view in views:
        one = plugin.create(view_options(config, view))
        identities[view] = one.identity
        for dataset in datasets:
            texts = [record.text for record in dataset.records]
            step = reporter.step(f"vectors: {dataset.name} (layer {view[0]}, {view[1]})", len(texts))
            with step as advance, plugin.blamed(" while encoding"):
                vectors[view][dataset.name] = store.compute(
                    key(one.identity, dataset),
                    texts,
                    one.dim,
                    partial(one.encode, progress=advance),
                    progress=advance,
                    describe=describe(one.identity, dataset),
                    owner=owner,
                )
    return Encoded(vectors, identities, dim, PER_VIEW)
