"""Attention checks: sets with a pattern any careful reader sees, shown like any other set, never
counted as data, and scored per annotator (the expected answer is "yes, there is a pattern").

``illusion run`` makes them (``checks.jsonl``, see ``illusion.run.control_sets``): ``k`` sentences
of one dataset that all contain one content word, each sentence with its own mark as everywhere
else. A reader sees the shared word; the marks, the sentences' order and length and the pair tasks
they take part in are those of any set. The campaign takes the first ``count`` of them, check by
check across the datasets, so that the n-th checks of two datasets make a pair task. A campaign of
a run folder made before runs wrote checks keeps the checks it was exported with (``attention:N``,
planted from the run's own sentences), so that their answers are found again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from illusion.annotations.campaign.private import Private
from illusion.annotations.campaign.tasks import CampaignRun, SentenceSet, Task, build_tasks
from illusion.common.seeds import rng_for
from illusion.errors import IllusionError
from illusion.run.control_sets import ATTENTION, RAREST, WORD
from illusion.run.folder import CHECKS
from illusion.run.schema import Annotation

CONDITION = ATTENTION  # the condition of attention checks' tasks and rows
PASS_SHARE = 0.8  # an annotator who says "yes" to fewer of the checks than this is flagged


def campaign_tasks(
    run: CampaignRun, private: Private, ledger: dict[str, Any] | None, every_check: bool = False
) -> dict[str, list[Task]]:
    """The run's tasks with the attention checks its campaign ledger asks for; with ``every_check``, all
    the run has (an import must know a check that a server got before ``--attention`` was lowered)."""
    count = (ledger or {}).get("attention", 0)
    return build_tasks(run, private, attention_sets(run, max(count, len(run.checks)) if every_check else count))


def attention_sets(run: CampaignRun, count: int) -> list[SentenceSet]:
    """The first ``count`` of the run's attention checks: the first of every dataset, then the second, ..."""
    if count and not run.checks and not run.path.joinpath(CHECKS).exists():
        return _planted(run, count)
    if count > len(run.checks):
        raise IllusionError(
            f"{run.path / CHECKS}: the run has {len(run.checks)} attention checks, fewer than --attention {count}; "
            f"lower --attention, or rerun `illusion run` with a larger `checks` (sets per dataset)"
        )
    order = {name: number for number, name in enumerate(run.datasets)}
    seen: Counter[str] = Counter()  # the n-th check of a dataset is its n-th row in checks.jsonl
    ranked = []
    for st in run.checks:
        ranked.append(((seen[st.dataset], order.get(st.dataset, len(order))), st))
        seen[st.dataset] += 1
    return [st for _, st in sorted(ranked, key=lambda pair: pair[0])][:count]


def _planted(run: CampaignRun, count: int) -> list[SentenceSet]:
    """The checks of a run folder made before runs wrote ``checks.jsonl``, as campaigns planted them then:
    the n-th takes a dataset in turn and one of the rarer words that ``k`` of its shown sentences share."""
    out = []
    for n in range(count):
        dataset = run.datasets[n % len(run.datasets)]
        sentences = {s["id"]: s["text"] for st in run.sets if st.dataset == dataset for s in st.sentences}
        k = max(len(st.sentences) for st in run.sets)
        holders: dict[str, list[str]] = defaultdict(list)
        for sid, text in sentences.items():
            for word in {w.lower() for w in WORD.findall(text)}:
                holders[word].append(sid)
        shared = sorted((len(ids), word) for word, ids in holders.items() if len(ids) >= k)
        if not shared:
            raise IllusionError(f"no word is shared by {k} sentences of dataset {dataset!r} in this run; lower --attention to 0")
        rng = rng_for(run.seed, f"{CONDITION}:{n}")
        _, word = shared[rng.integers(min(len(shared), RAREST))]
        chosen = sorted(rng.choice(sorted(holders[word]), k, replace=False))
        marked = [{"id": sid, "text": sentences[sid], "span": _word_at(sentences[sid], word)} for sid in chosen]
        out.append(SentenceSet(f"{CONDITION}:{n}", CONDITION, None, dataset, marked))
    return out


def _word_at(text: str, word: str) -> list[int]:
    found = next(m for m in WORD.finditer(text) if m.group().lower() == word)
    return [found.start(), found.end()]


def attention_scores(rows: list[Annotation]) -> dict[str, dict[str, Any]]:
    """Per annotator: checks answered, how many were seen as a pattern, the share, and a flag below
    :data:`PASS_SHARE` (pair tasks of checks are camouflage, not scored)."""
    scores: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.task_type != "set":
            continue
        mine = scores.setdefault(row.annotator, {"checks": 0, "passed": 0})
        mine["checks"] += 1
        mine["passed"] += row.pattern == "yes"
    for mine in scores.values():
        mine["score"] = mine["passed"] / mine["checks"]
        mine["flagged"] = mine["score"] < PASS_SHARE
    return scores
