"""An annotator's attack on the campaign's blindness: every feature of what one annotator is shown.

Given the tasks as one annotator's server returns them, each set task becomes a row of numbers that a
clever annotator could compute, in groups:

- ``structure``: what does not depend on the sentences' words: where the task comes in her order,
  how many of her pair tasks show the set, how large its group of sets linked by pair tasks is, and
  whether the sentences' order follows their length, word count or where their mark sits;
- ``shape`` (marks' count, length, position), ``marked words`` (stopwords, how common the word is in
  all her tasks, how often it is marked in her other sets, repeats), ``typography`` (capitals,
  digits, punctuation beside the mark, the word's place in the sentence), ``sentence reuse`` (how
  often its sentences come back in her other sets) and ``content`` (shared words, lengths, without
  the marks).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SENTENCE = re.compile(r"<p><b>\d+\.</b> (.*?)</p>", re.S)
MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Shown:
    """One sentence as shown: its text, and the marked word with the text before and after it."""

    text: str
    before: str | None
    marked: str | None
    after: str | None


def shown_sentences(page: str) -> list[Shown]:
    out = []
    for raw in SENTENCE.findall(page):
        mark = MARK.search(raw)
        text = html.unescape(MARK.sub(r"\1", raw))
        if mark is None:
            out.append(Shown(text, None, None, None))
        else:
            before, inner, after = (html.unescape(p) for p in (raw[: mark.start()], mark.group(1), raw[mark.end() :]))
            out.append(Shown(text, before, inner, after))
    return out


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def _max(values: Sequence[float]) -> float:
    return float(max(values)) if len(values) else 0.0


class Features:
    """Per-set feature groups, computed against everything else the same annotator was shown."""

    def __init__(self, pages: Sequence[str], pairs: Sequence[tuple[str, str]] = ()):
        self.pages = list(pages)
        self.sets = [shown_sentences(page) for page in pages]
        self.links = _links(self.pages, pairs)
        self.word_counts: Counter[str] = Counter(
            w.lower() for sentences in self.sets for s in sentences for w in WORD.findall(s.text)
        )
        self.total = sum(self.word_counts.values())
        self.marked_in: Counter[str] = Counter()  # in how many sets a word is marked
        self.sentence_in: Counter[str] = Counter()  # in how many sets a sentence is shown
        for sentences in self.sets:
            self.marked_in.update({s.marked.lower() for s in sentences if s.marked})
            self.sentence_in.update({s.text for s in sentences})

    def shape(self, sentences: list[Shown]) -> list[float]:
        marked = [s for s in sentences if s.marked is not None]
        lengths = [len(s.text) for s in sentences]
        return [
            len(marked),
            _mean([len(s.marked or "") for s in marked]),
            _mean([len(s.before or "") / max(len(s.text), 1) for s in marked]),
            _mean([not (s.before or "").strip() for s in marked]),
            _mean(lengths),
            float(np.std(lengths)),
            len(sentences),
        ]

    def words(self, sentences: list[Shown]) -> list[float]:
        words = [s.marked.lower() for s in sentences if s.marked]
        log_share = [np.log((self.word_counts[w] + 1) / self.total) for w in words]
        repeats = Counter(words)
        return [
            _mean([w in ENGLISH_STOP_WORDS for w in words]),
            sum(w in ENGLISH_STOP_WORDS for w in words),
            _mean(log_share),
            _max(log_share),
            min(log_share) if log_share else 0.0,
            _mean([self.marked_in[w] - 1 for w in words]),  # marked in how many other sets
            _max([self.marked_in[w] - 1 for w in words]),
            _max(list(repeats.values())),
            len(words) - len(repeats),
            len(repeats) / max(len(words), 1),
        ]

    def typography(self, sentences: list[Shown]) -> list[float]:
        marked = [s for s in sentences if s.marked]
        words_in = [WORD.findall(s.text) for s in marked]
        return [
            _mean([s.marked[0].isupper() for s in marked]),  # type: ignore[index]
            _mean([s.marked.isupper() and len(s.marked) > 1 for s in marked]),  # type: ignore[union-attr]
            _mean([any(c.isdigit() for c in s.marked) for s in marked]),  # type: ignore[union-attr]
            _mean([bool(s.after[:1]) and not s.after[:1].isspace() for s in marked]),  # type: ignore[index]
            _mean([bool(s.before[-1:]) and not s.before[-1:].isspace() for s in marked]),  # type: ignore[index]
            _mean([(s.before or "").rstrip().endswith((".", "!", "?")) for s in marked]),
            # the word's position among the sentence's words, and whether it appears there more than once
            _mean([len(WORD.findall(s.before or "")) / max(len(w), 1) for s, w in zip(marked, words_in)]),
            _mean([[x.lower() for x in w].count(s.marked.lower()) > 1 for s, w in zip(marked, words_in)]),  # type: ignore[union-attr]
            _mean([len(w) for w in words_in]),
        ]

    def reuse(self, sentences: list[Shown]) -> list[float]:
        again = [self.sentence_in[s.text] - 1 for s in sentences]
        return [_mean(again), _max(again), sum(a > 0 for a in again)]

    def content(self, sentences: list[Shown]) -> list[float]:
        """What the sentences show without their marks: shared words, how common their words are, lengths."""
        words = [{w.lower() for w in WORD.findall(s.text)} for s in sentences]
        holders = Counter(w for own in words for w in own if len(w) >= 3)
        shared = sorted(holders.values(), reverse=True) + [0, 0]
        log_share = [np.log((self.word_counts[w] + 1) / self.total) for own in words for w in own]
        rarest = [min((np.log((self.word_counts[w] + 1) / self.total) for w in own), default=0.0) for own in words]
        lengths = [len(s.text) for s in sentences]
        return [
            shared[0],
            shared[1],
            sum(n >= 3 for n in holders.values()),
            _mean(log_share),
            _mean(rarest),
            _mean(lengths),
            float(np.std(lengths)),
            _mean([any(c.isdigit() for c in s.text) for s in sentences]),
        ]

    def structure(self, sentences: list[Shown]) -> list[float]:
        """Where the set comes, how pair tasks link it, and whether its sentences' order follows anything."""
        number = next(n for n, own in enumerate(self.sets) if own is sentences)
        linked, group_sets, group_pairs, _ = self.links[number]
        order = np.arange(len(sentences))
        marks = [len(s.before) / max(len(s.text), 1) if s.before is not None else 0.5 for s in sentences]
        return [
            number / max(len(self.sets) - 1, 1),
            linked,
            group_sets,
            group_pairs,
            _trend(order, [len(s.text) for s in sentences]),
            _trend(order, [len(WORD.findall(s.text)) for s in sentences]),
            _trend(order, marks),
        ]

    GROUPS: dict[str, Callable[[Features, list[Shown]], list[float]]] = {
        "structure": structure,
        "content": content,
        "shape": shape,
        "marked words": words,
        "typography": typography,
        "sentence reuse": reuse,
    }

    def groups(self) -> np.ndarray:
        """Each set's group of sets linked by pair tasks: rows of one group share its figures, so a fair
        cross-validation keeps a group within one fold."""
        return np.array([link[3] for link in self.links])

    def matrix(self, groups: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
        """One row per set with the columns of ``groups`` (default: all), and each column's group name."""
        chosen = list(groups or self.GROUPS)
        rows = [[(g, v) for g in chosen for v in self.GROUPS[g](self, sentences)] for sentences in self.sets]
        return np.array([[v for _, v in row] for row in rows], dtype=float), [g for g, _ in rows[0]]


def _trend(order: np.ndarray, values: Sequence[float]) -> float:
    """The rank correlation of ``values`` with the sentences' order (0 when either is constant)."""
    if len(set(values)) < 2:
        return 0.0
    return float(spearmanr(order, values).statistic)


def _links(pages: list[str], pairs: Sequence[tuple[str, str]]) -> list[tuple[int, int, int]]:
    """For each set page: in how many pairs it is shown, the sets and pairs of its group (linked by pairs), and the group."""
    index = {page: n for n, page in enumerate(pages)}
    parent = list(range(len(pages)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    shown: Counter[int] = Counter()
    for left, right in pairs:
        ends = [index[page] for page in (left, right) if page in index]
        shown.update(ends)
        if len(ends) == 2:
            parent[root(ends[0])] = root(ends[1])
    sets_in = Counter(root(n) for n in range(len(pages)))
    pairs_in = Counter(root(index[left]) for left, _ in pairs if left in index)
    return [(shown[n], sets_in[root(n)], pairs_in[root(n)], root(n)) for n in range(len(pages))]


CLASSIFIERS = {
    "logistic regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "random forest": lambda: RandomForestClassifier(200, min_samples_leaf=3, random_state=0, n_jobs=1),
}


def auroc(
    features: np.ndarray, target: np.ndarray, classifier: Callable, groups: np.ndarray | None = None, repeats: int = 3
) -> float:
    """Out-of-fold AUROC, averaged over ``repeats`` shuffles of a stratified 5-fold split (each of ``groups`` in one fold)."""
    scores = []
    for repeat in range(repeats):
        folds = StratifiedGroupKFold(5, shuffle=True, random_state=repeat)
        proba = cross_val_predict(classifier(), features, target, groups=groups, cv=folds, method="predict_proba")[:, 1]
        scores.append(roc_auc_score(target, proba))
    return float(np.mean(scores))


def best_single(features: np.ndarray, target: np.ndarray, names: list[str]) -> tuple[str, int, float]:
    """The single column that best separates ``target`` on its own: its group, index and AUROC (either direction)."""
    best = ("", -1, 0.5)
    for column in range(features.shape[1]):
        score = roc_auc_score(target, features[:, column])
        score = max(score, 1 - score)
        if score > best[2]:
            best = (names[column], column, float(score))
    return best
