"""The conformance checks of model layers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from illusion.conformance.subject import SENTENCES, Failure, Subject, check, crashed
from illusion.errors import IllusionError, PluginError
from illusion.model_layer import TokenShares, TokenVectors, attributes, driving_method
from illusion.registrations import ModelLayerPlugin


@check("output", "model layer")
def layer_output(subject: Subject) -> None:
    """``dim``, a JSON-able ``identity``, float32 vectors of shape (texts, dim), token vectors with spans, and token
    shares of the right shape when the layer attributes."""
    layer = subject.model()
    if not isinstance(layer.dim, int) or isinstance(layer.dim, bool) or layer.dim < 1:
        raise Failure(f"{subject.label}: dim must be a positive int, not {layer.dim!r}")
    _vectors(subject, layer.encode(list(SENTENCES)), len(SENTENCES), layer.dim)
    tokens = layer.token_vectors(list(SENTENCES))
    if not isinstance(tokens, list) or len(tokens) != len(SENTENCES):
        raise Failure(f"{subject.label}: token_vectors must return a list with one TokenVectors per text")
    for text, item in zip(SENTENCES, tokens):
        _token_vectors(subject, text, item, layer.dim)
    if attributes(layer):
        _token_shares(subject, layer)


def _vectors(subject: Subject, vectors: Any, count: int, dim: int) -> np.ndarray:
    if not isinstance(vectors, np.ndarray) or vectors.dtype != np.float32 or vectors.shape != (count, dim):
        got = f"{type(vectors).__name__} {getattr(vectors, 'dtype', '')} {getattr(vectors, 'shape', '')}"
        raise Failure(f"{subject.label}: encode must return a float32 array of shape ({count}, {dim}), got {got}")
    if not np.isfinite(vectors).all():
        raise Failure(f"{subject.label}: encode returned NaN or infinite values")
    return vectors


def _token_vectors(subject: Subject, text: str, item: Any, dim: int) -> None:
    if not isinstance(item, TokenVectors):
        raise Failure(f"{subject.label}: token_vectors must give illusion.TokenVectors, not {type(item).__name__}")
    shape = np.shape(item.vectors)
    if len(item.tokens) != len(item.spans) or shape != (len(item.tokens), dim):
        raise Failure(
            f"{subject.label}: {text!r} has {len(item.tokens)} tokens, {len(item.spans)} spans and vectors of shape {shape}"
        )
    for span in item.spans:
        if span is not None and not 0 <= span[0] <= span[1] <= len(text):
            raise Failure(f"{subject.label}: span {span} lies outside {text!r}")


def _token_shares(subject: Subject, layer: Any) -> None:
    """A layer that attributes names its method and gives each text one share per token and requested direction."""
    try:
        driving_method(layer)
    except IllusionError as exc:
        raise Failure(f"{subject.label}: {exc}") from None
    wanted = [np.eye(layer.dim, dtype=np.float32)[: 1 + n % 2] for n in range(len(SENTENCES))]
    answers = layer.attribute(list(SENTENCES), wanted)
    if not isinstance(answers, list) or len(answers) != len(SENTENCES):
        raise Failure(f"{subject.label}: attribute must return a list with one TokenShares per text")
    for text, rows, item in zip(SENTENCES, wanted, answers):
        if not isinstance(item, TokenShares):
            raise Failure(f"{subject.label}: attribute must give illusion.TokenShares, not {type(item).__name__}")
        shape, expected = np.shape(item.shares), (len(item.tokens), len(rows))
        if len(item.spans) != len(item.tokens) or shape != expected or not np.isfinite(item.shares).all():
            raise Failure(
                f"{subject.label}: attribute gave {text!r} {len(item.tokens)} tokens, {len(item.spans)} spans and "
                f"shares of shape {shape} (expected {expected}, finite)"
            )
        for span in item.spans:
            if span is not None and not 0 <= span[0] <= span[1] <= len(text):
                raise Failure(f"{subject.label}: span {span} lies outside {text!r}")


@check("determinism", "model layer")
def layer_determinism(subject: Subject) -> None:
    """Two layers from the same options agree; a text's vector does not depend on its batch; progress adds up."""
    texts = list(SENTENCES)
    counts: list[int] = []
    layer = subject.model(0)
    first = layer.encode(texts, progress=counts.append)
    _vectors(subject, first, len(texts), layer.dim)  # what the other checks compare must be sound first
    if sum(counts) != len(texts):
        raise Failure(f"{subject.label}: encode reported progress of {sum(counts)} texts for {len(texts)}")
    if not np.allclose(first, subject.model(1).encode(texts), atol=subject.atol):
        raise Failure(f"{subject.label}: two layers created from the same options give different vectors")
    alone = np.concatenate([_vectors(subject, layer.encode([text]), 1, layer.dim) for text in texts])
    if not np.allclose(first, alone, atol=subject.atol):
        worst = int(np.abs(first - alone).max(axis=1).argmax())
        raise Failure(f"{subject.label}: the vector of {texts[worst]!r} changes with the other texts in its batch")


@check("stable_ids", "model layer")
def layer_identity(subject: Subject) -> None:
    """``identity`` is JSON-able, equal for equal options, changes whenever the vectors do, and is what ``identify``
    (when the plugin has it) says."""
    base = subject.model(0)
    try:
        same = json.loads(json.dumps(base.identity)) == base.identity
    except (TypeError, ValueError):
        same = False
    if not isinstance(base.identity, dict) or not same:
        raise Failure(f"{subject.label}: identity must be a dict that survives a JSON round trip, got {base.identity!r}")
    if subject.model(1).identity != base.identity:
        raise Failure(f"{subject.label}: two layers created from the same options have different identities")
    _identified(subject, subject.options, base)
    vectors = base.encode(list(SENTENCES))
    chosen = subject.registration.resolve(subject.options)
    for param in subject.registration.params:
        for value in param.choices or ((True, False) if param.type is bool else ()):
            if value == chosen[param.name]:
                continue
            try:
                other = subject.plugin(ModelLayerPlugin).create({**subject.options, param.name: value})
            except PluginError as exc:
                if crashed(exc):
                    raise
                continue  # e.g. a device this machine lacks
            _identified(subject, {**subject.options, param.name: value}, other)
            changed = not np.allclose(vectors, other.encode(list(SENTENCES)), atol=subject.atol)
            if changed and other.identity == base.identity:
                raise Failure(
                    f"{subject.label}: {param.name} = {value!r} changes the vectors but not the identity, "
                    "so the activation cache would serve stale vectors"
                )


def _identified(subject: Subject, options: Mapping[str, Any], layer: Any) -> None:
    """What ``identify`` says of ``options`` (when it says anything) is the identity of the ``layer`` made from them."""
    said = subject.plugin(ModelLayerPlugin).identity_of(options)
    if said is not None and said != layer.identity:
        raise Failure(
            f"{subject.label}: identify() gives {said!r} for {options}, but the layer created from them has identity "
            f"{layer.identity!r}; a warm run would read the cached vectors of another layer"
        )


@check("empty_input", "model layer")
def layer_empty(subject: Subject) -> None:
    """No texts give a (0, dim) array and no token vectors; an empty text gives a finite vector."""
    layer = subject.model()
    _vectors(subject, layer.encode([]), 0, layer.dim)
    if list(layer.token_vectors([])) != []:
        raise Failure(f"{subject.label}: token_vectors([]) must be an empty list")
    _vectors(subject, layer.encode(["", SENTENCES[0]]), 2, layer.dim)
    _token_vectors(subject, "", layer.token_vectors([""])[0], layer.dim)
