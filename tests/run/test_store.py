import os
import time

import numpy as np
import pytest
from click.testing import CliRunner

from illusion.cli import cli
from illusion.errors import IllusionWarning, PluginError
from illusion.run import store as store_module
from illusion.run.store import ActivationStore, MemoryStore, entry_key
from illusion.run.tokens import TokenCache

TEXTS = [f"sentence {i}" for i in range(10)]


def fake_encode(calls):
    def encode(texts):
        calls.append(len(texts))
        return np.array([[float(t.split()[1]), 1.0] for t in texts], dtype=np.float32)

    return encode


def test_vectors_are_computed_once_then_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK", 4)
    store, calls = ActivationStore(tmp_path), []
    first = store.compute("k", TEXTS, 2, fake_encode(calls))
    assert calls == [4, 4, 2] and isinstance(first, np.memmap)
    np.testing.assert_array_equal(first[:, 0], np.arange(10))
    again = store.compute("k", TEXTS, 2, fake_encode(calls))
    assert calls == [4, 4, 2]
    np.testing.assert_array_equal(first, again)


def test_an_interrupted_computation_resumes_from_the_last_whole_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK", 4)
    store, calls = ActivationStore(tmp_path), []

    def dies_on_second_chunk(texts):
        if calls:
            raise KeyboardInterrupt
        return fake_encode(calls)(texts)

    with pytest.raises(KeyboardInterrupt):
        store.compute("k", TEXTS, 2, dies_on_second_chunk)
    assert not store.has("k")
    assert [p.name for p in (tmp_path / "k" / "chunks").iterdir()] == ["000000.npy"]  # no partial file left
    vectors = store.compute("k", TEXTS, 2, fake_encode(calls))
    assert calls == [4, 4, 2]
    np.testing.assert_array_equal(vectors[:, 0], np.arange(10))
    assert not (tmp_path / "k" / "chunks").exists()


def test_key_depends_on_model_dataset_dtype_and_the_model_plugins_release():
    made_by = ("illusion", "1.0")
    keys = {
        entry_key({"m": 1}, "h", "float32", made_by),
        entry_key({"m": 2}, "h", "float32", made_by),
        entry_key({"m": 1}, "g", "float32", made_by),
        entry_key({"m": 1}, "h", "float16", made_by),
        entry_key({"m": 1}, "h", "float32", ("illusion", "1.1")),
        entry_key({"m": 1}, "h", "float32", ("illusion-other", "1.0")),
    }
    assert len(keys) == 6


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (lambda texts: np.ones((len(texts) - 1, 2), np.float32), "vectors of 4 sentences must have shape (4, 2), got (3, 2)"),
        (lambda texts: np.ones((len(texts), 3), np.float32), "must have shape (4, 2), got (4, 3)"),
        (lambda texts: np.full((len(texts), 2), np.nan, np.float32), "NaN or infinite values (first in row 4)"),
        (lambda texts: [[1.0, 2.0]] * len(texts), "must be a float32 array of shape (4, 2), got list"),
        (lambda texts: np.ones((len(texts), 2), dtype=int), "got ndarray of int64"),
        (lambda texts: np.ones((len(texts), 2)), "must be a float32 array of shape (4, 2), got ndarray of float64"),
    ],
)
def test_a_bad_chunk_is_never_written_and_the_error_names_the_plugin(tmp_path, monkeypatch, bad, fragment):
    monkeypatch.setattr(store_module, "CHUNK", 4)
    store, calls = ActivationStore(tmp_path), []
    encoders = iter([fake_encode(calls), bad])
    with pytest.raises(PluginError, match=r"^model layer 'm' \(zoo 1.0\): ") as caught:
        store.compute("k", TEXTS, 2, lambda texts: next(encoders)(texts), owner="model layer 'm' (zoo 1.0)")
    assert fragment in str(caught.value)
    assert str(caught.value).endswith(
        "; rows 4-7 were not stored; rows 0-3 are stored (a rerun of the same code resumes from there)"
    )
    assert [p.name for p in (tmp_path / "k" / "chunks").iterdir()] == ["000000.npy"]  # only the good chunk
    vectors = store.compute("k", TEXTS, 2, fake_encode(calls))  # the fixed model completes the same entry
    np.testing.assert_array_equal(vectors[:, 0], np.arange(10))


def test_a_corrupt_or_mismatched_chunk_is_discarded_with_a_warning_and_recomputed(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK", 4)
    store, calls = ActivationStore(tmp_path), []
    store.write_chunk("k", 0, fake_encode(calls)(TEXTS[:4]), len(TEXTS), 2, "model layer 'm'")
    chunk = store.chunk_file("k", 0)
    np.save(chunk, np.ones((3, 2), dtype=np.float32))  # e.g. left by an older illusion that did not check
    with pytest.warns(IllusionWarning, match=r"discarded .*000000.npy .*shape \(4, 2\), got \(3, 2\)"):
        vectors = store.compute("k", TEXTS, 2, fake_encode(calls))
    assert calls == [4, 4, 4, 2]  # the first chunk twice: once before it was spoilt
    np.testing.assert_array_equal(vectors[:, 0], np.arange(10))


def test_a_complete_entry_that_does_not_fit_is_discarded_and_recomputed(tmp_path):
    store, calls = ActivationStore(tmp_path), []
    store.compute("k", TEXTS, 2, fake_encode(calls))
    store.path("k").write_bytes(b"not a numpy file")
    with pytest.warns(IllusionWarning, match="unreadable"):
        assert store.find("k", 10, 2) is None
    assert not (tmp_path / "k").exists()
    store.compute("k", TEXTS, 2, fake_encode(calls))
    with pytest.warns(IllusionWarning, match=r"float32 of shape \(10, 2\), expected float32 of shape \(11, 2\)"):
        assert store.find("k", 11, 2) is None


def test_the_memory_store_checks_chunks_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK", 4)
    vectors = MemoryStore("float16").compute("k", TEXTS, 2, fake_encode([]))
    assert vectors.dtype == np.float16 and vectors.shape == (10, 2)
    with pytest.raises(PluginError, match="got \\(3, 2\\)"):
        MemoryStore().compute("k", TEXTS, 2, lambda texts: np.ones((3, 2), np.float32), owner="model layer 'm'")


def test_entries_are_listed_pruned_and_cleared(tmp_path):
    store = ActivationStore(tmp_path)
    for key, age in (("old", 40 * 86400), ("new", 0)):
        store.compute(key, TEXTS, 2, fake_encode([]), describe={"dataset": key, "model": {"model": "m"}})
        for file in (tmp_path / key).rglob("*"):
            os.utime(file, (time.time() - age, time.time() - age))
    listed = CliRunner().invoke(cli, ["cache", "--cache-dir", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith("old") and " m  old" in lines[0] and "40d" in lines[0]
    assert lines[1].startswith("new") and lines[-1].startswith("2 entries")
    pruned = CliRunner().invoke(cli, ["cache", "prune", "--older-than", "30d", "--cache-dir", str(tmp_path)])
    assert pruned.exit_code == 0 and "removed 1 entries" in pruned.output
    assert [e.key for e in store.entries()] == ["new"]
    store.compute("other", TEXTS, 2, fake_encode([]))
    size = store.entries()[-1].bytes
    CliRunner().invoke(cli, ["cache", "prune", "--max-size", str(size), "--cache-dir", str(tmp_path)])
    assert [e.key for e in store.entries()] == ["other"]  # the oldest went first
    cleared = CliRunner().invoke(cli, ["cache", "clear", "--yes", "--cache-dir", str(tmp_path)])
    assert cleared.exit_code == 0 and store.entries() == []


def test_cached_driving_tokens_are_listed_and_cleared_with_the_vectors(tmp_path):
    store = ActivationStore(tmp_path)
    store.compute("vectors", TEXTS, 2, fake_encode([]), describe={"dataset": "d", "model": {"model": "m"}})
    tokens = TokenCache(store, {"model": "m"}, ("illusion", "1"), np.eye(2, dtype=np.float32))
    tokens.save({"some-sentence:0:+": ["cat", [4, 7]]})
    listed = {entry.model: entry for entry in store.entries()}
    assert set(listed) == {"m", "driving tokens"} and listed["driving tokens"].path == tokens.path
    cleared = CliRunner().invoke(cli, ["cache", "clear", "--yes", "--cache-dir", str(tmp_path)])
    assert cleared.exit_code == 0 and store.entries() == [] and not tokens.path.exists()
