"""Turn a run folder into blind labelling tasks: one per sentence set, one per cross-dataset pair.

A task's ``data`` is all that reaches the server, and it never tells the condition: the dataset,
numbered sentences and a uid keyed with the organiser's private key (see ``private``). Condition,
direction and run id stay on the organiser's machine (``meta``, shown to pre-annotating plugins
only); ``illusion import`` rebuilds them from the run folder. Sentence text is escaped before a
whole word is wrapped in ``<mark>`` (see ``illusion.common.marks``). The word marked is the
sentence's own driving token (``marks.jsonl``, see ``illusion.run.shown_marks``): the same in every
set the sentence is in, so marks cannot tell a direction's set from a control set or a check.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from illusion.annotations.campaign.private import Private
from illusion.common.marks import highlight, word_span
from illusion.common.seeds import rng_for
from illusion.errors import IllusionError
from illusion.run.folder import CHECKS, CONTROLS, MARKS, TOPK, RunFolder
from illusion.run.schema import CheckSet, ControlSet, Listed, SetSentence, TopkRow

TASK_TYPES = ("set", "pair")
PREVIEW_CHARS = 160
SHOWN = re.compile(r"<p><b>\d+\.</b> (.*?)</p>", re.S)
# Sentence n answers to the key n (sentence 10 to 0): the other questions' keys are letters (set.xml).
SENTENCE_KEYS = "1234567890"


@dataclass(frozen=True)
class SentenceSet:
    """The sentences of one set as shown: top sentences of a direction, a control set or an attention check."""

    set_id: str
    condition: str
    direction: str | None
    dataset: str
    sentences: list[dict[str, Any]]  # {"id", "text", "span"}


@dataclass(frozen=True)
class CampaignRun:
    """What a campaign needs from a run folder."""

    path: Path
    run_id: str
    seed: int
    datasets: list[str]
    sets: list[SentenceSet]
    checks: list[SentenceSet] = dataclasses.field(default_factory=list)  # attention-check sets the run made


@dataclass(frozen=True)
class Task:
    """One labelling task, with what is needed to map its annotations back."""

    uid: str
    task_type: str  # "set" or "pair"
    set_id: str
    direction: str | None
    condition: str
    datasets: tuple[str, ...]
    data: dict[str, Any]
    meta: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        """What is sent to the server: the task's ``data`` only."""
        return {"data": self.data}


def load_campaign_run(run_dir: str | Path) -> CampaignRun:
    """Read ``manifest.json``, ``topk.jsonl``, ``controls.jsonl`` and ``checks.jsonl`` (optional) of a run folder."""
    folder = RunFolder(run_dir).require()
    manifest = folder.manifest()
    marks = _shown_marks(folder)
    sets = [_direction_set(row, folder / TOPK, n, marks) for n, row in enumerate(folder.topk(), 1)]
    sets += [_unlisted_set(row, folder / CONTROLS, n, marks) for n, row in enumerate(folder.controls(), 1)]
    checks = [_unlisted_set(row, folder / CHECKS, n, marks) for n, row in enumerate(folder.checks(), 1)]
    if not sets:
        raise IllusionError(f"{folder / TOPK}: no sentence sets; rerun `illusion run`")
    datasets = list(dict.fromkeys(manifest.dataset_names + [s.dataset for s in sets]))
    return CampaignRun(folder.path, manifest.run_id, manifest.seed, datasets, sets, checks)


Marks = dict[tuple[str, str], tuple[tuple[int, int] | None, str]]


def _shown_marks(folder: RunFolder) -> Marks:
    """The span to mark in each sentence, by (dataset, sentence id), with the line it comes from."""
    return {(mark.dataset, mark.id): (mark.span, f"{folder / MARKS}, line {n}") for n, mark in enumerate(folder.marks(), 1)}


def _sentences(items: Sequence[SetSentence | Listed], dataset: str, marks: Marks, where: str) -> list[dict[str, Any]]:
    """The sentences of a set, each with the span its mark covers (from ``marks.jsonl``), checked."""
    if not items:
        raise IllusionError(f"{where}: expected a non-empty list of sentences")
    sentences = []
    for number, item in enumerate(items, 1):
        if marks and (dataset, item.id) not in marks:  # one sentence unmarked among marked ones would stand out
            raise IllusionError(f"{where}, sentence {number}: no mark for {item.id!r} in marks.jsonl; rerun `illusion run`")
        span, source = marks.get((dataset, item.id), (None, where))
        if span is not None and not 0 <= span[0] < span[1] <= len(item.text):
            raise IllusionError(
                f"{source}: span {list(span)!r} is not [start, end) inside the text of sentence {item.id!r}; rerun `illusion run`"
            )
        sentences.append({"id": item.id, "text": item.text, "span": list(span) if span is not None else None})
    return sentences


def _direction_set(row: TopkRow, file: Path, line: int, marks: Marks) -> SentenceSet:
    where = f"{file}, line {line}"
    sentences = _sentences(row.top, row.dataset, marks, f"{where}, 'top'")
    return SentenceSet(f"{row.direction}@{row.dataset}", row.condition, row.direction, row.dataset, sentences)


def _unlisted_set(row: ControlSet | CheckSet, file: Path, line: int, marks: Marks) -> SentenceSet:
    sentences = _sentences(row.sentences, row.dataset, marks, f"{file}, line {line}, 'sentences'")
    return SentenceSet(row.set, row.condition, None, row.dataset, sentences)


def task_uid(private: Private, task_type: str, set_id: str) -> str:
    """A stable id that names the task without revealing anything about it to whoever lacks the key."""
    return "t" + private.keyed(task_type, set_id)


def for_seat(task: Task, private: Private, pseudonym: str) -> Task:
    """``task`` as one annotator's server gets it: with a uid of its own, which names the annotator
    to whoever has the key, so imports (from the server or from files) know whose labels they are."""
    uid = "t" + private.keyed(pseudonym, task.task_type, task.set_id)
    return dataclasses.replace(task, uid=uid, data={**task.data, "uid": uid})


def sentence_html(number: int, text: str, span: list[int] | None) -> str:
    """One numbered sentence, escaped, with ``text[span[0]:span[1]]`` in ``<mark>``."""
    return f"<p><b>{number}.</b> {highlight(text, span)}</p>"


def set_text(sentences: list[dict[str, Any]], size: int = PREVIEW_CHARS) -> str:
    """The sentences as plain text, for the task list: numbered, cut after ``size`` characters."""
    text = " ".join(f"{n}. {s['text']}" for n, s in enumerate(sentences, 1))
    return text if len(text) <= size else text[: size - 1] + "…"


def set_html(sentences: list[dict[str, Any]]) -> str:
    return "".join(sentence_html(n, s["text"], s["span"]) for n, s in enumerate(sentences, 1))


def shown(st: SentenceSet, seed: int) -> SentenceSet:
    """``st`` as annotators see it: its sentences in an order drawn for the set (not a direction's score
    order, nor a check's dataset order), each with its mark grown to the whole word and its number in
    the run folder's order (``number``), which answers are given in."""
    order = rng_for(seed, f"sentences:{st.set_id}").permutation(len(st.sentences))
    sentences = [dict(st.sentences[i], number=int(i) + 1) for i in order]
    return dataclasses.replace(st, sentences=[dict(s, span=word_span(s["text"], s["span"])) for s in sentences])


def shown_texts(page: str) -> list[str]:
    """The sentences of a set's ``html`` in the order shown, as plain text (the inverse of :func:`set_html`)."""
    return [html.unescape(re.sub("</?mark>", "", shown)) for shown in SHOWN.findall(page)]


def sentence_choices(count: int) -> list[dict[str, str]]:
    """The options of "which sentences fit" for ``count`` sentences: their numbers, each with its own key."""
    return [
        {"value": str(n), **({"hotkey": SENTENCE_KEYS[n - 1]} if n <= len(SENTENCE_KEYS) else {})} for n in range(1, count + 1)
    ]


def set_task(run: CampaignRun, private: Private, st: SentenceSet) -> Task:
    data: dict[str, Any] = {
        "uid": task_uid(private, "set", st.set_id),
        "dataset": st.dataset,
        "html": set_html(st.sentences),
        "fit_options": sentence_choices(len(st.sentences)),
        "text": set_text(st.sentences),
    }
    meta = {
        "run_id": run.run_id,
        "set_id": st.set_id,
        "condition": st.condition,
        "direction": st.direction,
        "dataset": st.dataset,
        "sentence_ids": [s["id"] for s in st.sentences],
        "numbers": [s["number"] for s in st.sentences],  # each shown sentence's number in the run folder's order
    }
    return Task(data["uid"], "set", st.set_id, st.direction, st.condition, (st.dataset,), data, meta)


def pair_set_id(left: SentenceSet, right: SentenceSet) -> str:
    """The id of the pair task comparing ``left`` with ``right``."""
    if left.direction is None:
        return f"{left.set_id}|{right.set_id}"
    return f"{left.direction}@{left.dataset}|{right.dataset}"


def pair_task(run: CampaignRun, private: Private, left: SentenceSet, right: SentenceSet) -> Task:
    set_id = pair_set_id(left, right)
    datasets = (left.dataset, right.dataset)
    data = {
        "uid": task_uid(private, "pair", set_id),
        "left_dataset": left.dataset,
        "right_dataset": right.dataset,
        "left_html": set_html(left.sentences),
        "right_html": set_html(right.sentences),
        "text": f"{left.dataset}: {set_text(left.sentences)} | {right.dataset}: {set_text(right.sentences)}",
    }
    meta = {
        "run_id": run.run_id,
        "set_id": set_id,
        "condition": left.condition,
        "direction": left.direction,
        "datasets": list(datasets),
    }
    return Task(data["uid"], "pair", set_id, left.direction, left.condition, datasets, data, meta)


def group_keys(sets: list[SentenceSet]) -> list[tuple[str, str]]:
    """The group compared across datasets of each set, in order: ``("direction", <direction>)``,
    or ``("control", "<condition>:<n>")`` for the n-th control set (or attention check) of each dataset."""
    keys: list[tuple[str, str]] = []
    rank: Counter[tuple[str, str]] = Counter()
    for st in sets:
        if st.direction is None:
            keys.append(("control", f"{st.condition}:{rank[st.condition, st.dataset]}"))
            rank[st.condition, st.dataset] += 1
        else:
            keys.append(("direction", st.direction))
    return keys


def pairs(run: CampaignRun, sets: list[SentenceSet]) -> list[tuple[SentenceSet, SentenceSet]]:
    """Sets to compare across datasets: one direction's top sets, the n-th control sets, or the n-th checks."""
    groups: dict[tuple[str, str], dict[str, SentenceSet]] = {}
    for st, key in zip(sets, group_keys(sets), strict=True):
        groups.setdefault(key, {})[st.dataset] = st
    out = []
    for group in groups.values():
        present = [d for d in run.datasets if d in group]
        out += [(group[a], group[b]) for a, b in itertools.combinations(present, 2)]
    return out


def build_tasks(run: CampaignRun, private: Private, checks: Sequence[SentenceSet] = ()) -> dict[str, list[Task]]:
    """All tasks of a run by type, each list in the seeded shuffled order they are shown in; ``checks``
    are extra sets (attention checks) shown among the set tasks and compared across datasets like controls."""
    sets = [shown(st, run.seed) for st in [*run.sets, *checks]]
    tasks = {
        "set": [set_task(run, private, st) for st in sets],
        "pair": [pair_task(run, private, a, b) for a, b in pairs(run, sets)],
    }
    for task_type, items in tasks.items():
        uids = [t.uid for t in items]
        if len(set(uids)) != len(uids):
            duplicate = next(t.set_id for t in items if uids.count(t.uid) > 1)
            raise IllusionError(f"{run.path}: set {duplicate!r} appears twice; rerun `illusion run`")
        items.sort(key=lambda t: t.set_id)
        rng_for(run.seed, f"order:{task_type}").shuffle(items)  # type: ignore[arg-type]  # stubs want arrays; lists shuffle too
    return tasks
