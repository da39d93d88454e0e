"""Direction pages computed on demand, for any direction the run can compute, not only its sampled ones.

A neuron that was not sampled (``neuron:300``) or a row of a file (``file:PATH[#ROW]``) is resolved
by ``illusion.run.lookup`` (through ``RunView``) and projected on the run's stored vectors: its top
and bottom k per dataset, its activation profile (the same bins and seeded samples ``illusion run``
writes) and its pooled top-k findings, in the format of a sampled direction's page. No model is
run, so the page has no driving-token marks. A spec the run cannot compute gets a page that says why.
Its explanations are the direction's rows of ``explanations.jsonl`` when the file has some (as the
written pages show them); else those ``explain`` computes now, and the page says they were.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from illusion.errors import IllusionError
from illusion.explore.build import SIDES, findings, profile, scaled, unlisted
from illusion.explore.explanations import read_explanations, shown
from illusion.explore.shading import Shading
from illusion.run import profiles
from illusion.run.schema import ExplanationRow
from illusion.run.stats import direction_findings
from illusion.run.view import RunView, open_run

# The hook for explanations of directions explanations.jsonl does not hold: given the run and a direction spec,
# the rows ``explanations.jsonl`` would hold for it (illusion.run.schema.ExplanationRow).
Explain = Callable[[RunView, str], list[ExplanationRow]]


class OnDemand:
    """Pages of directions computed from one run's stored vectors; ``explain`` adds their explanations."""

    def __init__(self, run_dir: str | Path, explain: Explain | None = None):
        self.run = open_run(run_dir)
        self.explain = explain
        self.explained = read_explanations(run_dir)  # the rows of explanations.jsonl, shown in place of computed ones
        self.shades = Shading(self.run)
        self._lock = threading.Lock()  # one computation at a time: the run's data loads once

    def page(self, spec: str) -> dict[str, Any]:
        """The page of direction ``spec``, or ``{"error": why}`` when the run cannot compute it."""
        return self._answer(spec, self._page)

    def shading(self, spec: str) -> dict[str, Any]:
        """Per dataset and side, the token shares of each listed sentence of ``spec`` (see ``Shading``), or ``{"error": why}``."""
        return self._answer(spec, self._shading)

    def _answer(self, spec: str, compute: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        try:
            with self._lock:
                return compute(spec)
        except IllusionError as exc:
            return {"id": spec, "error": str(exc)}

    def _shading(self, spec: str) -> dict[str, Any]:
        if spec in self.run.direction_ids:
            listed = self.run.topk(direction=spec)
            groups = listed.groupby(["dataset", "side"])
            texts = {key: part.sort_values("rank").text.tolist() for key, part in groups}
        else:
            _, _, everything, top, bottom = self._listing(spec)
            texts = {
                (name, side): [everything[name][i] for i in chosen[name]]
                for name in self.run.datasets
                for side, chosen in zip(SIDES, (top, bottom))
            }
        vector = self.run.direction(spec)
        sets = [{side: self.shades.tokens(texts.get((name, side), []), vector) for side in SIDES} for name in self.run.datasets]
        return {"id": spec, "sets": sets}

    def _listing(
        self, spec: str
    ) -> tuple[Any, dict[str, np.ndarray], dict[str, list[str]], dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Every sentence's activation on ``spec``; per dataset its scores, texts, and top and bottom k (indices)."""
        frame = self.run.activations(spec)
        scores = {name: frame.activation[frame.dataset == name].to_numpy(np.float32) for name in self.run.datasets}
        texts = {name: frame.text[frame.dataset == name].tolist() for name in self.run.datasets}
        top = {name: np.argsort(-s, kind="stable")[: self.run.k] for name, s in scores.items()}
        bottom = {name: np.argsort(s, kind="stable")[: self.run.k] for name, s in scores.items()}
        return frame, scores, texts, top, bottom

    def _page(self, spec: str) -> dict[str, Any]:
        frame, scores, texts, top, bottom = self._listing(spec)
        k, names = self.run.k, self.run.datasets
        ranges = profiles.shared_range(
            [scores[n][bottom[n]][None, :] for n in names], [scores[n][top[n]][None, :] for n in names]
        )
        vector = self.run.direction(spec)[None, :]
        seed = self.run.config.seed
        parts = [
            profiles.dataset_profile(self.run.vectors(n), vector, ranges, k, profiles.sentence_keys(seed, n, 0, len(scores[n])))
            for n in names
        ]
        found = profiles.assemble(ranges, parts)
        name = str(frame.attrs["direction"])
        finding = direction_findings({n: (top[n][None, :], scores[n][top[n]][None, :]) for n in names}, [name], [name], k)
        entry: dict[str, Any] = {
            "id": spec,
            "condition": name,
            "computed": f"{name}, {len(frame)} sentences",
            **findings(finding[name]),
            "score": None,
            "parts": {},
            "shown": {"score": "-", "parts": {}},
            "locality": None,
            "sets": [
                {side: _listed(texts[n], scores[n], chosen[n]) for side, chosen in zip(SIDES, (top, bottom))} for n in names
            ],
        }
        samples = []
        for d, n in enumerate(names):
            index = unlisted(found.samples[0, d], np.concatenate([top[n], bottom[n]]))
            samples.append(
                {
                    "n": [[texts[n][i] if i >= 0 else -1 for i in row] for row in index.tolist()],
                    "s": scaled(found.sample_scores[0, d]).tolist(),
                }
            )
        entry |= profile(found, 0, samples)
        return entry | self._explanations(spec, name)

    def _explanations(self, spec: str, name: str) -> dict[str, Any]:
        """The direction's rows of ``explanations.jsonl`` when it has some; else, with ``explain``, those computed now,
        labelled as such (the default settings of ``illusion explain``, not the file's)."""
        written = self.explained.get(name) or self.explained.get(spec)
        if written:
            return {"explanations": written}
        if self.explain is None:
            return {}
        rows = self.explain(self.run, spec)
        explainers = ", ".join(dict.fromkeys(row.explainer for row in rows)) or "the default explainers"
        return {
            "explanations": [shown(row) for row in rows],
            "explained": f"Computed on demand for this page by {explainers} with the defaults of `illusion explain` "
            "(not in explanations.jsonl).",
        }


def _listed(texts: list[str], scores: np.ndarray, chosen: np.ndarray) -> dict[str, list[Any]]:
    return {
        "n": [texts[i] for i in chosen],
        "s": scaled(scores[chosen]).tolist(),
        "a": [-1] * len(chosen),
        "b": [-1] * len(chosen),
    }
