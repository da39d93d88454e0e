"""The explorer's data: an index of every direction (one small file), direction details in shards, word postings in buckets.

Each data file is a script that hands its content to the page (``EXPLORE.put(name, data)``), so the
folder works from ``file://`` as well as from any static server: nothing is fetched, nothing
comes from the internet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np

from illusion.common.numbers import figure
from illusion.diagnostics.score import parts
from illusion.explore.sentences import BLOCK, SentenceTable
from illusion.explore.source import Source
from illusion.explore.words import bucket, words

SHARD = 50  # directions per detail file


def _rounded(value: Any, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


class Explorer:
    """Everything the explorer shows of one run, as JSON-able files by name (``data/...``)."""

    def __init__(self, source: Source):
        self.source = source
        self.datasets = source.datasets
        self.ids = [d.id for d in source.directions]
        self.number = {identifier: n for n, identifier in enumerate(self.ids)}
        self.rows = source.sets
        self.sentences = SentenceTable(self.datasets)
        self.scores = (source.diagnostics or {}).get("illusion_score", {}).get("directions", {})
        self.uncertainty = (source.diagnostics or {}).get("uncertainty", {})
        self.findings = source.stats.directions if source.stats else {}
        self.campaign = (source.agreement or {}).get("cross_dataset", {}).get("directions") if source.agreement else None

    def parts(self, identifier: str) -> dict[str, float | None]:
        if identifier in self.scores:
            return self.scores[identifier]["parts"]
        finding = self.findings.get(identifier)
        empty: dict[str, float | None] = {"concentration": None, "separation": None, "inconsistency": None}
        return parts(finding.to_json(), None, len(self.datasets)) if finding else empty

    def shown(self, identifier: str) -> dict[str, Any]:
        """The score and its parts as the report and the terminal show them, each with its 95% interval when there is one."""
        bounds = self.uncertainty.get("directions", {}).get(identifier, {})
        return {
            "score": figure(self.scores.get(identifier, {}).get("score"), bounds.get("score")),
            "parts": {key: figure(value, bounds.get(key)) for key, value in self.parts(identifier).items()},
        }

    def index(self) -> dict[str, Any]:
        """One row per direction, columns side by side: what the index sorts, filters and pages through."""
        conditions = sorted({d.condition for d in self.source.directions})
        columns: dict[str, list[Any]] = defaultdict(list)
        for direction in self.source.directions:
            identifier = direction.id
            these, finding = self.parts(identifier), self.findings.get(identifier)
            overlaps = list(finding.range_overlap.values()) if finding else []
            columns["id"].append(identifier)
            columns["condition"].append(conditions.index(direction.condition))
            columns["score"].append(_rounded(self.scores.get(identifier, {}).get("score")))
            columns["concentration"].append(_rounded(these["concentration"]))
            columns["overlap"].append(_rounded(np.mean(overlaps)) if overlaps else None)
            largest = finding.pooled.largest_dataset if finding else None
            columns["largest"].append(self.datasets.index(largest) if largest in self.datasets else None)
            if self.campaign is not None:
                call = self.campaign.get(identifier, {})
                columns["call"].append(call.get("call"))
                columns["same"].append(_rounded(call.get("same_share")))
                columns["patterns"].append(len(call.get("datasets_with_pattern") or []))
        manifest = self.source.manifest
        model = manifest.model or {}
        return {
            "run": {
                "id": manifest.run_id,
                "created": manifest.created,
                "model": str(model.get("model", model)),
                "k": manifest.k,
            },
            "datasets": self.datasets,
            "conditions": conditions,
            "shard": SHARD,
            "block": BLOCK,
            "campaign": self.campaign is not None,
            "diagnosed": bool(self.scores),
            "reliability": self.uncertainty.get("reliability"),
            "profiles": self.source.profiles is not None,
            "columns": columns,
        }

    def direction(self, n: int) -> dict[str, Any]:
        """One direction's page: findings, histograms, and its sentences per dataset as sentence numbers."""
        identifier = self.ids[n]
        finding = self.findings.get(identifier)
        pooled = finding.pooled.to_json() if finding else {}
        diagnostics = self.source.diagnostics or {}
        entry: dict[str, Any] = {
            "id": identifier,
            "condition": self.source.directions[n].condition,
            "pooled": {key: pooled.get(key) for key in ("counts", "largest_dataset", "largest_share")},
            "overlap": finding.range_overlap if finding else {},
            "score": _rounded(self.scores.get(identifier, {}).get("score")),
            "parts": {key: _rounded(value) for key, value in self.parts(identifier).items()},
            "shown": self.shown(identifier),
            "locality": diagnostics.get("locality", {}).get("directions", {}).get(identifier, {}).get("per_dataset"),
            "sets": [],
        }
        rows = self.rows.get(identifier, {})
        for name in self.datasets:
            row = rows.get(name, {})
            entry["sets"].append(
                {
                    "top": [self.sentences.entry(name, e) for e in row.get("top", [])],
                    "bottom": [self.sentences.entry(name, e) for e in row.get("bottom", [])],
                }
            )
        if self.source.profiles is not None:
            self._profile(n, entry)
        if self.campaign is not None and identifier in self.campaign:
            entry["campaign"] = self.campaign[identifier]
        return entry

    def _profile(self, n: int, entry: dict[str, Any]) -> None:
        assert self.source.profiles is not None  # index() calls this only for runs with profiles
        found, sampled = self.source.profiles
        entry["range"] = [round(float(v), 4) for v in found.range[n]]
        entry["hist"] = np.asarray(found.histograms[n]).tolist()
        samples, scores = np.asarray(found.samples[n]), np.asarray(found.sample_scores[n])
        for d, name in enumerate(self.datasets):
            entry["sets"][d]["samples"] = [
                [
                    [
                        self.sentences.number(name, sampled[name, int(i)].id, sampled[name, int(i)].text),
                        round(float(s), 4),
                    ]
                    for i, s in zip(samples[d, j], scores[d, j])
                    if i >= 0
                ]
                for j in range(samples.shape[1])
            ]

    def files(self) -> Iterator[tuple[str, Any]]:
        """Every data file as (name under data/, content); sentence blocks last, once every direction has numbered its own."""
        postings: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
        for first in range(0, len(self.ids), SHARD):
            shard = [self.direction(n) for n in range(first, min(first + SHARD, len(self.ids)))]
            yield f"d/{first // SHARD}", shard
            for n in range(first, first + len(shard)):
                self._post(n, postings)
        for name, found in postings.items():
            yield f"w/{name}", {word: sorted(mask.items()) for word, mask in found.items()}
        for (d, block), rows in self.sentences.blocks().items():
            yield f"s/{d}/{block}", rows
        yield "index", self.index()

    def _post(self, n: int, postings: dict[str, dict[str, dict[int, int]]]) -> None:
        """Record, for every word of the direction's top sets, in which datasets (a bit mask) it occurs."""
        for d, name in enumerate(self.datasets):
            for entry in self.rows.get(self.ids[n], {}).get(name, {}).get("top", []):
                for word in words(entry["text"]) | words(str(entry.get("token") or "").replace("##", "")):
                    found = postings[bucket(word)][word]
                    found[n] = found.get(n, 0) | (1 << d)
