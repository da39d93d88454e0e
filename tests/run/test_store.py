import numpy as np
import pytest

from illusion.run import store as store_module
from illusion.run.store import ActivationStore, entry_key

TEXTS = [f"sentence {i}" for i in range(10)]


def fake_encode(calls):
    def encode(texts):
        calls.append(len(texts))
        return np.array([[float(t.split()[1]), 1.0] for t in texts])

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


def test_key_depends_on_model_dataset_and_dtype():
    keys = {
        entry_key({"m": 1}, "h", "float32"),
        entry_key({"m": 2}, "h", "float32"),
        entry_key({"m": 1}, "g", "float32"),
        entry_key({"m": 1}, "h", "float16"),
    }
    assert len(keys) == 4
