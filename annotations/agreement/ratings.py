"""Read a labelled run folder and shape its ratings: per set, per pair and per labelled field.

The sets and pairs come from the run folder exactly as ``illusion export`` builds its tasks
(``illusion.annotations.campaign.tasks``), so sets nobody has labelled yet are counted too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from illusion.annotations.agreement.reliability import Level
from illusion.annotations.campaign import tasks
from illusion.annotations.campaign.row_checks import CONFIDENCE, PATTERN, SAME_CONCEPT, TAXONOMY, validate_row
from illusion.annotations.campaign.rows import latest_per_annotator
from illusion.errors import IllusionError
from illusion.run.folder import ANNOTATIONS, RunFolder
from illusion.run.schema import Annotation, Stats

CONTROL = "control"


@dataclass(frozen=True)
class FieldSpec:
    """A labelled field: where it lives, its level of measurement and its ordered categories."""

    name: str
    task_type: str
    level: Level
    categories: tuple


FIELDS = (
    FieldSpec("pattern", "set", "nominal", PATTERN),
    FieldSpec("taxonomy", "set", "nominal", TAXONOMY),
    FieldSpec("confidence", "set", "ordinal", CONFIDENCE),
    FieldSpec("fits", "set", "nominal", ("no", "yes")),  # one unit per sentence: does it fit the pattern?
    FieldSpec("same_concept", "pair", "ordinal", SAME_CONCEPT),
)


@dataclass
class RatedItem:
    """One labelled set (the top sentences of a direction in one dataset) or one cross-dataset pair."""

    set_id: str
    task_type: str
    condition: str
    group: str | None  # the direction; for control sets, the group of control sets compared across datasets
    datasets: tuple[str, ...]
    size: int | None = None  # sentences in a set
    labels: dict[str, Annotation] = field(default_factory=dict)  # annotator -> their label

    @property
    def dataset(self) -> str | None:
        return self.datasets[0] if self.task_type == "set" else None

    def votes(self, name: str) -> list:
        """The non-missing values of one field, one per annotator, in annotator order."""
        return [value for _, row in sorted(self.labels.items()) if (value := getattr(row, name)) is not None]

    @property
    def call(self) -> str:
        """``pattern``/``none`` when every pattern vote agrees, ``conflict`` when not, ``unlabelled``."""
        votes = set(self.votes("pattern"))
        if not votes:
            return "unlabelled"
        if len(votes) > 1:
            return "conflict"
        return "pattern" if votes == {"yes"} else "none"

    def fit_counts(self) -> list[int]:
        """Sentences marked as fitting, per annotator who saw a pattern and marked them."""
        return [len(row.fits) for _, row in sorted(self.labels.items()) if row.pattern == "yes" and row.fits is not None]


@dataclass
class LabelledRun:
    """What the agreement statistics read from a labelled run folder."""

    path: Path
    run_id: str
    k: int  # the most sentences in a set
    seed: int
    datasets: list[str]
    groups: dict[str, str]  # direction or control group -> condition, in the run's order
    sets: dict[str, RatedItem]  # set_id -> task, every set of the run included (labelled or not)
    pairs: dict[str, RatedItem]
    annotators: list[str]
    stats: Stats | None  # None when the run has no stats.json
    rows: int
    duplicates: int
    notes: list[str]


def load_labelled_run(run_dir: str | Path, rows: list[Annotation] | None = None, source: str = "the export") -> LabelledRun:
    """The run's sets and pairs as ``illusion export`` builds them, with the labels of ``annotations.jsonl``
    (or ``rows`` read from ``source``)."""
    campaign = tasks.load_campaign_run(run_dir)
    path = campaign.path
    notes = []
    folder = RunFolder(path)
    stats = folder.optional_stats()
    if stats is None:
        notes.append("stats.json is absent: no automatic statistics to show beside the human ones")
    if rows is None:
        source = str(folder / ANNOTATIONS)
        rows = folder.annotations("annotations file (run `illusion import` first)")
    if not rows:
        raise IllusionError(f"{source}: no annotations; label some sets in Label Studio, then run `illusion import`")
    sets, pairs, groups = _expected(campaign)
    for number, row in enumerate(rows, 1):
        task = sets.get(row.set_id)
        validate_row(row, f"{source}, line {number}", task.size if task else None)
        if row.run_id != campaign.run_id:
            raise IllusionError(
                f"{source}, line {number}: run_id {row.run_id!r} is not this run's {campaign.run_id!r}; "
                "re-run `illusion import` on this run folder"
            )
    rows, duplicates = latest_per_annotator(rows)
    if duplicates:
        notes.append(f"{duplicates} repeated label(s) of a task by the same annotator: kept the latest of each")
    strangers = 0
    for row in rows:
        table = sets if row.task_type == "set" else pairs
        if row.set_id not in table:
            strangers += 1
            table[row.set_id] = _task(row)
        table[row.set_id].labels[row.annotator] = row
    if strangers:
        notes.append(f"{strangers} label(s) of tasks this run folder does not list: counted, but outside any cross-dataset group")
    return LabelledRun(
        path=path,
        run_id=campaign.run_id,
        k=max(task.size or 0 for task in sets.values()),
        seed=campaign.seed,
        datasets=list(dict.fromkeys([*campaign.datasets, *(d for t in [*sets.values(), *pairs.values()] for d in t.datasets)])),
        groups=groups,
        sets=sets,
        pairs=pairs,
        annotators=sorted({row.annotator for row in rows}),
        stats=stats,
        rows=len(rows),
        duplicates=duplicates,
        notes=notes,
    )


def components(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """The connected component of each node of an undirected graph, numbered in order of first node."""
    index = {node: i for i, node in enumerate(nodes)}
    pairs = [(index[a], index[b]) for a, b in edges if a in index and b in index]
    rows, cols = zip(*pairs, strict=True) if pairs else ((), ())
    graph = coo_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(index), len(index)))
    labels = connected_components(graph, directed=False)[1] if index else []
    order = {label: n for n, label in enumerate(dict.fromkeys(labels))}
    return {node: order[labels[i]] for node, i in index.items()}


def _expected(campaign: tasks.CampaignRun) -> tuple[dict[str, RatedItem], dict[str, RatedItem], dict[str, str]]:
    """Every set and pair task of the run, and their groups: a direction, or control sets compared across datasets."""
    pairs = tasks.pairs(campaign, campaign.sets)
    group_of = {st.set_id: name for st, (_, name) in zip(campaign.sets, tasks.group_keys(campaign.sets), strict=True)}
    sets = {
        st.set_id: RatedItem(st.set_id, "set", st.condition, group_of[st.set_id], (st.dataset,), len(st.sentences))
        for st in campaign.sets
    }
    pair_tasks = {}
    for a, b in pairs:
        set_id = tasks.pair_set_id(a, b)
        pair_tasks[set_id] = RatedItem(set_id, "pair", a.condition, group_of[a.set_id], (a.dataset, b.dataset))
    groups = {group_of[task.set_id]: task.condition for task in sets.values()}
    return sets, pair_tasks, groups


def field_codes(tasks: Sequence[RatedItem], spec: FieldSpec, annotators: Sequence[str], k: int) -> np.ndarray:
    """Ratings as category indices, shape (annotators, tasks, units per task), NaN where missing.

    Every field has one unit per task except ``fits``: one unit per sentence (1 if the annotator
    marked it as fitting; missing past the end of a shorter set). An annotator who saw no pattern
    marked no sentence; one who saw a pattern but marked none left the field missing.
    """
    width = k if spec.name == "fits" else 1
    codes = np.full((len(annotators), len(tasks), width), np.nan)
    for column, task in enumerate(tasks):
        for rater, annotator in enumerate(annotators):
            row = task.labels.get(annotator)
            if row is None:
                continue
            if spec.name == "fits":
                fits = row.fits if row.pattern == "yes" else ([] if row.pattern == "no" else None)
                if fits is not None:
                    size = task.size or k
                    codes[rater, column, :size] = np.isin(np.arange(1, size + 1), fits)
            elif (value := getattr(row, spec.name)) is not None:
                codes[rater, column, 0] = spec.categories.index(value)
    return codes


def _task(row: Annotation) -> RatedItem:
    """A task known only from its labels: grouped by its direction, if it has one."""
    datasets = tuple(row.datasets) if row.task_type == "pair" else (row.dataset or row.datasets[0],)
    return RatedItem(row.set_id, row.task_type, row.condition, row.direction, datasets)
