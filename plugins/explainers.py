"""Built-in explainers: over-represented words (``keywords``), their meaning (``similar``), and people's
descriptions from a labelling campaign (``human``).

``keywords`` ranks words and bigrams by the weighted log-odds ratio with an informative Dirichlet prior
(Monroe, Colaresi and Quinn 2008, eq. 22). A term counts once per sentence it is in (a pattern finds
sentences, not tokens): with counts ``y`` in the top sentences (``n`` in all) and ``c`` in the contrast
sample (``m`` in all), and a prior ``a_w = a0 * (y_w + c_w) / (n + m)``,

    delta_w = log((y_w + a_w) / (n + a0 - y_w - a_w)) - log((c_w + a_w) / (m + a0 - c_w - a_w))
    z_w = delta_w / sqrt(1 / (y_w + a_w) + 1 / (c_w + a_w))

The terms with the highest ``z_w`` (at least ``min_z``, in at least ``min_sentences`` top sentences; a bigram
only when neither of its words is kept) make a ``words:`` pattern. Cost: O(tokens of the top sentences and the contrast sample) per direction; the
contrast sample's counts are kept between directions.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from illusion import (
    ExplainerInput,
    ExplainerPlugin,
    Explanation,
    Param,
    PluginError,
    check_annotation_run,
    hookimpl,
    open_run,
)
from illusion.plugins.concept_detectors import dotless

WORD = re.compile(r"\w+")
ANNOTATIONS = "annotations.jsonl"


def terms(text: str) -> list[str]:
    """A sentence's words (lower-cased as the ``words`` detector matches them) and its bigrams of words one space
    apart, as the ``words`` detector finds them."""
    found = list(WORD.finditer(text))
    pairs = [dotless(f"{a.group()} {b.group()}").lower() for a, b in pairwise(found) if text[a.end() : b.start()] == " "]
    return [dotless(w.group()).lower() for w in found] + pairs


def counts(texts: Sequence[str]) -> Counter[str]:
    """How many of ``texts`` hold each term."""
    return Counter(term for text in texts for term in set(terms(text)))


@lru_cache(maxsize=64)
def _contrast_counts(texts: tuple[str, ...]) -> Counter[str]:
    return counts(texts)  # the same contrast sample serves every direction of a dataset


def log_odds(top: Counter[str], contrast: Counter[str], prior: float) -> dict[str, float]:
    """z-score of each term's weighted log-odds of the top counts against the contrast counts (Monroe et al. 2008)."""
    n, m = sum(top.values()), sum(contrast.values())
    total = n + m
    scores = {}
    for term, y in top.items():
        c = contrast.get(term, 0)
        a = prior * (y + c) / total
        delta = math.log((y + a) / (n + prior - y - a)) - math.log((c + a) / (m + prior - c - a))
        scores[term] = delta / math.sqrt(1 / (y + a) + 1 / (c + a))
    return scores


def top_terms(sample: ExplainerInput, count: int, prior: float, min_z: float, min_sentences: int) -> list[str]:
    """The ``count`` terms most over-represented in the top sentences, highest z first (ties by term)."""
    top = counts(sample.top)
    scores = log_odds(top, _contrast_counts(tuple(sample.contrast)), prior)
    ranked = sorted((t for t, z in scores.items() if z >= min_z and top[t] >= min_sentences), key=lambda t: (-scores[t], t))
    kept: list[str] = []
    for term in ranked:  # a bigram with a kept word finds no sentence the word does not: it is left out
        if " " in term and set(term.split()) & set(kept):
            continue
        kept = [k for k in kept if term not in k.split()] + [term]
        if len(kept) == count:
            break
    return kept


def _check(count: int, prior: float, name: str) -> None:
    if count < 1 or not prior > 0:
        raise PluginError(f"explainer {name!r}: count must be at least 1 and prior above 0 (got {count}, {prior})")


def keywords(count: int, prior: float, min_z: float, min_sentences: int) -> Callable[[ExplainerInput], Explanation | None]:
    _check(count, prior, "keywords")

    def explain(sample: ExplainerInput) -> Explanation | None:
        found = top_terms(sample, count, prior, min_z, min_sentences)
        return Explanation(", ".join(found), "words:" + ",".join(found)) if found else None

    return explain


def similar(
    count: int, prior: float, min_z: float, min_sentences: int, threshold: float
) -> Callable[[ExplainerInput], Explanation | None]:
    _check(count, prior, "similar")
    if not -1 <= threshold <= 1:
        raise PluginError(f"explainer 'similar': threshold must lie in [-1, 1], not {threshold}")

    def explain(sample: ExplainerInput) -> Explanation | None:
        found = top_terms(sample, count, prior, min_z, min_sentences)
        text = " ".join(found)
        return Explanation(text, f"similar:{text}", {"threshold": threshold}) if found else None

    return explain


def human(annotations: str | None) -> Callable[[ExplainerInput], Explanation | None]:
    def explain(sample: ExplainerInput) -> Explanation | None:
        path = Path(annotations) if annotations else Path(sample.run_dir) / ANNOTATIONS
        stamp = path.stat().st_mtime_ns if path.is_file() else 0
        said = _descriptions(str(path), stamp, _run_id(sample.run_dir)).get((sample.direction, sample.dataset))
        if not said:
            return None
        [(text, _)] = Counter(said).most_common(1)  # the description given most often; the first on a tie
        return Explanation(text)

    return explain


@lru_cache(maxsize=8)
def _run_id(run_dir: str) -> str | None:
    """The id of the run in ``run_dir`` (None outside a run)."""
    return open_run(run_dir).run_id if run_dir else None


@lru_cache(maxsize=8)
def _descriptions(path: str, stamp: int, run_id: str | None) -> dict[tuple[str, str], list[str]]:
    """(direction, dataset) -> the descriptions annotators gave the set, where they saw a pattern, in file order
    (read again when the file's modification time ``stamp`` changes); every row must be of the run ``run_id``."""
    file = Path(path)
    if not file.is_file():
        return {}
    found: dict[tuple[str, str], list[str]] = {}
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PluginError(f"explainer 'human': {file}, line {number}: not JSON ({exc.msg}); re-import the campaign") from None
        if isinstance(row, dict) and run_id is not None:
            check_annotation_run(row.get("run_id"), run_id, f"explainer 'human': {file}, line {number}")
        if isinstance(row, dict) and row.get("task_type") == "set" and row.get("pattern") == "yes":
            text = str(row.get("description") or "").strip()
            if text and row.get("direction") and row.get("dataset"):
                found.setdefault((str(row["direction"]), str(row["dataset"])), []).append(text)
    return found


def _terms_params() -> list[Param]:
    return [
        Param("count", int, 3, "how many words or bigrams to keep"),
        Param("prior", float, 100.0, "size a0 of the Dirichlet prior, spread as the words' frequency in top and contrast"),
        Param("min_z", float, 1.96, "keep only terms whose log-odds z-score is at least this"),
        Param("min_sentences", int, 2, "keep only terms found in at least this many top sentences"),
    ]


@hookimpl
def illusion_explainers() -> Sequence[ExplainerPlugin]:
    return [
        ExplainerPlugin(
            name="keywords",
            description="Words and bigrams over-represented in the top sentences (weighted log-odds), as a words: pattern.",
            factory=keywords,
            params=_terms_params(),
        ),
        ExplainerPlugin(
            name="similar",
            description="The over-represented words as a description, scored by sentence similarity (similar:).",
            factory=similar,
            params=[*_terms_params(), Param("threshold", float, 0.4, "cosine similarity a sentence needs to match")],
        ),
        ExplainerPlugin(
            name="human",
            description="The description annotators gave most often to the direction's set in the dataset (annotations.jsonl).",
            factory=human,
            params=[Param("annotations", str, None, "annotations file to read (default: the run's annotations.jsonl)")],
        ),
    ]
