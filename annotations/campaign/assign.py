"""Which annotator labels which task: each task to ``overlap`` annotators, balanced and shuffled.

Tasks are dealt stratum by stratum (task type, condition, datasets), in a seeded order, like cards:
each task takes the next ``overlap`` annotators in turn. So each annotator gets every condition,
and every condition in every dataset, to within one task of the others; each annotator's tasks
are then shuffled with a seed of their own.
"""

from __future__ import annotations

from illusion.annotations.campaign.attention import CONDITION
from illusion.annotations.campaign.private import Private
from illusion.annotations.campaign.tasks import TASK_TYPES, Task, for_seat
from illusion.common.seeds import rng_for
from illusion.errors import IllusionError


def assign(tasks: list[Task], annotators: list[str], overlap: int, seed: int) -> dict[str, list[Task]]:
    """The tasks of each annotator, in the order they are shown."""
    if not annotators:
        raise IllusionError("no annotators to assign tasks to; add some with `illusion labelstudio add-annotator NAME`")
    if not 1 <= overlap <= len(annotators):
        raise IllusionError(
            f"--overlap {overlap} needs at least {overlap} annotators, and there are {len(annotators)}; "
            "add annotators or lower --overlap"
        )
    strata: dict[tuple, list[Task]] = {}
    for task in sorted(tasks, key=lambda t: (t.task_type, t.set_id)):
        strata.setdefault((task.task_type, task.condition, task.datasets), []).append(task)
    given: dict[str, list[Task]] = {name: [] for name in annotators}
    turn = 0
    for key in sorted(strata, key=lambda key: (key[1] == CONDITION, str(key))):  # checks last: adding some moves no other task
        items = strata[key]
        rng_for(seed, f"assign:{key}").shuffle(items)  # type: ignore[arg-type]  # stubs want arrays; lists shuffle too
        for task in items:
            for offset in range(overlap):
                given[annotators[(turn + offset) % len(annotators)]].append(task)
            turn += overlap
    for name, items in given.items():
        rng_for(seed, f"order:{name}").shuffle(items)  # type: ignore[arg-type]  # stubs want arrays; lists shuffle too
    return given


def seat_tasks(
    tasks: dict[str, list[Task]], private: Private, pseudonyms: list[str], overlap: int, seed: int
) -> dict[str, dict[str, list[Task]]]:
    """Each annotator's own tasks by type, as their server gets them. Attention checks and their pair
    tasks are dealt like every other task (a stratum of their own): an annotator who got every check,
    or every pair task of a check, could pick them out by that alone."""
    given = assign([t for items in tasks.values() for t in items], pseudonyms, overlap, seed)
    return {
        pseudonym: {kind: [for_seat(t, private, pseudonym) for t in mine if t.task_type == kind] for kind in TASK_TYPES}
        for pseudonym, mine in given.items()
    }
