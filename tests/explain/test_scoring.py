"""How ``illusion explain`` scores an explanation, on bag-of-words datasets made in the test (no model): source and
other datasets scored alike, the explainer never sees the sentences its source score counts, untestable datasets
and constant directions, the candidate-against-baseline summary, and explainers' faulty detectors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from illusion import ExplainerInput, Explanation, PluginError
from illusion.diagnostics.concepts import Thresholds
from illusion.explain.direction import Context, Settings, explain_direction
from illusion.explain.runner import load_explainers, summary
from illusion.host import Host
from illusion.run.schema import ExplanationRow

VOCABULARY = [f"w{n}" for n in range(40)]


@dataclass
class Config:
    k: int = 10
    seed: int = 0


class WordRun:
    """A stand-in for a run: named datasets of sentences (what Context reads of a RunData)."""

    def __init__(self, sentences: dict[str, list[str]]):
        self.sentences = sentences
        self.names = list(sentences)
        self.records = sentences
        self.config = Config()
        self.path = Path("")

    def texts(self, name: str) -> list[str]:
        return self.sentences[name]


def bags(rng: np.random.Generator, count: int) -> tuple[list[str], np.ndarray]:
    """``count`` sentences of 3 to 8 words drawn from the vocabulary (Zipf-like), and their word counts."""
    weights = 1 / np.arange(1, len(VOCABULARY) + 1)
    words = [rng.choice(len(VOCABULARY), size=rng.integers(3, 9), p=weights / weights.sum()) for _ in range(count)]
    counts = np.array([np.bincount(w, minlength=len(VOCABULARY)) for w in words], dtype=np.float64)
    return [" ".join(VOCABULARY[i] for i in w) + f" s{n}." for n, w in enumerate(words)], counts


@pytest.fixture(scope="module")
def host():
    return Host()


def test_identically_built_datasets_have_no_transfer_gap_on_average(host):
    """Two datasets from one generative process: a random direction's explanation, made from one, scores the same on
    average on the source as on the other (the mean gap within 3 standard errors of 0)."""
    rng = np.random.default_rng(11)
    (a, counts_a), (b, counts_b) = bags(rng, 600), bags(rng, 600)
    run = WordRun({"a": a, "b": b})
    context = Context(run, host, load_explainers(host, ["keywords"]), Settings(replicates=2), ["a"])  # type: ignore[arg-type]
    gaps = []
    for n in range(150):
        weights = rng.standard_normal(len(VOCABULARY))
        activations = {"a": counts_a @ weights + rng.standard_normal(600), "b": counts_b @ weights + rng.standard_normal(600)}
        gaps += [row.transfer_gap for row in explain_direction(context, f"random:{n}", activations)]
    found = np.array([gap for gap in gaps if gap is not None])
    assert len(found) > 100
    assert abs(found.mean()) < 3 * found.std(ddof=1) / np.sqrt(len(found)), found.mean()


def test_the_explainer_never_sees_a_sentence_its_source_score_counts(host):
    rng = np.random.default_rng(3)
    sentences, counts = bags(rng, 400)
    run = WordRun({"a": sentences})
    seen: list[ExplainerInput] = []

    def watching(sample: ExplainerInput) -> Explanation:
        seen.append(sample)
        return Explanation("w1", "words:w1")

    context = Context(run, host, {"watching": watching}, Settings(replicates=50, contrast=300))  # type: ignore[arg-type]
    [row] = explain_direction(context, "d", {"a": counts @ rng.standard_normal(len(VOCABULARY))})
    [sample] = seen
    shown = set(sample.top) | set(sample.bottom) | set(sample.contrast)
    assert len(sample.contrast) == 200  # the contrast comes from the explain half (200 sentences), not the whole set
    scored = 400 - len(context.samples.explain["a"])
    assert row.scores["a"].sentences == scored == 200
    source = row.scores["a"]
    assert source.auroc_low <= source.auroc <= source.auroc_high  # the interval resamples the score half
    counted = {sentences[i] for i in np.flatnonzero(~np.isin(np.arange(400), context.samples.explain["a"]))}
    assert len(counted) == scored and not shown & counted


def test_untestable_datasets_and_constant_directions_are_not_failures(host):
    """``holds_elsewhere``: None when no other dataset is testable (the words never occur there, or the direction is
    constant there); a dataset where the direction is constant is untestable and not explained from."""
    rng = np.random.default_rng(5)
    a, counts_a = bags(rng, 300)
    b, _ = bags(rng, 300)
    c = [sentence.replace("w0 ", "v0 ").replace("w0.", "v0.") for sentence in bags(rng, 300)[0]]  # no w0 in c
    run = WordRun({"a": a, "b": b, "c": c})
    explainers = {"w0": lambda sample: Explanation("w0", "words:w0")}
    context = Context(run, host, explainers, Settings(replicates=2, thresholds=Thresholds(min_matches=5)))  # type: ignore[arg-type]
    activations = {"a": counts_a[:, 0] + 0.1 * rng.standard_normal(300), "b": np.ones(300), "c": rng.standard_normal(300)}
    rows = explain_direction(context, "d", activations)
    assert sorted(row.source for row in rows) == ["a", "c"]  # not b: the direction is constant there
    [from_a] = [row for row in rows if row.source == "a"]
    assert from_a.scores["a"].verdict == "holds"
    assert from_a.scores["b"].verdict == from_a.scores["c"].verdict == "untestable"
    assert from_a.scores["b"].matches > 5 and from_a.scores["b"].auroc is None
    assert from_a.holds_elsewhere is None and from_a.transfer_gap is None


def test_summary_compares_candidate_with_baseline_directions_per_direction():
    def row(direction, role, holds, gap):
        return ExplanationRow(
            direction=direction,
            condition=role,
            role=role,
            explainer="k",
            source="a",
            explanation="cats",
            detector="words:cats",
            options={},
            scores={},
            transfer_gap=gap,
            transfer_gap_low=None,
            transfer_gap_high=None,
            holds_elsewhere=holds,
        )

    rows = [row("n1", "candidate", True, 0.0) for _ in range(5)] + [row("n2", "candidate", False, 0.2)]
    rows += [row("n3", "candidate", None, None), row("c1", "control", False, 0.9)]  # another role: in neither group
    rows += [row(f"r{n}", "baseline", n % 4 == 0, 0.05 * (n % 3)) for n in range(12)]
    [entry] = summary(rows, replicates=400)
    assert entry["candidate"]["directions"] == 3 and entry["candidate"]["explanations"] == 7
    assert entry["candidate"]["holds_elsewhere"] == pytest.approx(0.5)  # n1 and n2 weigh the same; n3 is undecided
    assert entry["candidate"]["mean_gap"] == pytest.approx(0.1)
    assert entry["baseline"]["holds_elsewhere"] == pytest.approx(0.25)
    difference = entry["difference"]["holds_elsewhere"]
    assert difference["estimate"] == pytest.approx(0.25)
    assert difference["low"] < difference["estimate"] < difference["high"]
    assert entry["difference"]["transfer_gap"]["estimate"] == pytest.approx(0.1 - 0.05)


@pytest.mark.parametrize(
    ("detector", "message"),
    [
        ("foo:bar", r"explainer 'odd', direction 'd': detector 'foo:bar' names no known concept detector"),
        ("regex:(unclosed", r"explainer 'odd', direction 'd': its detector 'regex:\(unclosed' cannot be scored"),
        ("(unclosed", r"explainer 'odd', direction 'd': its detector '\(unclosed' cannot be scored"),
    ],
)
def test_an_explainers_faulty_detector_is_named(host, detector, message):
    sentences, counts = bags(np.random.default_rng(0), 100)
    context = Context(WordRun({"a": sentences}), host, {"odd": lambda sample: Explanation("x", detector)}, Settings(replicates=2))  # type: ignore[arg-type]
    with pytest.raises(PluginError, match=message):
        explain_direction(context, "d", {"a": counts[:, 0]})


def test_keywords_terms_are_words_the_words_detector_finds():
    from illusion.plugins.concept_detectors import words
    from illusion.plugins.explainers import terms

    sentence = "İstanbul'un STRASSE und Straße, ΣΟΦΙΑ ıslak"
    found = [term for term in terms(sentence) if not words(term, True)([sentence])[0]]
    assert not found, found
