"""What a conformance check receives and may raise, and the registry of checks by kind.

A check takes a :class:`Subject` and raises :class:`Failure` (one line: what is wrong) or
:class:`Skip` (the check does not apply).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from illusion.directions import SamplerContext
from illusion.errors import IllusionError, MissingParameter, PluginError, PluginUnavailable
from illusion.host import Host
from illusion.records import Record
from illusion.registrations import (
    KINDS,
    ConceptDetectorPlugin,
    DatasetPlugin,
    DiagnosticContext,
    DiagnosticPlugin,
    DirectionSamplerPlugin,
    ExplainerInput,
    ExplainerPlugin,
    Explanation,
    ModelLayerPlugin,
    Registration,
)

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


R = TypeVar("R", bound=Registration)


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

    def plugin(self, cls: type[R]) -> R:
        """The registration under test as ``cls``, the registration class of its kind."""
        registration = self.registration
        if not isinstance(registration, cls):
            raise TypeError(f"{self.label} is a {registration.kind}, not a {cls.kind}")
        return registration

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name.rpartition(':')[2]!r}"

    def records(self) -> list[Record]:
        """The dataset's records for ``options`` and ``seed`` (read once)."""
        if self._records is None:
            self._records = self.plugin(DatasetPlugin).load(self.options, seed=self.seed)
        return self._records

    def model(self, copy: int = 0) -> Any:
        """Model layer number ``copy`` created from ``options`` (each created once)."""
        if copy not in self._models:
            self._models[copy] = self.plugin(ModelLayerPlugin).create(self.options)
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
        return self.plugin(ConceptDetectorPlugin).create(
            self.argument if argument is None else argument, self.options if options is None else options
        )

    def explainer(self, options: Mapping[str, Any] | None = None) -> Callable[[ExplainerInput], Explanation | None]:
        """The explainer for ``options`` (the subject's own by default)."""
        return self.plugin(ExplainerPlugin).create(self.options if options is None else options)

    def diagnostic_context(self) -> DiagnosticContext:
        """A run of two synthetic datasets (seeded word-salad sentences and vectors, three directions, the top 5) with
        the statistics and control sets ``illusion run`` computes, and the results of every diagnostic the subject needs."""
        from illusion.run import stats
        from illusion.run.control_sets import CONTROL, control_indices, control_set
        from illusion.run.schema import DatasetEntry, DirectionEntry, Manifest, Stats
        from illusion.run.topk import extremes

        rng = np.random.default_rng(20_240_501)
        words = ("the", "a", "war", "king", "light", "dog", "sat", "on", "and", "love")
        vectors = {
            name: (rng.standard_normal((size, self.dim)) + shift).astype(np.float32)
            for name, size, shift in (("alpha", 60, 0.5), ("beta", 40, -0.5))
        }
        texts = {name: [" ".join(rng.choice(words, size=6)) for _ in range(len(v))] for name, v in vectors.items()}
        ids, conditions = ["neuron:0", "neuron:1", "random:0"], ["neuron", "neuron", "random"]
        directions = np.eye(3, self.dim, dtype=np.float32)
        found = {name: extremes(v, directions, 5) for name, v in vectors.items()}
        top = {name: (np.asarray(f.top_index), np.asarray(f.top_score)) for name, f in found.items()}
        per_direction = stats.direction_findings(top, ids, conditions, 5)
        run_stats = Stats(
            directions=per_direction,
            conditions=stats.summarise_by_condition(per_direction),
            separability=stats.dataset_classifier(vectors, self.seed),
        )
        manifest = Manifest(
            run_id="conformance",
            illusion_version="",
            created="",
            seed=self.seed,
            k=5,
            config={"model": {"plugin": "synthetic"}},
            datasets=[DatasetEntry(name=name, plugin="synthetic", size=len(v), hash="") for name, v in vectors.items()],
            directions=[DirectionEntry(id=i, sampler=c, condition=c) for i, c in zip(ids, conditions)],
            plugins=[],
            timings={},
        )
        records = {name: [Record(f"{name}-{n}", text) for n, text in enumerate(lines)] for name, lines in texts.items()}
        controls = [
            control_set(f"{CONTROL}:{name}:{n}", name, records[name], chosen)
            for name in vectors
            for n, chosen in enumerate(control_indices(name, len(records[name]), 5, 2, self.seed))
        ]
        results: dict[str, Any] = {}
        context = DiagnosticContext(
            "conformance", self.seed, 5, list(vectors), vectors, texts, ids, conditions, directions,
            {name: t[0] for name, t in top.items()}, run_stats, manifest, {"neuron": "candidate", "random": "baseline"},
            results=results, controls=controls,
        )  # fmt: skip
        for need in self._needs(self.plugin(DiagnosticPlugin)):
            results[need.name] = need.run(context)
        return context

    def _needs(self, diagnostic: DiagnosticPlugin) -> list[DiagnosticPlugin]:
        """The diagnostics ``diagnostic`` needs, directly or not, each after those it needs."""
        ordered: list[DiagnosticPlugin] = []
        for name in diagnostic.needs:
            need = self.host.get("diagnostic", name)
            ordered += [d for d in [*self._needs(need), need] if d not in ordered]
        return ordered

    def run(self, options: Mapping[str, Any]) -> Any:
        """Use the plugin once with ``options``, as ``illusion`` would."""
        if self.kind == "diagnostic":
            self.plugin(DiagnosticPlugin).resolve(options)
            return self.plugin(DiagnosticPlugin).run(self.diagnostic_context())
        if self.kind == "dataset":
            return self.plugin(DatasetPlugin).load(options, seed=self.seed)
        if self.kind == "model layer":
            layer = self.plugin(ModelLayerPlugin).create(options)
            layer.encode(SENTENCES[:1])
            return layer
        if self.kind == "concept detector":
            return self.detector(options=options)(SENTENCES[:1])
        if self.kind == "explainer":
            return self.explainer(options)(explainer_input())
        return self.plugin(DirectionSamplerPlugin).sample(self.context(), options)


def explainer_input(direction: str = "neuron:0") -> ExplainerInput:
    """A direction whose top sentences share the words "ships" and "harbour", against a contrast of the others."""
    top = [f"The ships reached the harbour at dawn number {n}." for n in range(6)]
    rest = [*SENTENCES, *(f"Prices rose sharply in month {n} after the harvest." for n in range(20))]
    return ExplainerInput(
        direction,
        "check",
        top,
        [float(9 - n) for n in range(6)],
        rest[:4],
        [float(-n) for n in range(4)],
        rest,
        [0.0] * len(rest),
    )


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


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the plugin cannot run here: ``illusion.PluginUnavailable``, or a required parameter without value."""
    return isinstance(exc, (PluginUnavailable, MissingParameter))
