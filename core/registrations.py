"""Typed registrations: what a plugin hands the host, one dataclass per hook kind.

Each registration has a ``name``, a one-line ``description``, a ``factory`` and its declared
``params``. Validation happens here, once, for built-in and third-party plugins alike.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from illusion.errors import IllusionWarning, PluginError
from illusion.params import RESERVED_NAMES, Param, ParamSet
from illusion.records import SHARED_DATASET_PARAM_NAMES, SHARED_DATASET_PARAMS, Record, check_record, check_unique_ids, prepare

if TYPE_CHECKING:  # the run folder's models, imported only for their types: ``import illusion`` stays light
    from illusion.run.schema import ControlSet, JsonObject, Manifest, Stats

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


class Interrupted(KeyboardInterrupt):
    """A real Ctrl-C while plugin code ran: the command still aborts, and the message names the plugin."""


_ctrl_c = {"pressed": False}


def watch_ctrl_c() -> None:
    """Mark a real Ctrl-C (SIGINT), so that a KeyboardInterrupt raised by plugin code is told from one."""

    def pressed(signum: int, frame: Any) -> None:
        _ctrl_c["pressed"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, pressed)


def plugin_fault(exc: BaseException, culprit: str) -> str:
    """What plugin code raised, as a message; a real Ctrl-C is raised again, as :class:`Interrupted` naming ``culprit``.

    Anything else, ``SystemExit`` and other ``BaseException`` subclasses included, is the plugin's fault.
    """
    if isinstance(exc, Interrupted):
        raise exc
    if isinstance(exc, KeyboardInterrupt) and _ctrl_c["pressed"]:
        raise Interrupted(f"interrupted while {culprit} was running") from None
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}): plugin code must not exit the program; raise an exception instead"
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def plugin_code() -> Iterator[None]:
    """Run plugin code: what it prints goes to stderr, so that a command's stdout (``--json``) stays its own."""
    with redirect_stdout(sys.stderr):
        yield


@dataclass(frozen=True)
class Registration:
    """Common fields and checks of every registration."""

    name: str
    description: str
    factory: Callable[..., Any]
    params: Sequence[Param] = field(default_factory=tuple)

    kind: ClassVar[str] = "plugin"
    hook: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise TypeError(f"name {self.name!r} must be lower-case letters, digits, '-' or '_', starting with a letter")
        if not isinstance(self.description, str) or not self.description.strip() or "\n" in self.description.strip():
            raise TypeError(f"{self.kind} {self.name!r}: description must be one non-empty line")
        if not callable(self.factory):
            raise TypeError(f"{self.kind} {self.name!r}: factory must be callable")
        if any(not isinstance(param, Param) for param in self.params):
            raise TypeError(f"{self.kind} {self.name!r}: params must be illusion.Param objects")
        _check_reserved(self.params, f"{self.kind} {self.name!r}")
        object.__setattr__(self, "params", tuple(self.params))
        ParamSet(self.all_params)

    @property
    def all_params(self) -> tuple[Param, ...]:
        """Every parameter users may set, shared ones included."""
        return tuple(self.params)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name!r}"

    def resolve(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Check ``options`` against the declared parameters and fill in defaults."""
        return ParamSet(self.all_params).resolve(options, self.label)

    @contextmanager
    def blamed(self, while_: str = "", own: bool = False) -> Iterator[None]:
        """Turn anything the plugin raises inside the block (``BaseException`` included) into a PluginError naming it.

        ``own``: the block is the plugin's code only, so its own PluginErrors are prefixed with its label when they
        do not name it. What it prints goes to stderr; a real Ctrl-C still aborts (:func:`plugin_fault`).
        """
        try:
            with plugin_code():
                yield
        except PluginError as exc:
            if own and exc.args and not str(exc).startswith(f"{self.kind} "):
                exc.args = (f"{self.label}: {exc.args[0]}", *exc.args[1:])
            raise
        except BaseException as exc:  # any failure of plugin code is reported, not raised as a traceback or an exit
            raise PluginError(f"{self.label} failed{while_}: {plugin_fault(exc, self.label)}") from exc

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        with self.blamed(own=True):
            return self.factory(*args, **kwargs)


def _check_reserved(params: Sequence[Param], owner: str) -> None:
    """Refuse parameters named like the keys a run configuration puts in the same table (``name``, ``plugin``...)."""
    reserved = sorted(RESERVED_NAMES & {param.name for param in params})
    if reserved:
        keys = ", ".join(repr(key) for key in sorted(RESERVED_NAMES))
        raise TypeError(
            f"{owner}: parameter {', '.join(map(repr, reserved))} is reserved: a run configuration's plugin table "
            f"already uses the keys {keys}, so a config file could not set both; give the parameter another name"
        )


@dataclass(frozen=True)
class DatasetPlugin(Registration):
    """A source of sentences: ``factory(**params)`` returns an iterable of :class:`Record`.

    The host adds the shared parameters (``split_sentences``, ``min_words``, ``max_words``, ``dedupe``,
    ``n``, ``seed``) to every dataset; a plugin declares only its own, and may change the
    shared defaults with ``shared_defaults`` (e.g. ``{"split_sentences": True}`` for paragraphs).

    ``shards`` (optional) makes the dataset readable in parts: ``shards(**params)`` names them (e.g.
    its files), and ``factory(**params, shard=NAME)`` yields only part NAME's records, with the ids
    the whole dataset gives them. A distributed run reads each part on a worker.

    ``sources`` (optional): ``sources(**params)`` names the files or folders the dataset reads; a run
    then keeps its prepared records in the cache until one of them (or the plugin's code) changes.
    """

    shared_defaults: Mapping[str, Any] = field(default_factory=dict)
    shards: Callable[..., Iterable[str]] | None = None
    sources: Callable[..., Iterable[str | os.PathLike]] | None = None
    configured_as: str = field(default="", compare=False)  # the dataset's name in a run configuration

    kind: ClassVar[str] = "dataset"
    hook: ClassVar[str] = "illusion_datasets"

    def __post_init__(self) -> None:
        clash = SHARED_DATASET_PARAM_NAMES & {param.name for param in self.params}
        if clash:
            raise TypeError(f"{self.label}: parameters {sorted(clash)} are shared by all datasets; do not declare them")
        unknown = set(self.shared_defaults) - SHARED_DATASET_PARAM_NAMES
        if unknown:
            raise TypeError(f"{self.label}: shared_defaults names unknown shared parameters {sorted(unknown)}")
        super().__post_init__()

    @property
    def label(self) -> str:
        if self.configured_as and self.configured_as != self.name:
            return f"dataset {self.configured_as!r} (plugin {self.name!r})"
        return super().label

    def as_configured(self, name: str) -> DatasetPlugin:
        """This plugin as the run configuration's dataset ``name``: its messages name that dataset."""
        return replace(self, configured_as=name)

    @property
    def all_params(self) -> tuple[Param, ...]:
        shared = (replace(p, default=self.shared_defaults.get(p.name, p.default)) for p in SHARED_DATASET_PARAMS)
        return tuple(self.params) + tuple(shared)

    def shard_names(self, options: Mapping[str, Any]) -> list[str | None]:
        """The parts the dataset can be read in, in order; one part (``None``: the whole) when it cannot be sharded."""
        if self.shards is None:
            return [None]
        with self.blamed(" while listing its shards"):
            names: list[str | None] = list(self.shards(**self._own_values(options)))
        if not names or not all(isinstance(name, str) for name in names) or len(set(names)) < len(names):
            raise PluginError(f"{self.label}: shards must name one or more distinct parts (strings), got {names!r}")
        return names

    def source_paths(self, options: Mapping[str, Any]) -> list[Path] | None:
        """The files and folders the dataset reads with ``options`` (None: it does not say)."""
        if self.sources is None:
            return None
        with self.blamed(" while naming its sources"):
            paths = [Path(path) for path in self.sources(**self._own_values(options))]
        return paths

    def _own_values(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The values of the plugin's own parameters (the shared ones left out)."""
        return {name: value for name, value in self.resolve(options).items() if name not in SHARED_DATASET_PARAM_NAMES}

    def load(self, options: Mapping[str, Any], *, seed: int, shard: str | None = None, sample: bool = True) -> list[Record]:
        """Read, prepare and check the dataset's records; asking for more than there are is a warning.

        ``shard``: only that part (see ``shards``); ``sample=False``: leave out the seeded sample of ``n``
        (a distributed run draws it over all parts).
        """
        values = self.resolve(options)
        shared = {name: values.pop(name) for name in SHARED_DATASET_PARAM_NAMES}
        shared["seed"] = seed if shared["seed"] is None else shared["seed"]
        if not sample:
            shared["n"] = None
        records = self._call(**values) if shard is None else self._call(**values, shard=shard)
        if not isinstance(records, Iterable):
            raise PluginError(f"{self.label}: factory must return an iterable of Record, got {type(records).__name__}")
        checked = (check_record(record, number, self.label) for number, record in enumerate(_iterate(records, self)))
        with plugin_code():  # what the plugin prints while its records are read goes to stderr
            prepared = prepare(checked, **shared)
        check_unique_ids(prepared, self.label)
        if shared["n"] is not None and shared["n"] > len(prepared):
            warnings.warn(
                f"{self.label}: n = {shared['n']} sentences asked for, but only {len(prepared)} are left after filtering; "
                f"using all {len(prepared)}",
                IllusionWarning,
                stacklevel=2,
            )
        return prepared


def _iterate(records: Iterable[Record], plugin: Registration) -> Iterable[Record]:
    """The records; what reading one raises is blamed on ``plugin`` (the caller's code between two records is not
    the plugin's). Only a failure enters ``blamed``: a context per record would cost more than most records."""
    with plugin.blamed(" while reading", own=True):
        iterator = iter(records)
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except BaseException:
            with plugin.blamed(" while reading", own=True):
                raise
        yield record


@dataclass(frozen=True)
class ModelLayerPlugin(Registration):
    """A model plus a layer and pooling: ``factory(**params)`` returns a :class:`illusion.ModelLayer`.

    ``identify`` (optional): ``identify(**params)`` returns the ``identity`` the layer ``factory`` makes
    will have, without loading the model (None when it cannot tell cheaply); a run whose vectors and
    driving tokens are all cached then never creates the layer.
    """

    identify: Callable[..., dict[str, Any] | None] | None = None

    kind: ClassVar[str] = "model layer"
    hook: ClassVar[str] = "illusion_model_layers"

    def identity_of(self, options: Mapping[str, Any]) -> dict[str, Any] | None:
        """What ``identify`` says the layer's identity is for ``options`` (None without it, or when it cannot tell)."""
        if self.identify is None:
            return None
        with self.blamed(" while identifying its layer", own=True):
            identity = self.identify(**self.resolve(options))
        if identity is not None and not isinstance(identity, dict):
            raise PluginError(f"{self.label}: identify must return a dict or None, got {type(identity).__name__}")
        return identity

    def create(self, options: Mapping[str, Any]) -> Any:
        layer = self._call(**self.resolve(options))
        for attribute in ("dim", "identity", "encode", "token_vectors"):
            if not hasattr(layer, attribute):
                raise PluginError(f"{self.label}: the object it returns has no {attribute!r} (see illusion.ModelLayer)")
        return layer


SAMPLER_ROLES = ("candidate", "baseline", "dataset-level")


@dataclass(frozen=True)
class DirectionSamplerPlugin(Registration):
    """Directions to study: ``factory(context, **params)`` returns :class:`illusion.Directions`.

    ``role`` says what the diagnostics may conclude from its directions: ``candidate`` (may mean
    something; ranked), ``baseline`` (a reference, e.g. random directions: scored, never suggested)
    or ``dataset-level`` (separates datasets by construction, e.g. a contrast of dataset means:
    marked, never ranked as a likely illusion).
    """

    role: str = "candidate"

    kind: ClassVar[str] = "direction sampler"
    hook: ClassVar[str] = "illusion_direction_samplers"

    def __post_init__(self) -> None:
        if self.role not in SAMPLER_ROLES:
            raise TypeError(f"{self.label}: role must be one of {', '.join(SAMPLER_ROLES)}, not {self.role!r}")
        super().__post_init__()

    def sample(self, context: Any, options: Mapping[str, Any]) -> Any:
        from illusion.directions import Directions

        values = self.resolve(options)
        directions = self._call(context, **values)
        if not isinstance(directions, Directions):
            raise PluginError(f"{self.label}: factory must return illusion.Directions, got {type(directions).__name__}")
        checked = directions.checked(context.dim, self.label)
        count = values.get("count")
        if isinstance(count, int) and len(checked.ids) > count:
            raise PluginError(f"{self.label}: gave {len(checked.ids)} directions, more than its count = {count}")
        return checked


@dataclass(frozen=True)
class ConceptDetectorPlugin(Registration):
    """Finds a concept in sentences: ``factory(argument, **params)`` returns a function from a list of
    sentences to one true/false per sentence. ``argument`` is the text after ``name:`` in a pattern
    (``illusion test-concept --pattern words:war,battle``): a regular expression, a word list, ...
    """

    kind: ClassVar[str] = "concept detector"
    hook: ClassVar[str] = "illusion_concept_detectors"

    def create(self, argument: str, options: Mapping[str, Any]) -> Callable[[Sequence[str]], Any]:
        """The detector for ``argument``, wrapped so that its answers are checked: a bool array per call."""
        detect = self._call(argument, **self.resolve(options))
        if not callable(detect):
            raise PluginError(f"{self.label}: factory must return a function of a list of sentences, got {type(detect).__name__}")

        def checked(texts: Sequence[str]) -> Any:
            texts = list(texts)
            with self.blamed():
                found = np.asarray(detect(texts))
            if found.shape != (len(texts),) or found.dtype != bool:
                raise PluginError(
                    f"{self.label}: the detector must return one bool per sentence ({len(texts)}), "
                    f"got {found.dtype} of shape {found.shape}"
                )
            return found

        return checked


# -- explainers: a direction's top sentences in one dataset -> a short text and a pattern to score ----------------


@dataclass(frozen=True)
class ExplainerInput:
    """What an explainer sees of one direction in one dataset's explain half (a seeded random half; the source's
    score counts the other), activations beside each sentence (highest first for ``top``, lowest first for
    ``bottom``). ``contrast``: a seeded sample of the explain half (the same for every direction; it may hold top or
    bottom sentences). ``run_dir``: the run folder, for explainers that read its files (all of it: the score half
    too)."""

    direction: str
    dataset: str
    top: Sequence[str]
    top_scores: Sequence[float]
    bottom: Sequence[str]
    bottom_scores: Sequence[float]
    contrast: Sequence[str]
    contrast_scores: Sequence[float]
    run_dir: str = ""


@dataclass(frozen=True)
class Explanation:
    """An explainer's answer: a short ``text`` for people and a ``detector`` pattern the run scores
    (``words:a,b``, ``regex:...``, ``similar:...``, ``meta:K=V`` or ``NAME:ARGUMENT`` of a concept detector plugin);
    an empty ``detector`` lets ``illusion explain`` make one from the text's content words. ``options``: the detector's."""

    text: str
    detector: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExplainerPlugin(Registration):
    """Explains a direction: ``factory(**params)`` returns a function from an :class:`ExplainerInput` to an
    :class:`Explanation`, or None when it has nothing to say (the direction is then not explained by it there)."""

    kind: ClassVar[str] = "explainer"
    hook: ClassVar[str] = "illusion_explainers"

    def create(self, options: Mapping[str, Any]) -> Callable[[ExplainerInput], Explanation | None]:
        """The explainer for ``options``, wrapped so that its answers are checked and its faults name it."""
        explain = self._call(**self.resolve(options))
        if not callable(explain):
            raise PluginError(
                f"{self.label}: factory must return a function of an illusion.ExplainerInput, got {type(explain).__name__}"
            )

        def checked(sample: ExplainerInput) -> Explanation | None:
            with self.blamed(f" on direction {sample.direction!r} in dataset {sample.dataset!r}", own=True):
                found = explain(sample)
            if found is None:
                return None
            if not isinstance(found, Explanation) or not isinstance(found.text, str) or not found.text.strip():
                raise PluginError(
                    f"{self.label}: must return an illusion.Explanation with a non-empty text, or None; got {found!r}"
                )
            if not isinstance(found.detector, str) or not isinstance(found.options, Mapping):
                raise PluginError(
                    f"{self.label}: Explanation.detector must be a pattern string and options a mapping, got {found!r}"
                )
            return found

        return checked


# -- diagnostics ---------------------------------------------------------------------------------

DIAGNOSTICS_ENVELOPE = ("format", "run_id", "created", "settings", "datasets", "timings", "findings", "problems", "paper")
WHOLE = "all"  # the key of a finding's value that holds for the whole run, not for one condition
SHOWN = ("percent", "score", "number")  # how a finding's value is shown (a share as 38.0%, a score as 0.38, a plain number)


@dataclass(frozen=True)
class FindingValue:
    """A finding's value for one condition (or the whole run): with its interval, chance level and parts where known."""

    value: float | None
    interval: Sequence[float] | None = None  # [low, high]
    chance: float | None = None
    parts: Mapping[str, float] | None = None  # e.g. per dataset or per dataset pair

    def __post_init__(self) -> None:
        """Numbers as plain floats (numpy's too), a value that is not finite as None: ``diagnostics.json`` is strict JSON."""
        try:
            object.__setattr__(self, "value", _plain(self.value))
            object.__setattr__(self, "chance", _plain(self.chance))
            if self.interval is not None:
                object.__setattr__(self, "interval", [_plain(bound) for bound in self.interval])
            if self.parts is not None:
                object.__setattr__(self, "parts", {str(key): _plain(part) for key, part in self.parts.items()})
        except (TypeError, ValueError) as exc:
            raise TypeError(f"a FindingValue holds numbers or None: {exc}") from None

    def to_json(self) -> dict[str, Any]:
        found = {"value": self.value, "interval": None if self.interval is None else list(self.interval), "chance": self.chance}
        return found | ({"parts": dict(self.parts)} if self.parts else {})


def _plain(number: Any) -> float | None:
    if number is None:
        return None
    if isinstance(number, (bool, str)):
        raise TypeError(f"{number!r} is not a number")
    found = float(number)
    return found if np.isfinite(found) else None


@dataclass(frozen=True)
class DiagnosticContext:
    """What a diagnostic reads of a run: its datasets, vectors, directions, top-k, statistics, control sets and earlier results.

    ``vectors[name]``: a dataset's sentence vectors ``(sentences, dim)``, often memory-mapped read-only;
    ``texts[name]`` its sentences; ``directions``: ``(directions, dim)`` float32, rows in ``direction_ids`` order;
    ``conditions``: each direction's condition (sampler label); ``top_index[name]``: each direction's top-k sentence
    rows ``(directions, k)``; ``stats``: the run's ``stats.json`` (:class:`illusion.run.schema.Stats`); ``manifest``:
    its ``manifest.json`` (:class:`illusion.run.schema.Manifest`, ``config`` inside); ``roles``: each condition's
    sampler role; ``settings``: the diagnostics settings; ``results``: the parts of ``diagnostics.json`` computed so
    far (every diagnostic named in ``needs`` is there); ``controls``: the run's control sets (``controls.jsonl``, k
    random sentences of a dataset per condition, :class:`illusion.run.schema.ControlSet`; empty when it has none).
    """

    run_id: str
    seed: int
    k: int
    datasets: Sequence[str]
    vectors: Mapping[str, np.ndarray]
    texts: Mapping[str, Sequence[str]]
    direction_ids: Sequence[str]
    conditions: Sequence[str]
    directions: np.ndarray
    top_index: Mapping[str, np.ndarray]
    stats: Stats
    manifest: Manifest
    roles: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    results: Mapping[str, Any] = field(default_factory=dict)
    controls: Sequence[ControlSet] = ()
    shared: Callable[[str, Callable[[], Any]], Any] | None = None  # computes a named intermediate once per suite, timed

    @property
    def config(self) -> JsonObject:
        """The run's configuration as recorded in its manifest."""
        return self.manifest.config

    def once(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, shared by every diagnostic of the suite that asks for ``name`` (timed under it)."""
        return compute() if self.shared is None else self.shared(name, compute)


@dataclass(frozen=True)
class Finding:
    """One headline number a diagnostic reports, declared once: the report, ``illusion diagnose``, the sweep,
    ``illusion tables`` and the comparison with the paper all read it from here.

    ``measure(result, context)`` gives its values from the diagnostic's result: ``{condition: FindingValue}`` when
    ``per_condition``, else ``{WHOLE: FindingValue}``. ``interval`` says what the values' intervals are. ``paper`` is
    the paper's value (``paper_text`` says it in words); ``incomparable(context)`` says why this run does not measure
    it as the paper did (None: it does); ``versus_paper(result, context)``, when given, is the finding's entry in
    ``diagnostics.json``'s ``paper`` part. ``shown``: one of ``percent``, ``score``, ``number``. ``warned_by``: the
    sanity warnings (``sanity.checks``) that bear on this finding besides those that bear on every finding.
    """

    key: str
    title: str
    description: str
    measure: Callable[[Mapping[str, Any], DiagnosticContext], Mapping[str, FindingValue]]
    per_condition: bool = True
    interval: str | None = None
    shown: str = "percent"
    paper: float | None = None
    paper_text: str | None = None
    incomparable: Callable[[DiagnosticContext], str | None] | None = None
    versus_paper: Callable[[Mapping[str, Any], DiagnosticContext], Mapping[str, Any]] | None = None
    warned_by: Sequence[str] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _NAME.match(self.key):
            raise TypeError(f"finding key {self.key!r} must be lower-case letters, digits, '-' or '_', starting with a letter")
        for name in ("title", "description"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or "\n" in value.strip():
                raise TypeError(f"finding {self.key!r}: {name} must be one non-empty line")
        if self.shown not in SHOWN:
            raise TypeError(f"finding {self.key!r}: shown must be one of {', '.join(SHOWN)}, not {self.shown!r}")
        if not callable(self.measure):
            raise TypeError(f"finding {self.key!r}: measure must be callable")
        if isinstance(self.warned_by, str) or not all(isinstance(check, str) for check in self.warned_by):
            raise TypeError(f"finding {self.key!r}: warned_by must name sanity checks, got {self.warned_by!r}")
        object.__setattr__(self, "warned_by", tuple(self.warned_by))


@dataclass(frozen=True)
class DiagnosticPlugin(Registration):
    """An automatic analysis of a run: ``factory(context)`` returns its part of ``diagnostics.json`` (a JSON-able dict).

    ``name`` is that part's key; ``title`` heads it in the report; ``needs`` names the diagnostics whose results it
    reads from ``context.results`` (they run first); ``findings`` are its headline numbers (:class:`Finding`);
    ``report`` (optional) is the Jinja2 source of its section of ``report.html`` (without it, the section is its
    title and findings).
    """

    title: str = ""
    findings: Sequence[Finding] = ()
    needs: Sequence[str] = ()
    report: str | None = None

    kind: ClassVar[str] = "diagnostic"
    hook: ClassVar[str] = "illusion_diagnostics"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.title, str) or not self.title.strip() or "\n" in self.title.strip():
            raise TypeError(f"{self.label}: title must be one non-empty line")
        if self.params:
            raise TypeError(f"{self.label}: a diagnostic takes no parameters; read what it needs from its context")
        if self.name in DIAGNOSTICS_ENVELOPE:
            raise TypeError(
                f"{self.label}: {self.name!r} is a field of diagnostics.json itself; give the diagnostic another name"
            )
        if any(not isinstance(finding, Finding) for finding in self.findings):
            raise TypeError(f"{self.label}: findings must be illusion.Finding objects")
        if self.report is not None and not isinstance(self.report, str):
            raise TypeError(f"{self.label}: report must be the text of a Jinja2 template, not {type(self.report).__name__}")
        keys = [finding.key for finding in self.findings]
        if len(set(keys)) < len(keys):
            raise TypeError(f"{self.label}: finding keys must be unique, got {keys}")
        if any(not isinstance(need, str) for need in self.needs) or self.name in self.needs:
            raise TypeError(f"{self.label}: needs must name other diagnostics, got {list(self.needs)}")
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "needs", tuple(self.needs))

    def run(self, context: DiagnosticContext) -> dict[str, Any]:
        """The diagnostic's result; a PluginError naming it when it fails or returns no JSON-able dict."""
        result = self._call(context)
        if not isinstance(result, dict):
            raise PluginError(
                f"{self.label}: factory must return a dict (its part of diagnostics.json), got {type(result).__name__}"
            )
        try:
            json.dumps(result, allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise PluginError(f"{self.label}: its result cannot be written to diagnostics.json: {exc}") from None
        return result

    def measure(self, result: Mapping[str, Any], context: DiagnosticContext) -> dict[str, dict[str, FindingValue]]:
        """Every finding's values from the diagnostic's ``result``; a PluginError naming the finding when one fails."""
        measured = {}
        for finding in self.findings:
            with self.blamed(f" measuring finding {finding.key!r}", own=True):
                values = dict(finding.measure(result, context))
            if not all(isinstance(value, FindingValue) for value in values.values()):
                raise PluginError(f"{self.label}: finding {finding.key!r} must measure illusion.FindingValue objects")
            measured[finding.key] = values
        return measured

    def versus_paper(self, result: Mapping[str, Any], context: DiagnosticContext) -> dict[str, Mapping[str, Any]]:
        """How each finding that declares it stands beside the paper: ``run``, ``interval``, ``why`` (see :class:`Finding`)."""
        compared: dict[str, Mapping[str, Any]] = {}
        for finding in self.findings:
            if finding.versus_paper is not None:
                with self.blamed(f" comparing finding {finding.key!r} with the paper", own=True):
                    compared[finding.key] = dict(finding.versus_paper(result, context))
        return compared


REGISTRATION_TYPES: tuple[type[Registration], ...] = (
    DatasetPlugin,
    ModelLayerPlugin,
    DirectionSamplerPlugin,
    ConceptDetectorPlugin,
    ExplainerPlugin,
    DiagnosticPlugin,
)
KINDS = {cls.kind: cls for cls in REGISTRATION_TYPES}
