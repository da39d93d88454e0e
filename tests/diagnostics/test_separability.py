"""The dataset classifier and the 2-D picture on separable and inseparable constructed datasets."""

import numpy as np

from illusion.diagnostics.separability import projection, separability
from illusion.run import stats


def datasets(rng, shift):
    return {
        "a": rng.standard_normal((400, 10)).astype(np.float32),
        "b": (rng.standard_normal((400, 10)) + shift * np.eye(10)[0]).astype(np.float32),
    }


def test_separable_datasets_are_told_apart_and_drawn_apart():
    data = datasets(np.random.default_rng(0), 8.0)
    result = separability(stats.dataset_classifier(data, seed=0), data, seed=0, points=100)
    assert result["accuracy"] > 0.97 and result["labels"] == ["a", "b"]
    points = np.array(result["projection"]["points"])
    assert len(points) == 200 and points[:, :2].min() == 0.0 and points[:, :2].max() == 1.0
    a, b = points[points[:, 2] == 0, 0], points[points[:, 2] == 1, 0]
    assert a.max() < b.min() or b.max() < a.min()  # the first axis splits them
    assert result["projection"]["method"] in ("pca", "umap")


def test_identical_distributions_are_near_chance():
    result = stats.dataset_classifier(datasets(np.random.default_rng(1), 0.0), seed=0)
    assert result.accuracy < 0.65


def test_projection_is_deterministic_and_samples_per_dataset():
    data = datasets(np.random.default_rng(2), 3.0)
    first = projection(data, seed=5, points=50, method="pca")
    assert first == projection(data, seed=5, points=50, method="pca")
    assert [p[2] for p in first["points"]].count(0) == 50 and len(first["explained_variance"]) == 2
    assert projection({"a": np.ones((2, 3))}, seed=0, method="pca")["points"] == []
