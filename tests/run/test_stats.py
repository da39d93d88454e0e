import numpy as np

from illusion.run import stats
from illusion.run.schema import ConditionStats, DirectionStats, Pooled


def test_pooled_top_merges_per_dataset_lists():
    pooled = stats.pooled_top({"a": (np.array([4, 2]), np.array([9.0, 1.0])), "b": (np.array([7, 3]), np.array([5.0, 4.0]))}, 3)
    assert pooled == [("a", 4, 9.0), ("b", 7, 5.0), ("b", 3, 4.0)]
    assert stats.composition(pooled) == Pooled(counts={"a": 1, "b": 2}, largest_dataset="b", largest_share=2 / 3)
    listed = stats.composition(pooled, {"a": [f"a{i}" for i in range(5)], "b": [f"b{i}" for i in range(8)]})
    assert [(entry.dataset, entry.id, entry.score) for entry in listed.top] == [
        ("a", "a4", 9.0),
        ("b", "b7", 5.0),
        ("b", "b3", 4.0),
    ]


def test_range_overlap_of_top_scores():
    assert stats.ranges_meet(np.array([1.0, 2.0]), np.array([2.0, 3.0]))
    assert not stats.ranges_meet(np.array([1.0, 1.5]), np.array([2.0, 3.0]))
    pairs = stats.overlapping_pairs({"c": np.array([0.0, 1.0]), "a": np.array([0.5, 0.7]), "b": np.array([5.0, 6.0])})
    assert pairs == {"a|b": False, "a|c": True, "b|c": False}


def test_by_condition_shares():
    def direction(condition, overlaps, largest_share):
        pooled = Pooled(counts={}, largest_dataset="a", largest_share=largest_share)
        return DirectionStats(condition=condition, pooled=pooled, range_overlap=dict(zip(("a|b", "a|c"), overlaps)))

    directions = {
        "neuron:1": direction("neuron", (True, False), 1.0),
        "neuron:2": direction("neuron", (False, False), 0.5),
        "random:0": direction("random", (True, True), 0.4),
    }
    summary = stats.summarise_by_condition(directions)
    assert summary["neuron"] == ConditionStats(directions=2, range_overlap_share=0.25, mean_largest_share=0.75)
    assert summary["random"].range_overlap_share == 1.0


def test_separability_tells_separable_from_mixed_datasets():
    rng = np.random.default_rng(0)
    apart = {"a": rng.standard_normal((300, 10)) + 2, "b": rng.standard_normal((300, 10)) - 2}
    mixed = {"a": rng.standard_normal((300, 10)), "b": rng.standard_normal((300, 10))}
    separable = stats.dataset_classifier(apart, seed=0)
    assert separable.accuracy > 0.98 and separable.labels == ["a", "b"]
    assert np.trace(np.array(separable.confusion)) == round(separable.accuracy * separable.test_size)
    assert abs(stats.dataset_classifier(mixed, seed=0).accuracy - 0.5) < 0.12
    assert stats.dataset_classifier(apart, seed=0) == separable
