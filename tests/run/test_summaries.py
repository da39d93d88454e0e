"""Shard summaries merge into the whole dataset's: top/bottom-k, profiles, the seeded sample, the hash."""

from itertools import pairwise

import numpy as np
import pytest

from illusion.records import Record, content_hash
from illusion.run import profiles
from illusion.run.summaries import Sample, key_limit, keys_of, merge_extremes, sharded_hash
from illusion.run.topk import extremes

CUTS = [0, 130, 131, 400, 1000]  # shards of uneven sizes, one of a single sentence


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    return rng.normal(size=(1000, 12)).astype(np.float32), rng.normal(size=(7, 12)).astype(np.float32)


def _parts(vectors):
    return [(start, vectors[start:end]) for start, end in pairwise(CUTS)]


def test_merged_shard_extremes_are_the_whole_datasets(data):
    vectors, directions = data
    whole = extremes(vectors, directions, 5)
    merged = merge_extremes([(start, extremes(part, directions, 5)) for start, part in _parts(vectors)], 5)
    for field in ("top_index", "top_score", "bottom_index", "bottom_score"):
        np.testing.assert_array_equal(getattr(merged, field), getattr(whole, field))


def test_merged_shard_profiles_are_the_whole_datasets(data):
    vectors, directions = data
    found = extremes(vectors, directions, 4)
    ranges = profiles.shared_range([found.bottom_score], [found.top_score])
    whole = profiles.dataset_profile(vectors, directions, ranges, 4, profiles.sentence_keys(2, "a", 0, len(vectors)))
    parts = [
        profiles.dataset_profile(part, directions, ranges, 4, profiles.sentence_keys(2, "a", start, len(part)), start)
        for start, part in _parts(vectors)
    ]
    merged = profiles.merge(parts)
    np.testing.assert_array_equal(merged.histograms, whole.histograms)
    assert merged.histograms.sum() == len(directions) * len(vectors)
    for field in ("key", "index", "score"):  # the same k per interval, in any order
        np.testing.assert_array_equal(np.sort(getattr(merged, field), -1), np.sort(getattr(whole, field), -1))


def test_the_seeded_sample_does_not_depend_on_the_shards(data):
    vectors, _ = data
    records = [Record(f"r{i}", f"sentence {i}") for i in range(len(vectors))]
    whole = Sample.draw(1, "a", records, vectors, 0, 50)
    parts = [Sample.draw(1, "a", records[start : start + len(part)], part, start, 50) for start, part in _parts(vectors)]
    merged = Sample.merge(parts, 50)
    np.testing.assert_array_equal(merged.index, whole.index)
    assert [r.id for r in merged.records] == [f"r{i}" for i in whole.index] and np.array_equal(
        merged.vectors, vectors[whole.index]
    )
    assert not np.array_equal(Sample.draw(2, "a", records, vectors, 0, 50).index, whole.index)  # another seed, another sample
    picked = Sample.picked(
        [3, int(whole.index[0])], [records[3], records[int(whole.index[0])]], vectors[[3, int(whole.index[0])]]
    )
    with_picked = Sample.merge(parts + [picked], 50)
    assert len(with_picked.index) == 51 - (3 in whole.index) and list(with_picked.index) == sorted(set(whole.index) | {3})
    everything = Sample.merge([Sample.draw(1, "a", records[s : s + len(p)], p, s, 5000) for s, p in _parts(vectors)], 5000)
    np.testing.assert_array_equal(everything.index, np.arange(len(vectors)))


def test_a_sharded_hash_is_the_shards_hash_when_there_is_one():
    records = [Record("a", "one two"), Record("b", "three four")]
    assert sharded_hash([content_hash(records)]) == content_hash(records)
    two = sharded_hash([content_hash(records[:1]), content_hash(records[1:])])
    assert two.startswith("shards:") and two != sharded_hash([content_hash(records[1:]), content_hash(records[:1])])


def test_a_key_limit_draws_the_dataset_sample_once_over_the_shards(data):
    vectors, _ = data
    records = [Record(f"r{i}", f"sentence {i}") for i in range(len(vectors))]
    whole = Sample.draw(1, "a", records, vectors, 0, 50)
    smallest = [np.sort(keys_of(1, "a", records[s : s + len(p)]))[:50] for s, p in _parts(vectors)]
    limit = key_limit(smallest, 50)
    parts = [Sample.draw(1, "a", records[s : s + len(p)], p, s, 50, limit) for s, p in _parts(vectors)]
    assert sum(len(part.index) for part in parts) == 50  # only the sample crosses the network
    np.testing.assert_array_equal(Sample.merge(parts, 50).index, whole.index)
    assert key_limit(smallest, 5000) is None
