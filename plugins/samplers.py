"""Built-in direction samplers: neurons, random directions, principal directions, files, dataset contrasts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from illusion import Directions, DirectionSamplerPlugin, Param, PluginError, SamplerContext, hookimpl, unit_rows


def neurons(context: SamplerContext, count: int, indices: list[int], all: bool, seed: int | None) -> Directions:
    if indices:
        bad = [i for i in indices if not 0 <= i < context.dim]
        if bad:
            raise PluginError(f"direction sampler 'neuron': indices {bad} are outside 0..{context.dim - 1}")
        chosen = np.array(indices)
    elif all:
        chosen = np.arange(context.dim)
    else:
        if not 0 < count <= context.dim:
            raise PluginError(f"direction sampler 'neuron': count must be 1..{context.dim}, not {count}")
        chosen = np.sort(context.rng(seed).choice(context.dim, size=count, replace=False))
    return Directions([str(i) for i in chosen], np.eye(context.dim)[chosen])


def random_directions(context: SamplerContext, count: int, seed: int | None) -> Directions:
    if count < 1:
        raise PluginError(f"direction sampler 'random': count must be at least 1, not {count}")
    vectors = context.rng(seed).standard_normal((count, context.dim))
    return Directions([str(i) for i in range(count)], unit_rows(vectors))


def principal_directions(context: SamplerContext, count: int, datasets: list[str]) -> Directions:
    from sklearn.decomposition import PCA

    pooled = np.concatenate([np.asarray(context.vectors(name), dtype=np.float64) for name in datasets or context.datasets])
    if not 0 < count <= min(pooled.shape):
        raise PluginError(f"direction sampler 'pca': count must be 1..{min(pooled.shape)}, not {count}")
    components = PCA(n_components=count, svd_solver="full").fit(pooled).components_
    signs = np.sign(components[np.arange(count), np.abs(components).argmax(axis=1)])
    return Directions([str(i) for i in range(count)], unit_rows(components * signs[:, None]))


def file_directions(context: SamplerContext, path: str, key: str | None, normalize: bool) -> Directions:
    matrix = _read_matrix(Path(path).expanduser(), key)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2 or matrix.shape[1] != context.dim:
        raise PluginError(f"{path}: directions must have shape (count, {context.dim}), got {matrix.shape}")
    norms = np.linalg.norm(matrix, axis=1)
    if normalize:
        if (norms == 0).any():
            raise PluginError(f"{path}: rows {np.flatnonzero(norms == 0).tolist()} are zero and have no direction")
        matrix = unit_rows(matrix)
    return Directions([str(i) for i in range(len(matrix))], matrix)


def _read_matrix(path: Path, key: str | None) -> np.ndarray:
    if not path.is_file():
        raise PluginError(f"{path}: no such file of directions")
    tensors: dict[str, Any]
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False).astype(np.float64)
        if path.suffix == ".safetensors":
            from safetensors.numpy import load_file

            tensors = load_file(str(path))
        elif path.suffix in (".pt", ".pth"):
            import torch

            loaded = torch.load(path, map_location="cpu", weights_only=True)
            tensors = loaded if isinstance(loaded, dict) else {"": loaded}
            tensors = {name: np.asarray(value.float()) for name, value in tensors.items()}
        else:
            raise PluginError(f"{path}: use a .npy, .pt or .safetensors file")
    except PluginError:
        raise
    except Exception as exc:
        raise PluginError(f"{path}: cannot read directions ({type(exc).__name__}: {exc})") from None
    if key is None and len(tensors) == 1:
        key = next(iter(tensors))
    if key is None or key not in tensors:
        raise PluginError(f"{path}: choose the tensor with key = one of {sorted(tensors)}")
    return np.asarray(tensors[key], dtype=np.float64)


def dataset_contrast(context: SamplerContext, a: str | None, b: str | None) -> Directions:
    means = {name: np.asarray(context.vectors(name), dtype=np.float64).mean(axis=0) for name in context.datasets}
    if (a is None) != (b is None):
        raise PluginError("direction sampler 'dataset-contrast': set both a and b, or neither (each dataset vs the rest)")
    if a is not None and b is not None:
        pairs = [(f"{a}-vs-{b}", means[_known(a, means)] - means[_known(b, means)])]
    else:
        if len(means) < 2:
            raise PluginError("direction sampler 'dataset-contrast' needs at least two datasets")
        pairs = [
            (f"{name}-vs-rest", mean - np.mean([m for other, m in means.items() if other != name], axis=0))
            for name, mean in means.items()
        ]
    return Directions([name for name, _ in pairs], unit_rows(np.array([vector for _, vector in pairs])))


def _known(name: str, means: dict) -> str:
    if name not in means:
        raise PluginError(f"direction sampler 'dataset-contrast': no dataset {name!r} (datasets: {', '.join(means)})")
    return name


@hookimpl
def illusion_direction_samplers():
    seed = Param("seed", int, None, "seed of the draw (the run's seed when unset)")
    yield DirectionSamplerPlugin(
        name="neuron",
        description="Basis directions: a seeded random subset of neurons, explicit indices, or all.",
        factory=neurons,
        params=[
            Param("count", int, 25, "how many neurons to draw"),
            Param("indices", list, [], "explicit neuron indices", item_type=int),
            Param("all", bool, False, "take every neuron"),
            seed,
        ],
    )
    yield DirectionSamplerPlugin(
        name="random",
        description="Seeded isotropic Gaussian directions, normalised to unit length.",
        factory=random_directions,
        params=[Param("count", int, 33, "how many directions"), seed],
        role="baseline",
    )
    yield DirectionSamplerPlugin(
        name="pca",
        description="Principal directions of the pooled sentence vectors.",
        factory=principal_directions,
        params=[
            Param("count", int, 10, "how many components"),
            Param("datasets", list, [], "datasets to pool (all when empty)", item_type=str),
        ],
    )
    yield DirectionSamplerPlugin(
        name="file",
        description="Directions read from a .npy, .pt or .safetensors file, one per row.",
        factory=file_directions,
        params=[
            Param("path", str, help="file of shape (count, dim)"),
            Param("key", str, None, "tensor name inside .pt/.safetensors"),
            Param("normalize", bool, True, "scale rows to unit length"),
        ],
    )
    yield DirectionSamplerPlugin(
        name="dataset-contrast",
        description="Difference of two datasets' mean vectors: the archetypal dataset-level direction.",
        factory=dataset_contrast,
        params=[
            Param("a", str, None, "first dataset (each dataset vs the rest when unset)"),
            Param("b", str, None, "second dataset"),
        ],
        role="dataset-level",
    )
