"""Dataset separability: the run's linear dataset classifier (``illusion.run.stats.dataset_classifier``, trained by
``illusion run``) and a 2-D picture of the vectors coloured by dataset (UMAP where the ``umap-learn``
package is installed, else PCA).

Cost: the picture uses a seeded sample of ``points`` sentences per dataset, so it does not grow with
the datasets beyond reading the sampled rows.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

import numpy as np

from illusion.common.seeds import rng_for
from illusion.run.schema import Separability

POINTS = 300


def projection(vectors: Mapping[str, np.ndarray], seed: int, points: int = POINTS, method: str = "auto") -> dict[str, Any]:
    """2-D coordinates of up to ``points`` sampled sentences per dataset, scaled to [0, 1] on each axis.

    ``points`` rows are [x, y, dataset number]; ``method`` is "pca", "umap" or "auto" (umap when installed).
    """
    labels = list(vectors)
    samples, numbers = [], []
    for number, name in enumerate(labels):
        rng = rng_for(seed, name)
        rows = np.sort(rng.choice(len(vectors[name]), size=min(points, len(vectors[name])), replace=False))
        samples.append(np.asarray(vectors[name][rows], dtype=np.float64))
        numbers.append(np.full(len(rows), number))
    x = np.concatenate(samples)
    if method == "auto":
        method = "umap" if importlib.util.find_spec("umap") else "pca"
    if len(x) < 3:
        return {"method": method, "labels": labels, "points": [], "note": "fewer than three sentences"}
    if method == "umap":
        import umap

        xy = umap.UMAP(n_components=2, random_state=seed).fit_transform(x)
        explained = None
    else:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=seed).fit(x)
        xy, explained = pca.transform(x), [round(float(v), 6) for v in pca.explained_variance_ratio_]
    low, span = xy.min(axis=0), np.ptp(xy, axis=0)
    xy = (xy - low) / np.where(span > 0, span, 1.0)
    return {
        "method": method,
        "labels": labels,
        "explained_variance": explained,
        "points": [[round(float(a), 4), round(float(b), 4), int(c)] for (a, b), c in zip(xy, np.concatenate(numbers))],
    }


def separability(classifier: Separability, vectors: Mapping[str, np.ndarray], seed: int, points: int = POINTS) -> dict[str, Any]:
    """The held-out dataset ``classifier`` (``illusion.run.stats.dataset_classifier``, the run's) with the 2-D projection added."""
    return {**classifier.to_json(), "projection": projection(vectors, seed, points)}
