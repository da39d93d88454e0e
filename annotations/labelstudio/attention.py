"""Attention checks: sets with an obvious planted pattern, shown like any other set, never counted
as data, and scored per annotator (the expected answer is "yes, there is a pattern").

The n-th check takes a dataset in turn and a word of three letters or more that ``k`` of the run's
sentences of that dataset share (among the rarer such words, drawn with the run's seed); its set is
``k`` of those sentences with that word marked, as a driving token would be.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from illusion.annotations.labelstudio.private import Private
from illusion.annotations.labelstudio.tasks import CampaignRun, SentenceSet, Task, build_tasks
from illusion.common.seeds import rng_for
from illusion.errors import IllusionError

CONDITION = "attention"
PASS_SHARE = 0.8  # an annotator who says "yes" to fewer of the checks than this is flagged
WORD = re.compile(r"[^\W\d_]{3,}")


def campaign_tasks(run: CampaignRun, private: Private, record: dict[str, Any] | None) -> dict[str, list[Task]]:
    """The run's tasks with the attention checks its campaign record asks for."""
    return build_tasks(run, private, attention_sets(run, (record or {}).get("attention", 0)))


def attention_sets(run: CampaignRun, count: int) -> list[SentenceSet]:
    """``count`` planted sets, drawn with the run's seed (none when ``count`` is 0)."""
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
        rng = rng_for(run.seed, f"attention:{n}")
        _, word = shared[rng.integers(min(len(shared), 5))]
        chosen = sorted(rng.choice(sorted(holders[word]), k, replace=False))
        out.append(
            SentenceSet(f"{CONDITION}:{n}", CONDITION, None, dataset, [_marked(sid, sentences[sid], word) for sid in chosen])
        )
    return out


def _marked(sid: str, text: str, word: str) -> dict[str, Any]:
    found = next(m for m in WORD.finditer(text) if m.group().lower() == word)
    return {"id": sid, "text": text, "span": [found.start(), found.end()]}


def attention_scores(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per annotator: checks answered, how many were seen as a pattern, the share, and a flag below
    :data:`PASS_SHARE`."""
    scores: dict[str, dict[str, Any]] = {}
    for row in rows:
        mine = scores.setdefault(row["annotator"], {"checks": 0, "passed": 0})
        mine["checks"] += 1
        mine["passed"] += row["pattern"] == "yes"
    for mine in scores.values():
        mine["score"] = mine["passed"] / mine["checks"]
        mine["flagged"] = mine["score"] < PASS_SHARE
    return scores
