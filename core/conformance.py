"""Conformance checks: what every dataset, model layer, direction sampler and concept detector must do.

The pytest kit (:mod:`illusion.testing`) runs them on the plugin an author names;
``illusion plugins --check`` runs them on every installed plugin with its default options.
A check takes a :class:`Subject` and raises :class:`Failure` (one line: what is wrong) or
:class:`Skip` (the check does not apply).
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from illusion.directions import SamplerContext
from illusion.errors import IllusionError, PluginError
from illusion.host import Host
from illusion.model_layer import TokenVectors
from illusion.records import Record
from illusion.registrations import KINDS, Registration

SENTENCES = (
    "The old lighthouse keeper counted ships until dawn.",
    "Why?",
    "Prices rose sharply in March, and again in May after the harvest failed.",
    "A",
)
# ``illusion plugins --check`` reads datasets unsplit and unfiltered: the same factory output, far faster;
# it gives concept detectors an argument that is both a regular expression and a word list.
CHECK_DATASET_OPTIONS = {"split_sentences": False, "min_words": 1, "max_words": 100_000}
CHECK_ARGUMENT = "the"
_WRONG_TYPE = {str: 12345, int: "twelve", float: "twelve", bool: "yes", list: "not a list"}
_VALID = {str: "x", int: 1, float: 1.0, bool: False, list: []}


class Failure(AssertionError):
    """The plugin does not conform; the message says what is wrong."""


class Skip(Exception):
    """The check does not apply to this plugin or these options."""


@dataclass
class Subject:
    """One registration under test and the inputs the checks give it.

    ``options`` must make the plugin work and give some output; ``empty_options`` (optional)
    give it an empty source; ``bad_options`` are ``(options, fragment of the expected error)``.
    Concept detectors get ``argument`` (the text after ``name:``) and ``bad_arguments``, pairs of
    an argument and a fragment of its error. Samplers see a synthetic context of dimension ``dim``;
    ``atol`` bounds float differences.
    """

    host: Host
    kind: str
    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    empty_options: Mapping[str, Any] | None = None
    bad_options: Sequence[tuple[Mapping[str, Any], str]] = ()
    argument: str = ""
    bad_arguments: Sequence[tuple[str, str]] = ()
    seed: int = 0
    dim: int = 32
    atol: float = 1e-4
    _models: dict[int, Any] = field(default_factory=dict, repr=False)
    _records: list[Record] | None = field(default=None, repr=False)

    @property
    def registration(self) -> Registration:
        return self.host.get(self.kind, self.name)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name!r}"

    def records(self) -> list[Record]:
        """The dataset's records for ``options`` and ``seed`` (read once)."""
        if self._records is None:
            self._records = self.registration.load(self.options, seed=self.seed)
        return self._records

    def model(self, copy: int = 0) -> Any:
        """Model layer number ``copy`` created from ``options`` (each created once)."""
        if copy not in self._models:
            self._models[copy] = self.registration.create(self.options)
        return self._models[copy]

    def context(self, sentences: int = 1) -> SamplerContext:
        """A sampler context with two synthetic datasets; ``sentences=0`` makes them empty."""
        rng = np.random.default_rng(20_240_501)
        vectors = {
            name: (rng.standard_normal((size * sentences, self.dim)) + shift).astype(np.float32)
            for name, size, shift in (("alpha", 24, 0.5), ("beta", 16, -0.5))
        }
        return SamplerContext(self.dim, self.seed, list(vectors), vectors.__getitem__)

    def detector(self, argument: str | None = None, options: Mapping[str, Any] | None = None) -> Callable[[Sequence[str]], Any]:
        """The concept detector for ``argument`` and ``options`` (the subject's own by default)."""
        return self.registration.create(
            self.argument if argument is None else argument, self.options if options is None else options
        )

    def run(self, options: Mapping[str, Any]) -> Any:
        """Use the plugin once with ``options``, as ``illusion`` would."""
        registration = self.registration
        if self.kind == "dataset":
            return registration.load(options, seed=self.seed)
        if self.kind == "model layer":
            layer = registration.create(options)
            layer.encode(SENTENCES[:1])
            return layer
        if self.kind == "concept detector":
            return self.detector(options=options)(SENTENCES[:1])
        return registration.sample(self.context(), options)


Check = Callable[[Subject], None]
CHECKS: dict[str, dict[str, Check]] = {kind: {} for kind in KINDS}


def check(name: str, *kinds: str) -> Callable[[Check], Check]:
    """Register a check under ``name`` for ``kinds`` (all kinds when none are given)."""

    def register(function: Check) -> Check:
        for kind in kinds or KINDS:
            CHECKS[kind][name] = function
        return function

    return register


def crashed(exc: BaseException) -> bool:
    """Whether ``exc`` is an uncaught failure inside a plugin rather than a deliberate, clear error."""
    return not isinstance(exc, PluginError) or (exc.__cause__ is not None and not isinstance(exc.__cause__, IllusionError))


# -- every kind -------------------------------------------------------------------------------


@check("registration")
def registered(subject: Subject) -> None:
    """The plugin is found, provides the name once, and loads without problems."""
    host = subject.host
    entries = host.registrations(subject.kind).get(subject.name, [])
    if not entries:
        problems = "; ".join(map(str, host.problems)) or "none"
        raise Failure(
            f"no {subject.label} is registered (problems while loading plugins: {problems}); "
            "install the plugin (pip install -e .) or name its module in the test's `plugin`"
        )
    if len(entries) > 1:
        who = " and ".join(f"{entry.distribution} (plugin {entry.plugin!r})" for entry in entries)
        raise Failure(f"{subject.label} is claimed by {who}")
    own = [str(p) for p in host.problems if p.plugin == entries[0].plugin and p.distribution == entries[0].distribution.name]
    if own:
        raise Failure("; ".join(own))


@check("parameters")
def parameters(subject: Subject) -> None:
    """Every declared parameter has a one-line help, a valid default, and reaches the factory."""
    plugin = subject.registration
    for param in plugin.params:
        if not param.name.isidentifier():
            raise Failure(f"{plugin.label}: parameter name {param.name!r} is not a Python identifier")
        if not param.help.strip() or "\n" in param.help.strip():
            raise Failure(f"{plugin.label}: parameter {param.name!r} needs a one-line help text")
        for value in ([] if param.required or param.default is None else [param.default]) + list(param.choices or ()):
            try:
                param.coerce(value, plugin.label)
            except PluginError as exc:
                raise Failure(f"{plugin.label}: declared value {value!r} of parameter {param.name!r} is invalid: {exc}") from None
    try:
        signature = inspect.signature(plugin.factory)
    except (TypeError, ValueError):
        return
    leading = (None,) if subject.kind in ("direction sampler", "concept detector") else ()
    try:
        signature.bind(*leading, **{param.name: None for param in plugin.params})
    except TypeError as exc:
        raise Failure(
            f"{plugin.label}: factory {getattr(plugin.factory, '__qualname__', plugin.factory)!r} "
            f"does not match the declared parameters ({exc})"
        ) from None


@check("bad_parameters")
def bad_parameters(subject: Subject) -> None:
    """Unknown, mistyped, out-of-choice and missing parameters, and the test's bad options, give one clear error."""
    plugin = subject.registration
    base = {
        param.name: param.choices[0] if param.choices else _VALID[param.type] for param in plugin.all_params if param.required
    } | dict(subject.options)
    cases = [({**base, "no_such_parameter": 1}, "no_such_parameter")]
    for param in plugin.all_params:
        cases.append(({**base, param.name: _WRONG_TYPE[param.type]}, param.name))
        if param.choices and param.type in (str, int, float):
            outside = "not-a-choice" if param.type is str else max(param.choices) + 1
            cases.append(({**base, param.name: outside}, param.name))
        if param.required:
            cases.append(({key: value for key, value in base.items() if key != param.name}, param.name))
    for options, fragment in cases:
        _expect_error(lambda options=options: plugin.resolve(options), fragment, f"{plugin.label} with {options}")
    for options, fragment in subject.bad_options:
        _expect_error(lambda options=options: subject.run(options), fragment, f"{plugin.label} with bad options {dict(options)}")
    for argument, fragment in subject.bad_arguments:
        _expect_error(
            lambda argument=argument: subject.detector(argument)(SENTENCES[:1]),
            fragment,
            f"{plugin.label} with argument {argument!r}",
        )


def _expect_error(call: Callable[[], Any], fragment: str, what: str) -> None:
    try:
        call()
    except Exception as exc:  # the point of the check: which exception, and what it says
        if crashed(exc):
            raise Failure(
                f"{what}: crashed ({type(exc).__name__}: {exc}) instead of raising a clear illusion.PluginError"
            ) from None
        message = str(exc).strip()
        if "\n" in message:
            raise Failure(f"{what}: the error should be one line, got {message!r}") from None
        if fragment not in message:
            raise Failure(f"{what}: the error {message!r} does not mention {fragment!r}") from None
        return
    raise Failure(f"{what}: accepted without an error")


# -- datasets ---------------------------------------------------------------------------------


@check("output", "dataset")
def dataset_output(subject: Subject) -> None:
    """The options give a non-empty list of records with string ids and texts."""
    records = subject.records()
    if not isinstance(records, list) or not records:
        raise Failure(f"{subject.label} gives no records with options {dict(subject.options)}: choose options that give some")
    bad = [record for record in records if not record.text.strip()]
    if bad:
        raise Failure(f"{subject.label}: record {bad[0].id!r} has an empty text")


@check("determinism", "dataset")
def dataset_determinism(subject: Subject) -> None:
    """Reading the dataset twice gives the same records in the same order."""
    first = [(record.id, record.text) for record in subject.records()]
    again = [(record.id, record.text) for record in subject.run(subject.options)]
    if first != again:
        where = next((i for i, (a, b) in enumerate(zip(first, again)) if a != b), min(len(first), len(again)))
        raise Failure(
            f"{subject.label} is not deterministic: two reads differ at record {where} ({len(first)} and {len(again)} records)"
        )


@check("stable_ids", "dataset")
def dataset_ids(subject: Subject) -> None:
    """Ids are unique, and an id names the same sentence whatever the seed and sample size."""
    records = subject.records()
    ids = [record.id for record in records]
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    if twice:
        raise Failure(f"{subject.label}: ids are not unique ({', '.join(map(repr, twice[:5]))} appear more than once)")
    text_of = dict(zip(ids, (record.text for record in records)))
    options = {**subject.options, "n": max(1, len(records) // 2), "seed": subject.seed + 1}
    for record in subject.registration.load(options, seed=subject.seed + 1):
        if record.id in text_of and text_of[record.id] != record.text:
            raise Failure(
                f"{subject.label}: id {record.id!r} names {text_of.get(record.id)!r} in one read and "
                f"{record.text!r} in a sampled read: derive ids from the source, not from positions after filtering"
            )


@check("empty_input", "dataset")
def dataset_empty(subject: Subject) -> None:
    """An empty source (``empty_options``) gives no records or a clear error, never a crash."""
    if subject.empty_options is None:
        raise Skip("set empty_options to options that give an empty source, e.g. an empty file")
    try:
        records = subject.run(subject.empty_options)
    except PluginError as exc:
        if crashed(exc):
            raise Failure(f"{subject.label} crashed on an empty source: {exc}") from None
        return
    if records:
        raise Failure(f"{subject.label} gives {len(records)} records with empty_options {dict(subject.empty_options)}")


# -- model layers -----------------------------------------------------------------------------


@check("output", "model layer")
def layer_output(subject: Subject) -> None:
    """``dim``, a JSON-able ``identity``, float32 vectors of shape (texts, dim), and token vectors with spans."""
    layer = subject.model()
    if not isinstance(layer.dim, int) or isinstance(layer.dim, bool) or layer.dim < 1:
        raise Failure(f"{subject.label}: dim must be a positive int, not {layer.dim!r}")
    _vectors(subject, layer.encode(list(SENTENCES)), len(SENTENCES), layer.dim)
    tokens = layer.token_vectors(list(SENTENCES))
    if not isinstance(tokens, list) or len(tokens) != len(SENTENCES):
        raise Failure(f"{subject.label}: token_vectors must return a list with one TokenVectors per text")
    for text, item in zip(SENTENCES, tokens):
        _token_vectors(subject, text, item, layer.dim)


def _vectors(subject: Subject, vectors: Any, count: int, dim: int) -> None:
    if not isinstance(vectors, np.ndarray) or vectors.dtype != np.float32 or vectors.shape != (count, dim):
        got = f"{type(vectors).__name__} {getattr(vectors, 'dtype', '')} {getattr(vectors, 'shape', '')}"
        raise Failure(f"{subject.label}: encode must return a float32 array of shape ({count}, {dim}), got {got}")
    if not np.isfinite(vectors).all():
        raise Failure(f"{subject.label}: encode returned NaN or infinite values")


def _token_vectors(subject: Subject, text: str, item: Any, dim: int) -> None:
    if not isinstance(item, TokenVectors):
        raise Failure(f"{subject.label}: token_vectors must give illusion.TokenVectors, not {type(item).__name__}")
    shape = np.shape(item.vectors)
    if len(item.tokens) != len(item.spans) or shape != (len(item.tokens), dim):
        raise Failure(
            f"{subject.label}: {text!r} has {len(item.tokens)} tokens, {len(item.spans)} spans and vectors of shape {shape}"
        )
    for span in item.spans:
        if span is not None and not 0 <= span[0] <= span[1] <= len(text):
            raise Failure(f"{subject.label}: span {span} lies outside {text!r}")


@check("determinism", "model layer")
def layer_determinism(subject: Subject) -> None:
    """Two layers from the same options agree; a text's vector does not depend on its batch; progress adds up."""
    texts = list(SENTENCES)
    counts: list[int] = []
    first = subject.model(0).encode(texts, progress=counts.append)
    if sum(counts) != len(texts):
        raise Failure(f"{subject.label}: encode reported progress of {sum(counts)} texts for {len(texts)}")
    if not np.allclose(first, subject.model(1).encode(texts), atol=subject.atol):
        raise Failure(f"{subject.label}: two layers created from the same options give different vectors")
    alone = np.concatenate([subject.model(0).encode([text]) for text in texts])
    if not np.allclose(first, alone, atol=subject.atol):
        worst = int(np.abs(first - alone).max(axis=1).argmax())
        raise Failure(f"{subject.label}: the vector of {texts[worst]!r} changes with the other texts in its batch")


@check("stable_ids", "model layer")
def layer_identity(subject: Subject) -> None:
    """``identity`` is JSON-able, equal for equal options, and changes whenever the vectors do."""
    base = subject.model(0)
    try:
        same = json.loads(json.dumps(base.identity)) == base.identity
    except (TypeError, ValueError):
        same = False
    if not isinstance(base.identity, dict) or not same:
        raise Failure(f"{subject.label}: identity must be a dict that survives a JSON round trip, got {base.identity!r}")
    if subject.model(1).identity != base.identity:
        raise Failure(f"{subject.label}: two layers created from the same options have different identities")
    vectors = base.encode(list(SENTENCES))
    chosen = subject.registration.resolve(subject.options)
    for param in subject.registration.params:
        for value in param.choices or ((True, False) if param.type is bool else ()):
            if value == chosen[param.name]:
                continue
            try:
                other = subject.registration.create({**subject.options, param.name: value})
            except PluginError as exc:
                if crashed(exc):
                    raise
                continue  # e.g. a device this machine lacks
            changed = not np.allclose(vectors, other.encode(list(SENTENCES)), atol=subject.atol)
            if changed and other.identity == base.identity:
                raise Failure(
                    f"{subject.label}: {param.name} = {value!r} changes the vectors but not the identity, "
                    "so the activation cache would serve stale vectors"
                )


@check("empty_input", "model layer")
def layer_empty(subject: Subject) -> None:
    """No texts give a (0, dim) array and no token vectors; an empty text gives a finite vector."""
    layer = subject.model()
    _vectors(subject, layer.encode([]), 0, layer.dim)
    if list(layer.token_vectors([])) != []:
        raise Failure(f"{subject.label}: token_vectors([]) must be an empty list")
    _vectors(subject, layer.encode(["", SENTENCES[0]]), 2, layer.dim)
    _token_vectors(subject, "", layer.token_vectors([""])[0], layer.dim)


# -- direction samplers -----------------------------------------------------------------------


@check("output", "direction sampler")
def sampler_output(subject: Subject) -> None:
    """At least one unit direction of the context's dimension, as float32 vectors."""
    directions = subject.registration.sample(subject.context(), subject.options)
    if not len(directions.ids):
        raise Failure(f"{subject.label} gives no directions with options {dict(subject.options)}")
    if directions.vectors.dtype != np.float32 or directions.vectors.shape != (len(directions.ids), subject.dim):
        raise Failure(f"{subject.label}: vectors of shape {directions.vectors.shape} for {len(directions.ids)} ids")


@check("determinism", "direction sampler")
def sampler_determinism(subject: Subject) -> None:
    """The same seed gives the same directions; the sampler draws only from the context's seed or its own."""
    first, again = (subject.registration.sample(subject.context(), subject.options) for _ in range(2))
    if list(first.ids) != list(again.ids) or not np.array_equal(first.vectors, again.vectors):
        raise Failure(
            f"{subject.label} is not deterministic for seed {subject.seed}: use context.rng(seed), not global randomness"
        )


@check("stable_ids", "direction sampler")
def sampler_ids(subject: Subject) -> None:
    """Direction ids are unique, non-empty strings without spaces (repeated draws: see ``sampler_determinism``)."""
    directions = subject.registration.sample(subject.context(), subject.options)
    bad = [i for i in directions.ids if not isinstance(i, str) or not i or any(c.isspace() for c in i)]
    if bad:
        raise Failure(f"{subject.label}: direction ids must be non-empty strings without spaces, got {bad[0]!r}")
    if len(set(directions.ids)) != len(directions.ids):
        raise Failure(f"{subject.label}: direction ids are not unique")


@check("empty_input", "direction sampler")
def sampler_empty(subject: Subject) -> None:
    """Datasets without sentences give directions or a clear error, never a crash."""
    try:
        subject.registration.sample(subject.context(sentences=0), subject.options)
    except PluginError as exc:
        if crashed(exc):
            raise Failure(f"{subject.label} crashed on datasets without sentences: {exc}") from None


# -- concept detectors -----------------------------------------------------------------------


@check("output", "concept detector")
def detector_output(subject: Subject) -> None:
    """The detector gives one bool per sentence."""
    _answers(subject, subject.detector()(list(SENTENCES)), len(SENTENCES))


def _answers(subject: Subject, found: Any, count: int) -> Any:
    if not isinstance(found, np.ndarray) or found.dtype != bool or found.shape != (count,):
        raise Failure(f"{subject.label}: the detector must return a bool array of shape ({count},), got {found!r}")
    return found


@check("determinism", "concept detector")
def detector_determinism(subject: Subject) -> None:
    """Two detectors for the same argument agree, and a sentence's answer does not depend on the others."""
    first = subject.detector()(list(SENTENCES))
    if not np.array_equal(first, subject.detector()(list(SENTENCES))):
        raise Failure(f"{subject.label}: two detectors for {subject.argument!r} give different answers")
    alone = np.concatenate([subject.detector()([text]) for text in SENTENCES])
    if not np.array_equal(first, alone):
        raise Failure(f"{subject.label}: the answer for a sentence changes with the other sentences it is given with")


@check("empty_input", "concept detector")
def detector_empty(subject: Subject) -> None:
    """No sentences give an empty answer; an empty sentence gives one answer."""
    detect = subject.detector()
    _answers(subject, detect([]), 0)
    _answers(subject, detect([""]), 1)


# -- running every check ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The result of one check."""

    check: str
    status: str  # "passed", "failed" or "skipped"
    message: str = ""


def run_checks(subject: Subject, *, defaults: bool = False) -> list[Outcome]:
    """Every check of the subject's kind; with ``defaults``, a clear error from the options is a skip, not a failure."""
    outcomes = []
    for name, function in CHECKS[subject.kind].items():
        try:
            function(subject)
        except Failure as exc:
            outcomes.append(Outcome(name, "failed", str(exc)))
        except Skip as exc:
            outcomes.append(Outcome(name, "skipped", str(exc)))
        except Exception as exc:  # a plugin's own error surfaces here, reported under the check that hit it
            if defaults and not crashed(exc):
                outcomes.append(Outcome(name, "skipped", f"cannot run with its default options here: {exc}"))
            else:
                outcomes.append(Outcome(name, "failed", f"{type(exc).__name__}: {exc}" if crashed(exc) else str(exc)))
        else:
            outcomes.append(Outcome(name, "passed"))
    return outcomes


@dataclass
class PluginReport:
    """The outcomes of every check of one registration."""

    kind: str
    name: str
    plugin: str
    outcomes: list[Outcome]


@dataclass
class DistributionReport:
    """What ``illusion plugins --check`` found for one installed distribution."""

    name: str
    version: str
    problems: list[str] = field(default_factory=list)
    plugins: list[PluginReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(o.status != "failed" for p in self.plugins for o in p.outcomes)


def check_host(host: Host, distributions: Sequence[str] = ()) -> list[DistributionReport]:
    """Run every check on every registration of ``host`` (or of the named distributions) with default options."""
    reports: dict[str, DistributionReport] = {}
    wanted = set(distributions)
    for kind in KINDS:
        for name, entries in sorted(host.registrations(kind).items()):
            for entry in entries:
                if wanted and entry.distribution.name not in wanted:
                    continue
                report = reports.setdefault(
                    entry.distribution.name, DistributionReport(entry.distribution.name, entry.distribution.version)
                )
                options = CHECK_DATASET_OPTIONS if kind == "dataset" else {}
                subject = Subject(host, kind, name, options, argument=CHECK_ARGUMENT, dim=64)
                with warnings.catch_warnings():  # a report, not a console of numerical warnings
                    warnings.simplefilter("ignore")
                    outcomes = run_checks(subject, defaults=True)
                report.plugins.append(PluginReport(kind, name, entry.plugin, outcomes))
    for problem in host.problems:
        if not wanted or problem.distribution in wanted:
            reports.setdefault(problem.distribution, DistributionReport(*_name_version(problem.distribution))).problems.append(
                f"plugin {problem.plugin!r}" + (f", hook {problem.hook}" if problem.hook else "") + f": {problem.message}"
            )
    return sorted(reports.values(), key=lambda report: (report.name != "illusion", report.name))


def _name_version(distribution: str) -> tuple[str, str]:
    try:
        return distribution, importlib.metadata.version(distribution)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return distribution, "-"
