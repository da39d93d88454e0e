"""The first automatic cross-dataset statistics of a run: pooled top-k composition, range overlap, separability."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np

from illusion.run.schema import ConditionStats, DirectionStats, Pooled, PooledEntry, Separability


def pooled_top(per_dataset: Mapping[str, tuple[np.ndarray, np.ndarray]], k: int) -> list[tuple[str, int, float]]:
    """The k highest (dataset, index, score) over all datasets, from each dataset's own top-k."""
    entries = [(name, int(i), float(s)) for name, (index, score) in per_dataset.items() for i, s in zip(index, score)]
    return sorted(entries, key=lambda entry: -entry[2])[:k]


def composition(pooled: Sequence[tuple[str, int, float]], record_ids: Mapping[str, Sequence[str]] | None = None) -> Pooled:
    """How the pooled top-k splits over datasets, and the share of the largest; with ``record_ids`` (dataset -> the id
    of each sentence), the pooled top-k itself."""
    counts = Counter(name for name, _, _ in pooled)
    dataset, largest = counts.most_common(1)[0]
    found = Pooled(counts=dict(counts), largest_dataset=dataset, largest_share=largest / len(pooled))
    if record_ids is None:
        return found
    top = [PooledEntry(dataset=name, id=record_ids[name][i], score=round(score, 6)) for name, i, score in pooled]
    return found.model_copy(update={"top": top})


def ranges_meet(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the score intervals [min, max] of two top-k lists intersect."""
    return bool(a.min() <= b.max() and b.min() <= a.max())


def overlapping_pairs(top_scores: Mapping[str, np.ndarray]) -> dict[str, bool]:
    """For each pair of datasets 'a|b', whether their top-k score ranges overlap (the paper: 38% of neuron pairs did)."""
    return {f"{a}|{b}": ranges_meet(top_scores[a], top_scores[b]) for a, b in combinations(sorted(top_scores), 2)}


def direction_findings(
    top: Mapping[str, tuple[np.ndarray, np.ndarray]],
    ids: Sequence[str],
    conditions: Sequence[str],
    k: int,
    record_ids: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, DirectionStats]:
    """Per direction: its condition, pooled top-k composition and top-k range overlaps.

    ``top[dataset]`` is (indices, scores) of the top-k, each of shape (directions, k), rows in ``ids`` order.
    With ``record_ids`` (dataset -> the id of each sentence), the pooled top-k itself is listed too.
    """
    return {
        identifier: DirectionStats(
            condition=condition,
            pooled=composition(pooled_top({name: (index[d], score[d]) for name, (index, score) in top.items()}, k), record_ids),
            range_overlap=overlapping_pairs({name: score[d] for name, (_, score) in top.items()}),
        )
        for d, (identifier, condition) in enumerate(zip(ids, conditions))
    }


def summarise_by_condition(directions: Mapping[str, DirectionStats]) -> dict[str, ConditionStats]:
    """Per condition: how many directions, the share of overlapping dataset pairs, the mean largest share."""
    summary = {}
    for condition in sorted({d.condition for d in directions.values()}):
        members = [d for d in directions.values() if d.condition == condition]
        overlaps = [value for d in members for value in d.range_overlap.values()]
        summary[condition] = ConditionStats(
            directions=len(members),
            range_overlap_share=float(np.mean(overlaps)) if overlaps else None,
            mean_largest_share=float(np.mean([d.pooled.largest_share for d in members])),
        )
    return summary


def dataset_classifier(vectors: Mapping[str, np.ndarray], seed: int, per_dataset: int = 2000) -> Separability:
    """Held-out accuracy and confusion matrix of a linear classifier that predicts the dataset from the vector."""
    from sklearn.metrics import confusion_matrix
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(seed)
    labels = sorted(vectors)
    xs, ys = [], []
    for number, name in enumerate(labels):
        rows = np.sort(rng.choice(len(vectors[name]), size=min(per_dataset, len(vectors[name])), replace=False))
        xs.append(np.asarray(vectors[name][rows], dtype=np.float32))
        ys.append(np.full(len(rows), number))
    x, y = np.concatenate(xs), np.concatenate(ys)
    if len(labels) < 2 or np.bincount(y).min() < 2:
        return Separability(labels=labels, accuracy=None, chance=None, confusion=None, note="needs two datasets of 2+ sentences")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    model = make_pipeline(StandardScaler(), LinearSVC(C=0.01, random_state=seed)).fit(x_train, y_train)
    predicted = model.predict(x_test)
    return Separability(
        labels=labels,
        classifier="linear SVM (C=0.01) on standardised vectors, 25% held out",
        test_size=len(y_test),
        accuracy=float((predicted == y_test).mean()),
        chance=float(np.bincount(y_test).max() / len(y_test)),
        confusion=confusion_matrix(y_test, predicted, labels=range(len(labels))).tolist(),
    )
