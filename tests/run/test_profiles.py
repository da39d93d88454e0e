"""Activation profiles: shared-bin histograms and seeded samples across activation intervals, checked against brute force."""

import numpy as np
import pytest

from illusion.records import Record
from illusion.run import profiles
from illusion.run.folder import RunFolder
from illusion.run.topk import extremes


@pytest.fixture
def run_like():
    rng = np.random.default_rng(3)
    vectors = {"a": rng.normal(size=(700, 16)).astype(np.float32), "b": rng.normal(1.0, 2.0, size=(300, 16)).astype(np.float32)}
    directions = rng.normal(size=(9, 16)).astype(np.float32)
    found = {name: extremes(v, directions, 4) for name, v in vectors.items()}
    return vectors, directions, found


def test_histograms_count_every_sentence_in_shared_bins(run_like, monkeypatch):
    vectors, directions, found = run_like
    monkeypatch.setattr(profiles, "CELLS", 700)  # several direction blocks and row chunks
    result = profiles.compute(vectors, directions, found, 4, seed=0)
    assert result.histograms.shape == (9, 2, profiles.BINS) and result.histograms.dtype == np.uint32
    for d in range(9):
        low, high = result.range[d]
        for number, v in enumerate(vectors.values()):
            scores = v @ directions[d]
            assert low <= scores.min() + 1e-5 and scores.max() <= high + 1e-5
            expected, _ = np.histogram(np.clip(scores, low, high), bins=profiles.BINS, range=(low, high))
            assert np.abs(result.histograms[d, number].astype(int) - expected).sum() <= 2  # float rounding at bin edges
            assert result.histograms[d, number].sum() == len(v)


def test_samples_lie_in_their_interval_and_are_seeded(run_like):
    vectors, directions, found = run_like
    result = profiles.compute(vectors, directions, found, 4, seed=0)
    assert result.samples.shape == (9, 2, profiles.INTERVALS, 4)
    for d in range(9):
        low, high = result.range[d]
        width = (high - low) / profiles.INTERVALS
        for number, v in enumerate(vectors.values()):
            scores = v @ directions[d]
            for j in range(profiles.INTERVALS):
                chosen = result.samples[d, number, j]
                inside = np.flatnonzero(np.clip((scores - low) // width, 0, profiles.INTERVALS - 1) == j)
                assert (chosen >= 0).sum() == min(4, len(inside))  # full unless the interval holds fewer sentences
                picked = chosen[chosen >= 0]
                assert set(picked) <= set(inside) and len(set(picked)) == len(picked)
                assert np.allclose(result.sample_scores[d, number, j][: len(picked)], scores[picked], atol=1e-4)
    again = profiles.compute(vectors, directions, found, 4, seed=0)
    other = profiles.compute(vectors, directions, found, 4, seed=1)
    assert np.array_equal(again.samples, result.samples) and not np.array_equal(other.samples, result.samples)


def test_written_profiles_read_back_and_old_runs_have_none(run_like, tmp_path):
    vectors, directions, found = run_like
    result = profiles.compute(vectors, directions, found, 4, seed=0)
    folder = RunFolder(tmp_path)
    assert profiles.read(folder) is None
    records = {name: [Record(f"{name}-{i}", f"sentence {i} of {name}") for i in range(len(v))] for name, v in vectors.items()}
    profiles.write(folder, result, records)
    back, sentences = profiles.read(folder)
    assert np.array_equal(back.samples, result.samples) and np.array_equal(back.histograms, result.histograms)
    index = int(result.samples[0, 1, 2, 0])
    assert sentences["b", index].text == f"sentence {index} of b" and sentences["b", index].id == f"b-{index}"
