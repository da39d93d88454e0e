"""Attention checks: sets with a pattern any careful reader sees, shown like any other set, never
counted as data, and scored per annotator (the expected answer is "yes, there is a pattern").

``illusion run`` makes them (``checks.jsonl``, see ``illusion.run.control_sets``): ``k`` sentences
of one dataset that all contain one word, marked like every other set by a direction of the run
drawn at random. A reader sees the shared word; the marks, the sentences' shape and the pair tasks
they take part in are those of any set. The campaign takes the first ``count`` of them, check by
check across the datasets, so that the n-th checks of two datasets make a pair task.
"""

from __future__ import annotations

from typing import Any

from illusion.annotations.campaign.private import Private
from illusion.annotations.campaign.tasks import CampaignRun, SentenceSet, Task, build_tasks
from illusion.errors import IllusionError
from illusion.run.control_sets import ATTENTION
from illusion.run.folder import CHECKS

CONDITION = ATTENTION  # the condition of attention checks' tasks and rows
PASS_SHARE = 0.8  # an annotator who says "yes" to fewer of the checks than this is flagged


def campaign_tasks(run: CampaignRun, private: Private, record: dict[str, Any] | None) -> dict[str, list[Task]]:
    """The run's tasks with the attention checks its campaign record asks for."""
    return build_tasks(run, private, attention_sets(run, (record or {}).get("attention", 0)))


def attention_sets(run: CampaignRun, count: int) -> list[SentenceSet]:
    """The first ``count`` of the run's attention checks: the first of every dataset, then the second, ..."""
    if count > len(run.checks):
        raise IllusionError(
            f"{run.path / CHECKS}: the run has {len(run.checks)} attention checks, fewer than --attention {count}; "
            f"lower --attention, or rerun `illusion run` with a larger `checks` (sets per dataset)"
        )
    order = {name: number for number, name in enumerate(run.datasets)}
    ranked = sorted(run.checks, key=lambda st: (int(st.set_id.rsplit(":", 1)[1]), order.get(st.dataset, len(order))))
    return ranked[:count]


def attention_scores(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per annotator: checks answered, how many were seen as a pattern, the share, and a flag below
    :data:`PASS_SHARE` (pair tasks of checks are camouflage, not scored)."""
    scores: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("task_type", "set") != "set":
            continue
        mine = scores.setdefault(row["annotator"], {"checks": 0, "passed": 0})
        mine["checks"] += 1
        mine["passed"] += row["pattern"] == "yes"
    for mine in scores.values():
        mine["score"] = mine["passed"] / mine["checks"]
        mine["flagged"] = mine["score"] < PASS_SHARE
    return scores
