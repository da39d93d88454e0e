"""Declared plugin parameters: each is named, typed, documented and checked in one place."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from illusion.common.checks import expect_type
from illusion.common.hints import did_you_mean
from illusion.errors import MissingParameter, PluginError


class _Required:
    def __repr__(self) -> str:
        return "required"


REQUIRED: Any = _Required()

_TYPES = (str, int, float, bool, list)

PLUGIN_KEY = "plugin"
"""The key of a run configuration's plugin table that names the plugin."""
NAME_KEYS = {"dataset": "name", "direction sampler": "label"}
"""The key that names a plugin's use in a run, per kind: ``[[datasets]] name``, ``[[samplers]] label``."""
RESERVED_NAMES = frozenset({PLUGIN_KEY, *NAME_KEYS.values()})
"""Keys a run configuration sets beside a plugin's options, in the same table: no parameter may use them."""


@dataclass(frozen=True)
class Param:
    """One parameter of a plugin: ``name``, Python ``type``, ``default`` and a one-line ``help``.

    ``type`` is one of str, int, float, bool or list (``item_type`` then types the items);
    ``choices`` restricts the allowed values. ``default=REQUIRED`` makes it mandatory;
    ``default=None`` makes it optional with no value.
    """

    name: str
    type: builtins.type = str
    default: Any = REQUIRED
    help: str = ""
    choices: tuple[Any, ...] | None = None
    item_type: builtins.type | None = None

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise TypeError(f"parameter {self.name!r}: type must be one of str, int, float, bool, list")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        """A short form for listings: ``name: int = 25``."""
        text = f"{self.name}: {self.type.__name__}"
        if not self.required:
            text += f" = {self.default!r}"
        return text

    def coerce(self, value: Any, owner: str) -> Any:
        """Check ``value`` (and convert lossless cases such as int -> float); errors name ``owner``."""
        value = expect_type(value, self.type, f"{owner}: parameter {self.name!r}", PluginError)
        if self.type is list and self.item_type is not None:
            value = [expect_type(item, self.item_type, f"{owner}: parameter {self.name!r} item", PluginError) for item in value]
        if self.choices is not None and value not in self.choices:
            options = ", ".join(repr(choice) for choice in self.choices)
            raise PluginError(f"{owner}: parameter {self.name!r} is {value!r}; choose one of {options}")
        return value


@dataclass(frozen=True)
class ParamSet:
    """The declared parameters of one plugin."""

    params: tuple[Param, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [param.name for param in self.params]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise TypeError(f"parameters declared twice: {', '.join(duplicates)}")

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def resolve(self, options: Mapping[str, Any], owner: str) -> dict[str, Any]:
        """Validate ``options`` against the declaration and fill in defaults."""
        known = {param.name: param for param in self.params}
        for key in options:
            if key not in known:
                accepted = ", ".join(known) or "none"
                raise PluginError(f"{owner}: unknown parameter {key!r}{did_you_mean(key, known)} (accepted: {accepted})")
        values = {}
        for name, param in known.items():
            if name in options:
                values[name] = None if options[name] is None and param.default is None else param.coerce(options[name], owner)
            elif param.required:
                raise MissingParameter(f"{owner}: parameter {name!r} is required ({param.help or param.describe()})")
            else:
                values[name] = param.default
        return values
