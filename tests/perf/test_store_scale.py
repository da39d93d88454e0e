"""The activation store survives a killed run, stores half precision, and streams data larger than the heap allowed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from illusion.run.config import load_config
from illusion.run.pipeline import run
from illusion.run.store import CHUNK, ActivationStore
from illusion.run.topk import extremes
from tests.helpers import store_worker as worker
from tests.helpers.run_configs import write_run_config

pytestmark = pytest.mark.slow

WORKER = Path(worker.__file__)


def _chunks(root: Path) -> list[Path]:
    return sorted((root / worker.KEY / "chunks").glob("[0-9]*.npy"))


def test_a_killed_extraction_leaves_whole_chunks_and_resumes_with_the_missing_ones(tmp_path):
    size = 6 * CHUNK - 5
    process = subprocess.Popen([sys.executable, str(WORKER), "extract", str(tmp_path), str(size), "0.5"])
    deadline = time.monotonic() + 60
    while len(_chunks(tmp_path)) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    store = ActivationStore(tmp_path)
    done = [int(path.stem) for path in _chunks(tmp_path)]
    assert 2 <= len(done) < 6 and not store.has(worker.KEY)
    for number in done:  # every chunk on disk is whole and right
        expected = worker.vectors(worker.texts(size)[number * CHUNK : (number + 1) * CHUNK])
        np.testing.assert_array_equal(np.load(tmp_path / worker.KEY / "chunks" / f"{number:06d}.npy"), expected)
    (tmp_path / worker.KEY / "chunks" / f".{max(done) + 1:06d}.npy.x.tmp").write_bytes(b"\x93NUMPY torn")  # a kill mid-write

    encoded = []

    def encode(part):
        encoded.append(int(part[0]) // CHUNK)
        return worker.vectors(part)

    vectors = store.compute(worker.KEY, worker.texts(size), worker.DIM, encode)
    assert sorted(encoded) == sorted(set(range(6)) - set(done))
    np.testing.assert_array_equal(vectors, worker.vectors(worker.texts(size)))
    assert not (tmp_path / worker.KEY / "chunks").exists()


def test_a_half_precision_store_halves_the_file_and_keeps_the_vectors(tmp_path):
    texts = worker.texts(3 * CHUNK)
    full = ActivationStore(tmp_path / "32").compute("k", texts, worker.DIM, worker.vectors)
    half = ActivationStore(tmp_path / "16", dtype="float16").compute("k", texts, worker.DIM, worker.vectors)
    assert half.dtype == np.float16 and full.dtype == np.float32
    assert (tmp_path / "16/k/vectors.npy").stat().st_size < 0.51 * (tmp_path / "32/k/vectors.npy").stat().st_size
    np.testing.assert_allclose(half, full, atol=1e-3)
    assert (extremes(half, worker.directions(), 10).top_index == extremes(full, worker.directions(), 10).top_index).mean() > 0.9


def test_store_dtype_float16_runs_the_whole_pipeline(tmp_path, tiny_bert):
    config_file = write_run_config(
        tmp_path / "run.toml",
        {"model": str(tiny_bert), "max_length": 64},
        [{"name": "jokes", "plugin": "jokes"}],
        [{"plugin": "random", "count": 4}],
        store_dtype="float16",
        cache_dir=str(tmp_path / "cache"),
    )
    result = run(load_config(config_file), tmp_path / "run")
    [entry] = (tmp_path / "cache").glob("*/vectors.npy")
    assert np.load(entry, mmap_mode="r").dtype == np.float16
    assert result.manifest.config["store_dtype"] == "float16" and len(result.topk) == 4


def test_top_k_streams_a_store_larger_than_the_heap_allowed(tmp_path):
    cap_mib, size = 512, 450_000  # 450,000 x 384 float32 = 659 MiB
    done = subprocess.run(
        [sys.executable, str(WORKER), "stream", str(tmp_path), str(size), str(cap_mib)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "whole array refused" in done.stdout  # the cap really is below the data
    stored = np.load(tmp_path / worker.KEY / "vectors.npy", mmap_mode="r")
    assert stored.nbytes > cap_mib * 2**20
    reference = extremes(np.array(stored), worker.directions(), 10)
    np.testing.assert_array_equal(np.load(tmp_path / "top_index.npy"), reference.top_index)
    np.testing.assert_array_equal(np.load(tmp_path / "bottom_index.npy"), reference.bottom_index)
