"""The explorer's data: an index of every direction (one small file), direction details in shards, word postings in buckets.

Each data file is a script that hands its content to the page (``EXPLORE.put(name, data)``), so the
folder works from ``file://`` as well as from any static server: nothing is fetched, nothing
comes from the internet.

``topk.jsonl`` is read once, streamed: each listed sentence becomes a number in the sentence table
and its score and whole-word mark go into arrays (directions x datasets x side x rank), so memory
grows with the number of listed sentences as numbers, not as text. Word postings are sparse
products: directions x sentences (or tokens) times sentences (or tokens) x words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

import numpy as np
from scipy import sparse

from illusion.common.numbers import figure
from illusion.diagnostics.score import parts
from illusion.errors import IllusionError
from illusion.explore.sentences import BLOCK, SentenceTable, mark
from illusion.explore.source import Source
from illusion.explore.words import bucket, words
from illusion.run.folder import TOPK
from illusion.run.schema import DirectionStats

SHARD = 50  # directions per detail file
SCALE = 10_000  # scores are written in ten-thousandths
SIDES = ("top", "bottom")


def _rounded(value: Any, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def scaled(scores: Any) -> np.ndarray:
    """Scores as whole ten-thousandths (the page divides by ``SCALE``): integers write and read faster than decimals."""
    return np.rint(np.nan_to_num(np.asarray(scores, dtype=np.float64)) * SCALE).astype(np.int64)


def findings(finding: DirectionStats | None) -> dict[str, Any]:
    """What a direction page shows of a direction's ``stats.json`` entry (none: the run's statistics lack it)."""
    pooled = finding.pooled if finding else None
    return {
        "pooled": {
            "counts": pooled.counts if pooled else None,
            "largest_dataset": pooled.largest_dataset if pooled else None,
            "largest_share": pooled.largest_share if pooled else None,
        },
        "overlap": finding.range_overlap if finding else {},
    }


def profile(found: Any, n: int, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """A direction's range and histograms from the profiles ``found``, and its samples per dataset."""
    return {
        "range": [round(float(v), 4) for v in found.range[n]],
        "hist": np.asarray(found.histograms[n]).tolist(),
        "samples": samples,
    }


def unlisted(samples: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """``samples`` (..., intervals, k) with -1 (not shown) for those among ``shown`` (..., their top and bottom lists)."""
    return np.where((samples[..., None] == shown[..., None, None, :]).any(-1), -1, samples)


class Listed:
    """Every listed sentence of the run as arrays (directions, datasets, side, rank), read in one pass over ``topk.jsonl``;
    the words of each sentence and driving token, for the postings."""

    def __init__(self, source: Source, number: dict[str, int], sentences: SentenceTable):
        shape = (len(number), len(source.datasets), len(SIDES), source.manifest.k)
        self.numbers = np.full(shape, -1, dtype=np.int32)
        self.scores = np.zeros(shape, dtype=np.float64)
        self.starts = np.full(shape, -1, dtype=np.int32)
        self.ends = np.full(shape, -1, dtype=np.int32)
        self.tokens = np.full(shape[:2] + shape[3:], -1, dtype=np.int32)  # the top lists' driving tokens
        self.token_ids: dict[str, int] = {}
        marks: dict[tuple[int, int, int, int], tuple[int, int] | None] = {}
        column = {name: d for d, name in enumerate(source.datasets)}
        file = source.path / TOPK
        for row in source.run.topk_rows():
            if row.direction not in number or row.dataset not in column:
                raise IllusionError(
                    f"{file}: a row for {row.direction!r} in {row.dataset!r}, not in the manifest; rerun `illusion run`"
                )
            n, d, dataset = number[row.direction], column[row.dataset], row.dataset
            known = sentences.numbers[dataset]
            for side, entries in enumerate((row.top, row.bottom)):
                entries = entries[: shape[3]]
                found = [known[e.id] if e.id in known else sentences.number(dataset, e.id, e.text) for e in entries]
                self.numbers[n, d, side, : len(found)] = found
                self.scores[n, d, side, : len(found)] = [e.score for e in entries]
                for rank, (sentence, entry) in enumerate(zip(found, entries)):
                    if entry.span:
                        key = (d, sentence, entry.span[0], entry.span[1])
                        if key not in marks:
                            marks[key] = mark(entry.text, entry.span)
                        self.starts[n, d, side, rank], self.ends[n, d, side, rank] = marks[key] or (-1, -1)
                if side == 0:
                    tokens = [self.token_ids.setdefault(e.token, len(self.token_ids)) if e.token else -1 for e in entries]
                    self.tokens[n, d, : len(tokens)] = tokens

    def postings(self, sentences: SentenceTable) -> Iterator[tuple[str, dict[str, list[int]]]]:
        """Per bucket, word -> [direction number, mask of the datasets whose top lists hold the word, number, mask, ...]."""
        vocabulary: dict[str, int] = {}

        def incidence(texts: Sequence[str]) -> sparse.csr_matrix:  # texts x words
            ids = [[vocabulary.setdefault(w, len(vocabulary)) for w in words(text)] for text in texts]
            indptr = np.cumsum([0] + [len(found) for found in ids])
            flat = np.fromiter((w for found in ids for w in found), dtype=np.int64, count=int(indptr[-1]))
            return sparse.csr_matrix((np.ones(len(flat), dtype=np.int32), flat, indptr), shape=(len(texts), len(vocabulary)))

        tokens = list(self.token_ids)
        by_text = [incidence([text for _, text in rows]) for rows in sentences.rows.values()]
        by_token = incidence([token.replace("##", "") for token in tokens])
        width = len(vocabulary)
        directions = self.numbers.shape[0]
        masks = sparse.csr_matrix((directions, width), dtype=np.int64)
        for d, texts in enumerate(by_text):
            hit = _resize(_members(self.numbers[:, d, 0], texts.shape[0]) @ _resize(texts, width), width)
            hit = (hit + _members(self.tokens[:, d], len(tokens)) @ _resize(by_token, width)).astype(np.int64)
            hit.data[:] = 1 << d
            masks = masks + hit
        by_word = masks.T.tocsr()
        del masks
        names = sorted(vocabulary, key=lambda word: (bucket(word), word))
        for name, group in groupby(names, key=bucket):  # one bucket's postings in memory at a time
            found = {}
            for word in group:
                part = slice(by_word.indptr[vocabulary[word]], by_word.indptr[vocabulary[word] + 1])
                if part.start < part.stop:
                    found[word] = np.column_stack([by_word.indices[part], by_word.data[part]]).ravel().tolist()
            yield name, found


def _members(rows: np.ndarray, width: int) -> sparse.csr_matrix:
    """A 0/1 matrix (rows x ``width``) with a 1 at each listed column of each row (-1: none)."""
    row, column = np.nonzero(rows >= 0)
    return sparse.csr_matrix((np.ones(len(row), dtype=np.int32), (row, rows[row, column])), shape=(len(rows), width))


def _resize(matrix: sparse.csr_matrix, width: int) -> sparse.csr_matrix:
    matrix.resize((matrix.shape[0], width))
    return matrix


class Explorer:
    """Everything the explorer shows of one run, as JSON-able files by name (``data/...``)."""

    def __init__(self, source: Source):
        self.source = source
        self.datasets = source.datasets
        self.ids = [d.id for d in source.directions]
        self.number = {identifier: n for n, identifier in enumerate(self.ids)}
        self.sentences = SentenceTable(self.datasets)
        self.listed = Listed(source, self.number, self.sentences)
        self.scores = (source.diagnostics or {}).get("illusion_score", {}).get("directions", {})
        self.uncertainty = (source.diagnostics or {}).get("uncertainty", {})
        self.findings = source.stats.directions if source.stats else {}
        self.campaign = (source.agreement or {}).get("cross_dataset", {}).get("directions") if source.agreement else None
        self.samples = self._sample_numbers()

    def parts(self, identifier: str) -> dict[str, float | None]:
        if identifier in self.scores:
            return self.scores[identifier]["parts"]
        finding = self.findings.get(identifier)
        empty: dict[str, float | None] = {"concentration": None, "separation": None, "inconsistency": None}
        return parts(finding, None, len(self.datasets)) if finding else empty

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
            "explanations": bool(self.source.explanations),
            "columns": columns,
        }

    def _sample_numbers(self) -> np.ndarray | None:
        """The profiles' sampled sentences as sentence numbers (directions, datasets, intervals, k); -1 where none."""
        if self.source.profiles is None:
            return None
        found, sampled = self.source.profiles
        samples = np.asarray(found.samples)
        numbers = np.full(samples.shape, -1, dtype=np.int32)
        for d, name in enumerate(self.datasets):
            index = samples[:, d]
            present = np.unique(index[index >= 0])
            table = np.full(int(present.max()) + 1 if len(present) else 1, -1, dtype=np.int32)
            for i in present.tolist():
                table[i] = self.sentences.number(name, sampled[name, i].id, sampled[name, i].text)
            numbers[:, d] = np.where(index >= 0, table[np.maximum(index, 0)], -1)
        return numbers

    def shard(self, first: int, last: int) -> list[dict[str, Any]]:
        """The pages of directions ``first`` .. ``last - 1``: per dataset, each list as columns (``n``: sentence numbers,
        -1 for an empty slot; ``s``: scores in ten-thousandths; ``a``, ``b``: the mark, -1 for none)."""
        part, lists, count = slice(first, last), self.listed, len(self.datasets)
        n_, s_, a_, b_ = (
            x.tolist() for x in (lists.numbers[part], scaled(lists.scores[part]), lists.starts[part], lists.ends[part])
        )
        samples = None
        if self.samples is not None and self.source.profiles is not None:
            found = self.source.profiles[0]
            shown = unlisted(self.samples[part], lists.numbers[part].reshape(last - first, count, -1))
            samples = (shown.tolist(), scaled(found.sample_scores[part]).tolist())
        pages = []
        for i, n in enumerate(range(first, last)):
            entry = self.direction(n)
            entry["sets"] = [
                {side: {"n": n_[i][d][s], "s": s_[i][d][s], "a": a_[i][d][s], "b": b_[i][d][s]} for s, side in enumerate(SIDES)}
                for d in range(count)
            ]
            if samples is not None:
                entry |= profile(found, n, [{"n": samples[0][i][d], "s": samples[1][i][d]} for d in range(count)])
            pages.append(entry)
        return pages

    def direction(self, n: int) -> dict[str, Any]:
        """One direction's findings, scores, campaign and explanations (its sentences are added by ``shard``)."""
        identifier = self.ids[n]
        diagnostics = self.source.diagnostics or {}
        entry: dict[str, Any] = {
            "id": identifier,
            "condition": self.source.directions[n].condition,
            **findings(self.findings.get(identifier)),
            "score": _rounded(self.scores.get(identifier, {}).get("score")),
            "parts": {key: _rounded(value) for key, value in self.parts(identifier).items()},
            "shown": self.shown(identifier),
            "locality": diagnostics.get("locality", {}).get("directions", {}).get(identifier, {}).get("per_dataset"),
        }
        if self.campaign is not None and identifier in self.campaign:
            entry["campaign"] = self.campaign[identifier]
        if identifier in self.source.explanations:
            entry["explanations"] = self.source.explanations[identifier]
        return entry

    def files(self) -> Iterator[tuple[str, Any]]:
        """Every data file as (name under data/, content); sentence blocks last, once every direction has numbered its own."""
        for first in range(0, len(self.ids), SHARD):
            yield f"d/{first // SHARD}", self.shard(first, min(first + SHARD, len(self.ids)))
        for name, found in self.listed.postings(self.sentences):
            yield f"w/{name}", found
        for (d, block), rows in self.sentences.blocks().items():
            yield f"s/{d}/{block}", rows
        yield "index", self.index()
