import numpy as np
import pytest
import torch
from safetensors.numpy import save_file

from illusion import PluginError, SamplerContext
from illusion.host import Host

RNG = np.random.default_rng(0)
VECTORS = {"a": RNG.standard_normal((50, 8)) + 3, "b": RNG.standard_normal((40, 8)) - 3}
CONTEXT = SamplerContext(8, 7, ["a", "b"], VECTORS.__getitem__)


def sample(name, context=CONTEXT, **options):
    return Host(autoload=False).get("direction sampler", name).sample(context, options)


def test_neurons_subset_indices_all():
    drawn = sample("neuron", count=3)
    assert drawn.ids == sample("neuron", count=3).ids and len(drawn.ids) == 3
    assert len({tuple(sample("neuron", count=3, seed=s).ids) for s in range(5)}) > 1
    np.testing.assert_array_equal(sample("neuron", indices=[5, 1]).vectors, np.eye(8)[[5, 1]])
    assert sample("neuron", all=True).ids == [str(i) for i in range(8)]
    with pytest.raises(PluginError, match=r"indices \[8\] are outside 0..7"):
        sample("neuron", indices=[8])
    with pytest.raises(PluginError, match="count must be 1..8"):
        sample("neuron", count=9)


def test_random_directions_are_unit_seeded_and_isotropic():
    drawn = sample("random", count=2000)
    np.testing.assert_allclose(np.linalg.norm(drawn.vectors, axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(drawn.vectors, sample("random", count=2000).vectors)
    assert not np.array_equal(drawn.vectors[:5], sample("random", count=5, seed=1).vectors)
    assert np.abs(drawn.vectors.mean(axis=0)).max() < 0.03


def test_pca_finds_the_axis_that_separates_the_datasets():
    from sklearn.decomposition import PCA

    drawn = sample("pca", count=3)
    pooled = np.concatenate(list(VECTORS.values()))
    expected = PCA(3).fit(pooled).components_
    np.testing.assert_allclose(np.abs(drawn.vectors @ expected.T), np.eye(3), atol=1e-5)
    direction = np.ones(8) / np.sqrt(8)
    assert abs(drawn.vectors[0] @ direction) > 0.9


def test_dataset_contrast_points_from_one_mean_to_the_other():
    drawn = sample("dataset-contrast", a="a", b="b")
    assert drawn.ids == ["a-vs-b"]
    assert drawn.vectors[0] @ (np.ones(8) / np.sqrt(8)) > 0.9
    assert sample("dataset-contrast").ids == ["a-vs-rest", "b-vs-rest"]
    with pytest.raises(PluginError, match="no dataset 'c'"):
        sample("dataset-contrast", a="a", b="c")


def test_file_directions_in_three_formats(tmp_path):
    matrix = RNG.standard_normal((3, 8))
    np.save(tmp_path / "d.npy", matrix)
    save_file({"probe": matrix.astype(np.float32)}, str(tmp_path / "d.safetensors"))
    torch.save({"probe": torch.tensor(matrix)}, tmp_path / "d.pt")
    expected = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    for name in ("d.npy", "d.safetensors", "d.pt"):
        np.testing.assert_allclose(sample("file", path=str(tmp_path / name)).vectors, expected, atol=1e-6)


@pytest.mark.parametrize(
    "content, message",
    [
        (np.zeros((2, 8)), "rows \\[0, 1\\] are zero"),
        (np.ones((2, 5)), "must have shape \\(count, 8\\)"),
    ],
)
def test_bad_direction_files(tmp_path, content, message):
    np.save(tmp_path / "bad.npy", content)
    with pytest.raises(PluginError, match=message):
        sample("file", path=str(tmp_path / "bad.npy"))


def test_unnormalised_directions_are_refused_by_the_host(tmp_path):
    np.save(tmp_path / "long.npy", np.ones((1, 8)))
    with pytest.raises(PluginError, match="unit length"):
        sample("file", path=str(tmp_path / "long.npy"), normalize=False)
