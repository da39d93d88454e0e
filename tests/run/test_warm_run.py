"""A warm run needs no model: with vectors, driving tokens and the derived values cached, `illusion run` creates no
model layer and imports neither torch nor transformers, and writes what the cold run wrote. What keys the cache
still changes with the model, its options, the data and the code."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

from illusion.cli import cli
from illusion.errors import PluginError
from illusion.host import Host
from illusion.registrations import ModelLayerPlugin
from illusion.run.config import PluginChoice, load_config
from illusion.run.derived import Derived
from illusion.run.lazy_layer import LazyLayer
from illusion.run.pipeline import load_dataset
from illusion.run.store import ActivationStore
from tests.helpers.tiny_models import KINDS, write_tiny_model

BLOCKED = ("torch", "transformers")
NO_TORCH = textwrap.dedent(
    f"""
    import sys

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {BLOCKED!r}:
                raise ImportError(f"{{name}} may not be imported by a warm run")

    sys.meta_path.insert(0, Refuse())
    from illusion.cli import main

    main(sys.argv[1:])
    """
)
SAME = ("topk.jsonl", "controls.jsonl", "checks.jsonl", "marks.jsonl", "stats.json", "directions.npy", "profile-sentences.jsonl")


def default_like(tiny_bert, cache) -> list[str]:
    """The embedded default's datasets (a sample of each) and samplers, on the tiny model, as ``--set`` arguments."""
    names = [choice.name for choice in load_config(None).datasets]
    overrides = [f"datasets.{name}.n=40" for name in names] + [
        f'model.model="{tiny_bert}"',
        'model.device="cpu"',
        "samplers.neuron.count=3",
        "samplers.random.count=3",
        "k=3",
        f'cache_dir="{cache}"',
    ]
    return [part for item in overrides for part in ("--set", item)]


@pytest.mark.slow
def test_a_warm_run_imports_no_torch_and_writes_what_the_cold_run_wrote(tiny_bert, tmp_path):
    settings = default_like(tiny_bert, tmp_path / "cache")
    cold = CliRunner().invoke(cli, ["run", "-q", "--out", str(tmp_path / "cold"), *settings])
    assert cold.exit_code == 0, cold.output
    warm = subprocess.run(
        [sys.executable, "-c", NO_TORCH, "run", "-q", "--out", str(tmp_path / "warm"), *settings],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert warm.returncode == 0, warm.stderr
    for name in SAME:
        assert (tmp_path / "warm" / name).read_bytes() == (tmp_path / "cold" / name).read_bytes(), name
    manifests = [json.loads((tmp_path / run / "manifest.json").read_text()) for run in ("cold", "warm")]
    for key in ("model", "dim", "driving_tokens", "datasets", "directions", "plugins"):
        assert manifests[0][key] == manifests[1][key], key
    diagnostics = [json.loads((tmp_path / run / "diagnostics.json").read_text()) for run in ("cold", "warm")]
    for key in ("separability", "monotonicity", "locality", "outliers"):
        assert diagnostics[0][key] == diagnostics[1][key], key

    # The same command with another pooling misses the cache: it needs the model, which it may not import.
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            NO_TORCH,
            "run",
            "-q",
            "--out",
            str(tmp_path / "mean"),
            *settings,
            "--set",
            'model.pooling="mean"',
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert other.returncode != 0 and "may not be imported by a warm run" in other.stderr


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"layer": 1, "pooling": "mean"},
        {"layer": -2, "pooling": "max", "dtype": "float32", "max_length": 16},
        {"dtype": "mixed"},
    ],
)
def test_identify_tells_the_identity_of_the_layer_without_loading_it(tiny_bert, options):
    plugin = Host().get("model layer", "transformer")
    options = {"model": str(tiny_bert), "device": "cpu", **options}
    assert plugin.identity_of(options) == plugin.create(options).identity
    assert plugin.identity_of({**options, "download": True}) is None  # the hub may hold other files than the disk
    assert plugin.identity_of({**options, "layer": 9}) is None  # out of range: the layer's own error says so


@pytest.mark.parametrize("kind", KINDS)
def test_identify_reads_each_config_spelling_of_the_layer_count(kind, tmp_path):
    plugin = Host().get("model layer", "transformer")
    options = {"model": str(write_tiny_model(tmp_path, kind, layers=2)), "device": "cpu", "layer": -1, "pooling": "mean"}
    assert plugin.identity_of(options) is not None
    assert plugin.identity_of(options) == plugin.create(options).identity


def counting_plugin(identity, made):
    """A model layer whose ``identify`` gives ``identity``; ``made`` counts the layers it creates."""

    class Layer:
        dim, identity = 4, {"model": "counted"}

        def encode(self, texts, progress=None):
            return np.zeros((len(texts), 4), dtype=np.float32)

        def token_vectors(self, texts):
            return []

    def create():
        made.append(1)
        return Layer()

    return ModelLayerPlugin("counted", "A model layer that counts its creations.", create, identify=lambda: identity)


def test_a_layer_is_created_once_then_known_from_the_store(tmp_path):
    made: list[int] = []
    derived = Derived(tmp_path)
    first = LazyLayer(counting_plugin({"model": "counted"}, made), {}, ("d", "1"), derived)
    assert made == [1] and (first.dim, first.method) == (4, "own projection")
    again = LazyLayer(counting_plugin({"model": "counted"}, made), {}, ("d", "1"), derived)
    assert made == [1] and (again.identity, again.dim, again.method) == ({"model": "counted"}, 4, "own projection")
    assert again.encode(["a"]).shape == (1, 4) and made == [1, 1]  # what only the layer has creates it
    LazyLayer(counting_plugin({"model": "counted"}, made), {}, ("d", "2"), derived)  # another release: created
    assert made == [1, 1, 1]
    with pytest.raises(PluginError, match=r"identify\(\) gives \{'model': 'other'\}, but the layer it creates"):
        LazyLayer(counting_plugin({"model": "other"}, made), {}, ("d", "1"), derived)
    store = ActivationStore(tmp_path)  # `illusion cache` lists each kept record, and prunes it like a vector entry
    assert [entry.model for entry in store.entries()] == ["model-layer", "model-layer"]
    assert len(store.prune(max_bytes=0)) == 2 and store.entries() == []


def test_dataset_records_are_kept_until_their_source_changes(tmp_path, monkeypatch):
    config = load_config(None, ["k=1", f'cache_dir="{tmp_path / "cache"}"'])
    path = tmp_path / "lines.txt"
    path.write_text("one two\nthree four\n")
    choice = PluginChoice("lines", "text", {"path": str(path), "min_words": 1})
    derived, host = Derived(tmp_path / "cache"), Host()
    first = load_dataset(host, choice, config, derived)
    plugin = type(host.get("dataset", "text"))
    monkeypatch.setattr(plugin, "load", lambda *args, **kwargs: pytest.fail("read again"))
    assert load_dataset(host, choice, config, derived).records == first.records
    monkeypatch.undo()
    path.write_text("one two\nthree four five\n")
    changed = load_dataset(host, choice, config, derived)
    assert [r.text for r in changed.records] == ["one two", "three four five"] and changed.hash != first.hash
    other = load_dataset(host, PluginChoice("lines", "text", {"path": str(path), "min_words": 3}), config, derived)
    assert [r.text for r in other.records] == ["three four five"]


def test_a_same_size_edit_with_its_modification_time_put_back_is_read_again(tmp_path):
    import os
    import shutil

    config = load_config(None, ["k=1", f'cache_dir="{tmp_path / "cache"}"'])
    path = tmp_path / "lines.txt"
    path.write_text("one two\nsix ten\n")
    choice = PluginChoice("lines", "text", {"path": str(path), "min_words": 1})
    derived, host = Derived(tmp_path / "cache"), Host()
    assert [r.text for r in load_dataset(host, choice, config, derived).records] == ["one two", "six ten"]
    edited = tmp_path / "edited.txt"
    edited.write_text("one two\nsix tea\n")  # the same size
    kept = path.stat()
    shutil.copyfile(edited, path)
    os.utime(path, ns=(kept.st_atime_ns, kept.st_mtime_ns))  # as `cp -p` or `rsync -a` leave it
    assert [r.text for r in load_dataset(host, choice, config, derived).records] == ["one two", "six tea"]


def test_a_damaged_kept_result_is_made_again(tmp_path):
    from illusion.run import warm

    derived = Derived(tmp_path / "cache")
    vectors = np.random.default_rng(0).standard_normal((20, 4)).astype(np.float32)
    directions = np.eye(2, 4, dtype=np.float32)
    first = warm.ranked(derived, "key", vectors, directions, 3)
    for damaged in (b"", b"PK\x03\x04 truncated"):
        for file in (tmp_path / "cache").rglob("*.npz"):
            file.write_bytes(damaged)
        again = warm.ranked(derived, "key", vectors, directions, 3)
        np.testing.assert_array_equal(again.top_index, first.top_index)
    texts = [f"word{i % 3} filler{i}" for i in range(40)]
    checks = warm.attention_checks("d", "h", texts, 3, 1, 0, derived)
    for file in (tmp_path / "cache").rglob("*.json"):
        file.write_text(json.dumps({"not": "checks"}))
    assert [(w, c.tolist()) for w, c in warm.attention_checks("d", "h", texts, 3, 1, 0, derived)] == [
        (w, c.tolist()) for w, c in checks
    ]
