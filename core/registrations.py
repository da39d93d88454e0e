"""Typed registrations: what a plugin hands the host, one dataclass per hook kind.

Each registration has a ``name``, a one-line ``description``, a ``factory`` and its declared
``params``. Validation happens here, once, for built-in and third-party plugins alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from illusion.errors import PluginError
from illusion.params import Param, ParamSet
from illusion.records import SHARED_DATASET_PARAM_NAMES, SHARED_DATASET_PARAMS, Record, prepare

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


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
    def blamed(self, while_: str = "") -> Iterator[None]:
        """Turn a plugin's own failure inside the block into a PluginError that names the plugin."""
        try:
            yield
        except PluginError:
            raise
        except Exception as exc:  # any failure of plugin code is reported, not raised as a traceback
            raise PluginError(f"{self.label} failed{while_}: {type(exc).__name__}: {exc}") from exc

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        with self.blamed():
            return self.factory(*args, **kwargs)


@dataclass(frozen=True)
class DatasetPlugin(Registration):
    """A source of sentences: ``factory(**params)`` returns an iterable of :class:`Record`.

    The host adds the shared parameters (``split_sentences``, ``min_words``, ``max_words``, ``dedupe``,
    ``n``, ``seed``) to every dataset; a plugin declares only its own, and may change the
    shared defaults with ``shared_defaults`` (e.g. ``{"split_sentences": True}`` for paragraphs).
    """

    shared_defaults: Mapping[str, Any] = field(default_factory=dict)

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
    def all_params(self) -> tuple[Param, ...]:
        shared = (replace(p, default=self.shared_defaults.get(p.name, p.default)) for p in SHARED_DATASET_PARAMS)
        return tuple(self.params) + tuple(shared)

    def load(self, options: Mapping[str, Any], *, seed: int) -> list[Record]:
        """Read, prepare and check the dataset's records."""
        values = self.resolve(options)
        shared = {name: values.pop(name) for name in SHARED_DATASET_PARAM_NAMES}
        shared["seed"] = seed if shared["seed"] is None else shared["seed"]
        records = self._call(**values)
        if not isinstance(records, Iterable):
            raise PluginError(f"{self.label}: factory must return an iterable of Record, got {type(records).__name__}")
        checked = (_check_record(record, self.label) for record in _iterate(records, self))
        return prepare(checked, **shared)


def _iterate(records: Iterable[Record], plugin: Registration) -> Iterable[Record]:
    with plugin.blamed(" while reading"):
        yield from records


def _check_record(record: Any, owner: str) -> Record:
    if not isinstance(record, Record):
        raise PluginError(f"{owner}: yielded {type(record).__name__}, expected illusion.Record")
    if not isinstance(record.id, str) or not record.id or not isinstance(record.text, str):
        raise PluginError(f"{owner}: record {record.id!r} needs a non-empty string id and a string text")
    return record


@dataclass(frozen=True)
class ModelLayerPlugin(Registration):
    """A model plus a layer and pooling: ``factory(**params)`` returns a :class:`illusion.ModelLayer`."""

    kind: ClassVar[str] = "model layer"
    hook: ClassVar[str] = "illusion_model_layers"

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

        directions = self._call(context, **self.resolve(options))
        if not isinstance(directions, Directions):
            raise PluginError(f"{self.label}: factory must return illusion.Directions, got {type(directions).__name__}")
        return directions.checked(context.dim, self.label)


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


REGISTRATION_TYPES: tuple[type[Registration], ...] = (
    DatasetPlugin,
    ModelLayerPlugin,
    DirectionSamplerPlugin,
    ConceptDetectorPlugin,
)
KINDS = {cls.kind: cls for cls in REGISTRATION_TYPES}
