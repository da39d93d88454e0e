"""The run folder's files as frozen, typed models: the one description of what each file holds.

Every file that ``illusion run``, ``illusion diagnose`` and ``illusion import`` write is one model
here (a JSON file) or one model per line (a JSON-lines file); :class:`illusion.run.folder.RunFolder`
reads and writes them through :func:`parse` and :func:`rows`, which turn a file that does not match
into a clear error naming the file, the line and the field. The JSON Schema files in
``illusion/run/schemas/`` are generated from these models (:mod:`illusion.run.schemas`), and
docs/run-folder.md lists their fields.

``format`` versions the folder: the manifest carries it (and ``diagnostics.json``, read on its
own); a folder without it is format 1, and one of a newer format than :data:`FORMAT` is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictInt, ValidationError

from illusion.directions import condition_of
from illusion.errors import IllusionError

FORMAT = 1

JsonObject = dict[str, JsonValue]
Name = Annotated[str, Field(min_length=1)]  # an id or a name: never empty


class Model(BaseModel):
    """A frozen model of (part of) a run-folder file: unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """The JSON object the file holds (the fields that were given: a file read and written again is unchanged)."""
        return self.model_dump(mode="json", exclude_unset=True)


# -- manifest.json ---------------------------------------------------------------------------------


class DatasetEntry(Model):
    """A dataset of the run: its name, plugin, number of sentences and content hash."""

    name: Name
    plugin: str
    size: int
    hash: str


class DirectionEntry(Model):
    """A direction of the run: its id (``CONDITION:LOCAL``), sampler plugin and condition (the sampler's name in the config)."""

    id: Name
    sampler: Name
    condition: Name

    @classmethod
    def of(cls, identifier: str, sampler_of: Mapping[str, str]) -> DirectionEntry:
        """The entry of direction ``identifier``; ``sampler_of``: condition -> sampler plugin."""
        condition = condition_of(identifier)
        return cls(id=identifier, sampler=sampler_of[condition], condition=condition)


class PluginEntry(Model):
    """A plugin the run used, with the distribution that gave it."""

    kind: str
    name: str
    distribution: str
    version: str
    fingerprint: str = ""


class DrivingTokens(Model):
    """How the run found each listed sentence's driving token."""

    method: str | None
    description: str | None


class RayFacts(Model):
    """A distributed run's shards per dataset, sample size, bytes of summaries moved per pass and shards resumed."""

    shards: dict[str, int]
    sample: int
    bytes: dict[str, int]  # per pass
    resumed: int


class Manifest(Model):
    """``manifest.json``: what ran (configuration, model, plugins), on which data, and how long; written last."""

    format: int = FORMAT
    run_id: Name
    illusion_version: str
    created: str
    seed: int
    k: int
    config: JsonObject
    model: JsonObject | None = None  # the model layer's identity (runs before it was recorded have none)
    dim: int | None = None
    driving_tokens: DrivingTokens | None = None
    datasets: list[DatasetEntry]
    directions: list[DirectionEntry]
    plugins: list[PluginEntry]
    plugin_problems: list[str] = []
    timings: dict[str, float]
    ray: RayFacts | None = None

    @property
    def dataset_names(self) -> list[str]:
        return [d.name for d in self.datasets]

    @property
    def direction_ids(self) -> list[str]:
        return [d.id for d in self.directions]

    @property
    def conditions(self) -> list[str]:
        return [d.condition for d in self.directions]

    def made_by(self) -> PluginEntry | None:
        """The run's model-layer plugin, whose release is part of its vectors' store key."""
        return next((p for p in self.plugins if p.kind == "model layer"), None)


# -- topk.jsonl, controls.jsonl, checks.jsonl, marks.jsonl, profile-sentences.jsonl -----------------


class Listed(Model):
    """A sentence listed for a direction: id, text, activation, its driving token and the token's span in the text."""

    id: Name
    text: str
    score: float
    token: str | None = None
    span: tuple[int, int] | None = None


class TopkRow(Model):
    """A line of ``topk.jsonl``: one direction's top and bottom k sentences in one dataset, in rank order."""

    direction: Name
    sampler: Name
    condition: Name
    dataset: Name
    top: list[Listed]
    bottom: list[Listed]


class SetSentence(Model):
    id: Name
    text: str


class ControlSet(Model):
    """A line of ``controls.jsonl``: k random sentences of one dataset (the paper's control)."""

    set: Name
    condition: Name
    dataset: Name
    sentences: list[SetSentence]


class CheckSet(Model):
    """A line of ``checks.jsonl``: an attention check, k sentences of one dataset that share ``word``."""

    set: Name
    condition: Name
    dataset: Name
    word: Name
    sentences: list[SetSentence]


class Mark(Model):
    """A line of ``marks.jsonl``: the mark a campaign shows on a sentence (its own driving token and span)."""

    dataset: Name
    id: Name
    token: str | None
    span: tuple[int, int] | None


class ProfileSentence(Model):
    """A line of ``profile-sentences.jsonl``: a sentence sampled by the activation profiles, by dataset and index."""

    dataset: Name
    index: int
    id: Name
    text: str


# -- stats.json ------------------------------------------------------------------------------------


class PooledEntry(Model):
    dataset: str
    id: str
    score: float


class Pooled(Model):
    """The pooled top-k over all datasets: sentences per dataset, the largest dataset and its share."""

    counts: dict[str, int]
    largest_dataset: str
    largest_share: float
    top: list[PooledEntry] | None = None


class DirectionStats(Model):
    condition: str
    pooled: Pooled
    range_overlap: dict[str, bool]  # "a|b" -> whether the two datasets' top-k ranges overlap


class ConditionStats(Model):
    directions: int
    range_overlap_share: float | None
    mean_largest_share: float


class Separability(Model):
    """The dataset classifier: held-out accuracy, chance and confusion matrix (None with fewer than two datasets)."""

    labels: list[str]
    classifier: str | None = None
    test_size: int | None = None
    accuracy: float | None
    chance: float | None
    confusion: list[list[int]] | None
    note: str | None = None


class Stats(Model):
    """``stats.json``: per-direction findings from the top-k, their summary by condition, the dataset classifier."""

    directions: dict[str, DirectionStats]
    conditions: dict[str, ConditionStats]
    separability: Separability


# -- diagnostics.json ------------------------------------------------------------------------------


class FindingPaper(Model):
    """The paper's value of a finding: the number (None when the paper gives it in words only), in words, and why this
    run does not measure it as the paper did (None: it does)."""

    value: float | None
    text: str | None
    why: str | None


class Measured(Model):
    """A finding's value for one condition (or ``all``): the value, its interval, the chance level and its parts."""

    value: float | None
    interval: list[float | None] | None
    chance: float | None
    parts: dict[str, float | None] | None = None


class FindingEntry(Model):
    """A finding in ``diagnostics.json``: its diagnostic, what it is, how it is shown, the paper's value and its values
    by condition (``all`` for one of the whole run)."""

    diagnostic: Name
    title: str
    description: str
    per_condition: bool
    interval: str | None  # what the values' intervals are
    shown: str  # "percent", "score" or "number"
    paper: FindingPaper | None
    warned_by: list[str] = []  # the sanity warnings that bear on it
    values: dict[str, Measured]


class Problem(Model):
    """A diagnostic that failed or was skipped: its name, plugin and distribution, and why."""

    diagnostic: Name
    plugin: str
    distribution: str
    message: str


class Diagnostics(BaseModel):
    """``diagnostics.json``: the envelope (format, run, settings, datasets, timings, problems) and one result per diagnostic,
    by key (``separability``, ``monotonicity``, ...), each a JSON object."""

    model_config = ConfigDict(frozen=True, extra="allow")
    __pydantic_extra__: dict[str, JsonObject]

    format: int = FORMAT
    run_id: str
    created: str
    settings: JsonObject
    datasets: list[str]
    timings: dict[str, float]
    findings: dict[str, FindingEntry] = Field(default_factory=dict)  # by key
    problems: list[Problem] = Field(default_factory=list)

    @property
    def results(self) -> dict[str, JsonObject]:
        """Each diagnostic's result by its key."""
        return dict(self.__pydantic_extra__)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


def findings_of(diagnostics: Mapping[str, Any]) -> dict[str, FindingEntry]:
    """The ``findings`` of a ``diagnostics.json`` content (as the suite returns it, before it is written), typed."""
    return {key: FindingEntry.model_validate(entry) for key, entry in diagnostics.get("findings", {}).items()}


def problems_of(diagnostics: Mapping[str, Any]) -> list[Problem]:
    """The ``problems`` of a ``diagnostics.json`` content, typed."""
    return [Problem.model_validate(problem) for problem in diagnostics.get("problems", [])]


# -- annotations.jsonl -----------------------------------------------------------------------------


class Annotation(Model):
    """A line of ``annotations.jsonl``: one annotator's answers to one task (a set or a pair of sets)."""

    task_uid: str
    task_type: str  # "set" or "pair"
    run_id: str
    set_id: str
    direction: str | None
    condition: str
    dataset: str | None
    datasets: list[str]
    annotator: str
    annotation_id: StrictInt | None
    pattern: str | None
    fits: list[StrictInt] | None  # sentence numbers from 1, in the run's order
    description: str | None
    taxonomy: str | None
    confidence: StrictInt | None
    same_concept: str | None
    lead_time: float | None
    created_at: str | None
    updated_at: str | None


# -- explanations.jsonl ----------------------------------------------------------------------------


class ExplanationScore(Model):
    """An explanation scored on one target dataset (on the source, over the sentences its explainer did not see);
    the numbers are None when it is untestable there."""

    auroc: float | None
    auroc_low: float | None
    auroc_high: float | None
    p_value: float | None
    matches: int
    sentences: int
    verdict: str  # "holds", "fails" or "untestable"


class ExplanationRow(Model):
    """A line of ``explanations.jsonl`` (``illusion explain``): one explainer's explanation of one direction from one
    source dataset, scored on every target dataset, with the transfer gap and whether it holds on every other one."""

    direction: Name
    condition: str
    role: str
    explainer: Name
    source: Name
    explanation: str
    detector: str
    options: JsonObject
    scores: dict[str, ExplanationScore]  # target dataset -> its score
    transfer_gap: float | None
    transfer_gap_low: float | None
    transfer_gap_high: float | None
    holds_elsewhere: bool | None


# -- reading ---------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: object, where: str, remedy: str) -> M:
    """``data`` as ``model``; an :class:`IllusionError` naming ``where``, the field and ``remedy`` if it does not match."""
    if isinstance(data, dict):
        check_format(data, where, remedy)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise IllusionError(f"{where}: {_first_problem(exc)}; {remedy}") from None


def rows(model: type[M], lines: Iterable[tuple[int, object]], file: str, remedy: str) -> list[M]:
    """Each line of a JSON-lines file (its number from 1, its value) as ``model``; errors name the file and the line."""
    return [parse(model, line, f"{file}, line {number}", remedy) for number, line in lines]


def check_format(data: Mapping[str, object], where: str, remedy: str) -> None:
    """A clear error for a file of a format this version cannot read (absent: format 1)."""
    found = data.get("format", FORMAT)
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise IllusionError(f"{where}: field 'format' is {found!r}, not a format number; {remedy}")
    if found > FORMAT:
        raise IllusionError(
            f"{where}: format {found} is newer than this illusion reads (format {FORMAT}); "
            "upgrade illusion (pip install -U illusion) to read it"
        )


def _first_problem(exc: ValidationError) -> str:
    """The first field at fault: ``no run_id`` or ``field 'datasets.0.size': ...``."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"no {field}"
    if not field:
        return f"expected a JSON object ({error['msg']})"
    if error["type"] == "extra_forbidden":
        return f"unknown field {field!r} (written by a newer illusion? upgrade illusion to read it)"
    return f"field {field!r}: {error['msg']} (found {error['input']!r})"[:300]
