"""Driving tokens: attributed for the listed sentences (or kept from the extraction pass for a model layer that cannot
attribute) on a cold run, read from the cache on a warm one; the method is named in the run folder and report."""

import json
from dataclasses import replace

import numpy as np
import pytest

from illusion.directions import Directions
from illusion.errors import IllusionError
from illusion.model_layer import DRIVING_METHODS
from illusion.plugins.transformer import TransformerLayer
from illusion.report.run_report import render
from illusion.run import tokens
from illusion.run.config import load_config
from illusion.run.listing import Listing, Slot
from illusion.run.pipeline import run
from illusion.run.store import ActivationStore
from tests.run.test_pipeline import write_config


def refuse(*args, **kwargs):
    raise AssertionError("the model ran again")


@pytest.fixture
def config(tiny_bert, tmp_path):
    return load_config(write_config(tmp_path, tiny_bert), [f'cache_dir="{tmp_path / "cache"}"'])


def marks(result):
    return [(e.text, e.token, list(e.span) if e.span else None) for row in result.topk for e in row.top + row.bottom]


@pytest.fixture
def without_attribution(monkeypatch):
    """The transformer layer as a third-party model layer that cannot attribute would be."""
    monkeypatch.delattr(TransformerLayer, "attribute")
    monkeypatch.delattr(TransformerLayer, "attribution")


def test_a_model_layer_that_cannot_attribute_marks_own_projections_from_one_pass(
    config, tmp_path, monkeypatch, without_attribution
):
    monkeypatch.setattr(tokens, "KEEP_BYTES", 0)  # nothing kept: every listed sentence is encoded again
    again = run(config, tmp_path / "again")
    monkeypatch.setattr(tokens, "KEEP_BYTES", 256 * 2**20)  # kept: the extraction pass is the only one
    monkeypatch.setattr(TransformerLayer, "token_vectors", refuse)
    kept = run(replace(config, cache_dir=str(tmp_path / "other")), tmp_path / "kept")
    assert marks(kept) == marks(again) and all(token for _, token, _ in marks(kept))
    assert kept.manifest.driving_tokens.method == "own projection"


def test_cls_pooling_attributes_the_listed_sentences_only_and_names_the_method(config, tmp_path, monkeypatch):
    calls = []
    attribute = TransformerLayer.attribute
    monkeypatch.setattr(
        TransformerLayer, "attribute", lambda self, texts, dirs: calls.append(texts) or attribute(self, texts, dirs)
    )
    result = run(config, tmp_path / "out")
    listed = {text for text, _, _ in marks(result)}
    assert sorted(text for batch in calls for text in batch) == sorted(listed)  # each listed sentence once, nothing else
    assert result.manifest.driving_tokens.method == "gradient x input"
    assert "gradient x input" in render(tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "manifest.json").read_text())["driving_tokens"]
    assert saved == {"method": "gradient x input", "description": DRIVING_METHODS["gradient x input"]}


def test_a_warm_run_runs_no_model_for_tokens_and_gives_the_same_marks(config, tmp_path, monkeypatch):
    cold = run(config, tmp_path / "cold")
    for method in ("encode", "encode_with_tokens", "token_vectors", "attribute"):
        monkeypatch.setattr(TransformerLayer, method, refuse)
    monkeypatch.setattr(TransformerLayer, "_loaded", property(refuse))  # its weights are not even loaded
    warm = run(config, tmp_path / "warm")
    assert marks(warm) == marks(cold)


def test_a_new_direction_set_or_model_misses_the_cache(config, tmp_path):
    run(config, tmp_path / "first")
    files = sorted((tmp_path / "cache" / "driving-tokens").glob("*.json"))
    assert len(files) == 1
    run(replace(config, seed=5), tmp_path / "second")
    assert len(list((tmp_path / "cache" / "driving-tokens").glob("*.json"))) == 2


def test_a_corrupt_cache_is_ignored_with_a_warning_and_rewritten(config, tmp_path):
    cold = run(config, tmp_path / "cold")
    (cache_file,) = (tmp_path / "cache" / "driving-tokens").glob("*.json")
    cache_file.write_text("{not json")
    with pytest.warns(UserWarning, match="not valid JSON.*finding its driving tokens again"):
        warm = run(config, tmp_path / "warm")
    assert marks(warm) == marks(cold) and cache_file.read_text().startswith("{\n")


class Counting:
    """A model layer with two tokens per sentence whose vectors are fixed per word; it counts its passes."""

    dim = 2

    def __init__(self):
        self.passes = []

    def token_vectors(self, texts):
        from illusion import TokenVectors

        self.passes.append(list(texts))
        return [TokenVectors(text.split(), [(0, 1), (2, 3)], np.array([[1.0, 0.0], [0.0, 1.0]])) for text in texts]


def listing(direction, texts):
    return Listing(direction, "d", [Slot(t, t) for t in texts], [Slot(t, t) for t in texts])


def test_only_sentences_missing_from_the_cache_are_encoded(tmp_path):
    directions = Directions(["x", "y"], np.array([[1.0, 0.0], [0.0, 1.0]]))
    cache = tokens.TokenCache(ActivationStore(tmp_path), {"model": "counting"}, ("test", "1"), directions.vectors)
    model = Counting()
    tokens.mark_tokens([listing("x", ["a b", "c d"])], directions, model, cache)
    rows = [listing("x", ["a b", "e f"]), listing("y", ["a b"])]
    tokens.mark_tokens(rows, directions, model, cache)
    assert [sorted(texts) for texts in model.passes] == [["a b", "c d"], ["a b", "e f"]]  # "a b" is new on direction y
    assert [e.token for e in rows[0].top] == ["a", "e"] and [e.token for e in rows[0].bottom] == ["b", "f"]
    assert rows[1].top[0] == Slot("a b", "a b", token="b", span=(2, 3))
    tokens.mark_tokens(rows, directions, model, cache)
    assert len(model.passes) == 2


def test_the_cache_is_keyed_by_the_method(tmp_path):
    store, directions = ActivationStore(tmp_path), np.eye(2, dtype=np.float32)
    paths = {tokens.TokenCache(store, {"model": "m"}, ("a", "1"), directions, method).path for method in DRIVING_METHODS}
    assert len(paths) == len(DRIVING_METHODS)


def test_a_model_layer_without_attribution_is_named_own_projection_and_one_that_attributes_must_name_its_method():
    assert tokens.driving_method(Counting()) == "own projection"

    class Unnamed(Counting):
        def attribute(self, texts, directions):
            return []

    with pytest.raises(IllusionError, match="must name its method in `attribution`"):
        tokens.driving_method(Unnamed())
