"""Each task to `overlap` annotators, every annotator with each condition in the same proportion."""

from __future__ import annotations

from collections import Counter

import pytest

from illusion.annotations.campaign.assign import assign
from illusion.annotations.campaign.tasks import Task
from illusion.errors import IllusionError


def task(n, condition, dataset):
    return Task(f"t{n}{condition}{dataset}", "set", f"{condition}:{n}@{dataset}", None, condition, (dataset,), {}, {})


TASKS = [task(n, c, d) for n in range(12) for c in ("neuron", "random", "control") for d in ("a", "b")][::3]


@pytest.mark.parametrize("people, overlap", [(3, 2), (4, 2), (3, 1), (5, 3)])
def test_every_task_goes_to_overlap_annotators_balanced_across_conditions_and_datasets(people, overlap):
    names = [f"p{i}" for i in range(people)]
    given = assign(TASKS, names, overlap, seed=0)
    assert Counter(t.uid for items in given.values() for t in items) == {t.uid: overlap for t in TASKS}
    for items in given.values():
        assert len({t.uid for t in items}) == len(items)  # nobody gets a task twice
    for kind in [lambda t: t.condition, lambda t: (t.condition, t.datasets)]:
        for value in {kind(t) for t in TASKS}:
            counts = [sum(kind(t) == value for t in items) for items in given.values()]
            assert max(counts) - min(counts) <= 1, (value, counts)


def test_each_annotator_has_an_order_of_their_own_and_it_repeats():
    given = assign(TASKS, ["p0", "p1"], 2, seed=4)
    assert [t.uid for t in given["p0"]] != [t.uid for t in given["p1"]]
    assert [t.uid for t in assign(TASKS, ["p0", "p1"], 2, seed=4)["p0"]] == [t.uid for t in given["p0"]]


def test_an_overlap_larger_than_the_team_is_refused():
    with pytest.raises(IllusionError, match=r"--overlap 3 needs at least 3 annotators, and there are 2"):
        assign(TASKS, ["p0", "p1"], 3, seed=0)
    with pytest.raises(IllusionError, match=r"no annotators .*add-annotator"):
        assign(TASKS, [], 1, seed=0)


def test_adding_attention_checks_moves_no_other_task():
    names = ["p0", "p1", "p2"]
    checks = [task(n, "attention", d) for n in range(4) for d in ("a", "b")]
    before = assign(TASKS + checks[:2], names, 2, seed=0)
    after = assign(TASKS + checks, names, 2, seed=0)
    for name in names:
        data = lambda items: {t.uid for t in items if t.condition != "attention"}  # noqa: E731
        assert data(before[name]) == data(after[name])
