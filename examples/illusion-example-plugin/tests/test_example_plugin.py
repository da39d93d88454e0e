"""The conformance kit run on this package's plugins, found through their entry points (pip install -e . first)."""

import pytest

from illusion.testing import DatasetContract, DirectionSamplerContract, ModelLayerContract


class TestNegationPairs(DatasetContract):
    name = "negation-pairs"
    options = {"polarity": "negated"}
    bad_options = [({"polarity": "sometimes"}, "choose one of")]


class TestContentPool(ModelLayerContract):
    name = "content-pool"

    @pytest.fixture
    def illusion_options(self, illusion_tiny_bert):
        return {"model": str(illusion_tiny_bert), "batch_size": 2, "device": "cpu"}

    @pytest.fixture
    def illusion_bad_options(self, illusion_options):
        return [({**illusion_options, "layer": 7}, "out of range")]


class TestSparse(DirectionSamplerContract):
    name = "sparse"
    options = {"count": 6, "nonzero": 3}
    bad_options = [({"nonzero": 0}, "nonzero must be 1..32"), ({"count": 0}, "count must be at least 1")]


def test_pairs_differ_only_by_polarity():
    from illusion.host import Host

    records = Host().get("dataset", "negation-pairs").load({}, seed=0)
    by_pair = {}
    for record in records:
        by_pair.setdefault(record.meta["pair"], set()).add(record.meta["polarity"])
    assert len(records) == 80 and all(polarities == {"affirmative", "negated"} for polarities in by_pair.values())


def test_sparse_directions_mix_exactly_nonzero_neurons():
    from illusion import SamplerContext
    from illusion.host import Host

    directions = Host().get("direction sampler", "sparse").sample(SamplerContext(16, 3), {"count": 5, "nonzero": 2})
    assert [int((row != 0).sum()) for row in directions.vectors] == [2] * 5
