"""Run configuration: a TOML file (or the built-in default) plus command-line overrides."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from illusion.common.checks import expect_type
from illusion.common.hints import did_you_mean
from illusion.errors import ConfigError
from illusion.params import NAME_KEYS, PLUGIN_KEY, RESERVED_NAMES
from illusion.run.control_sets import ATTENTION, CONTROL
from illusion.run.store import DTYPES as STORE_DTYPES

TOP_LEVEL = {
    "seed": int,
    "k": int,
    "controls": int,
    "checks": int,
    "cache_dir": str,
    "store_dtype": str,
    "model": dict,
    "datasets": list,
    "samplers": list,
    "diagnostics": bool,
}
DATASET_NAME, SAMPLER_LABEL = NAME_KEYS["dataset"], NAME_KEYS["direction sampler"]
"""Besides ``plugin``, the keys of ``[[datasets]]`` and ``[[samplers]]`` tables that are not plugin options.
They come from :data:`illusion.params.RESERVED_NAMES`, which registration refuses as parameter names."""


PRESETS = {"default": "config.toml", "paper": "paper.toml"}
"""The shipped configurations ``illusion init --preset NAME`` writes, by name: files of this package."""


def preset_text(name: str) -> str:
    """The commented configuration of a shipped preset (:data:`PRESETS`)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return resources.files("illusion.run").joinpath(PRESETS[name]).read_text(encoding="utf-8")


def default_config_text() -> str:
    """The commented default configuration that ``illusion init`` writes."""
    return preset_text("default")


@dataclass(frozen=True)
class PluginChoice:
    """One use of a plugin: its name in the run, the plugin, and the plugin's options."""

    name: str
    plugin: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig:
    seed: int
    k: int
    controls: int
    model: PluginChoice
    datasets: list[PluginChoice]
    samplers: list[PluginChoice]
    cache_dir: str | None = None
    store_dtype: str = "float32"
    diagnostics: bool = True
    checks: int = 2

    def sampler_of(self) -> dict[str, str]:
        """Each sampler label (the condition its directions are compared under) and the plugin behind it."""
        return {choice.name: choice.plugin for choice in self.samplers}

    def to_dict(self) -> dict[str, Any]:
        """The resolved configuration, as recorded in the manifest."""
        data = {
            "seed": self.seed,
            "k": self.k,
            "controls": self.controls,
            "checks": self.checks,
            "diagnostics": self.diagnostics,
            "model": {PLUGIN_KEY: self.model.plugin, **self.model.options},
            "datasets": [{DATASET_NAME: d.name, PLUGIN_KEY: d.plugin, **d.options} for d in self.datasets],
            "samplers": [{SAMPLER_LABEL: s.name, PLUGIN_KEY: s.plugin, **s.options} for s in self.samplers],
        }
        if self.cache_dir:
            data["cache_dir"] = self.cache_dir
        if self.store_dtype != "float32":
            data["store_dtype"] = self.store_dtype
        return data


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> RunConfig:
    """Read ``path`` (the default configuration when None), apply ``key=value`` overrides, validate."""
    source = "<default>" if path is None else str(path)
    if path is None:
        text = default_config_text()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the configuration ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    for override in overrides:
        apply_override(data, override)
    return parse(data, source)


def apply_override(data: dict[str, Any], override: str) -> None:
    """Apply ``a.b.c=value``; list items are addressed by their ``name`` (datasets) or ``label``/``plugin`` (samplers)."""
    key, sep, raw = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {override!r}: write it as key=value, e.g. k=5 or datasets.bible.n=100")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    parts = key.strip().split(".")
    target: Any = data
    for depth, part in enumerate(parts[:-1]):
        if isinstance(target, list):
            matches = [item for item in target if isinstance(item, dict) and part in {item.get(key) for key in RESERVED_NAMES}]
            if len(matches) != 1:
                raise ConfigError(
                    f"override {override!r}: {'.'.join(parts[:depth])} has {'no' if not matches else 'several'} entries called {part!r}"
                )
            target = matches[0]
        else:
            target = target.setdefault(part, {})
    if isinstance(target, list):
        raise ConfigError(f"override {override!r}: name an entry of {'.'.join(parts[:-1])}")
    target[parts[-1]] = value


def parse(data: dict[str, Any], source: str) -> RunConfig:
    for key in data:
        if key not in TOP_LEVEL:
            raise ConfigError(f"{source}: unknown key {key!r}{did_you_mean(key, TOP_LEVEL)}")
        expect_type(data[key], TOP_LEVEL[key], f"{source}: {key!r}", ConfigError)
    k, controls, checks = data.get("k", 10), data.get("controls", 7), data.get("checks", 2)
    if k < 1 or controls < 0 or checks < 0:
        raise ConfigError(f"{source}: k must be at least 1, controls and checks at least 0")
    if data.get("store_dtype", "float32") not in STORE_DTYPES:
        raise ConfigError(f"{source}: store_dtype must be one of {', '.join(STORE_DTYPES)}, not {data['store_dtype']!r}")
    model = dict(data.get("model", {}))
    datasets = [_choice(item, f"{source}: datasets[{i}]", DATASET_NAME) for i, item in enumerate(data.get("datasets", []))]
    samplers = [_choice(item, f"{source}: samplers[{i}]", SAMPLER_LABEL) for i, item in enumerate(data.get("samplers", []))]
    if not datasets:
        raise ConfigError(f"{source}: add at least one [[datasets]] table")
    if not samplers:
        raise ConfigError(f"{source}: add at least one [[samplers]] table")
    for kind, choices in (("dataset name", datasets), ("sampler label", samplers)):
        names = [choice.name for choice in choices]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ConfigError(f"{source}: {kind}s must be unique; {', '.join(twice)} appear more than once (set distinct ones)")
    for reserved, sets in ((CONTROL, "random-sentence sets"), (ATTENTION, "attention checks")):
        if reserved in {s.name for s in samplers}:
            raise ConfigError(f"{source}: the sampler label {reserved!r} is reserved for {sets}")
    return RunConfig(
        seed=data.get("seed", 0),
        k=k,
        controls=controls,
        checks=checks,
        model=PluginChoice("model", str(model.pop(PLUGIN_KEY, "transformer")), model),
        datasets=datasets,
        samplers=samplers,
        cache_dir=data.get("cache_dir"),
        store_dtype=data.get("store_dtype", "float32"),
        diagnostics=data.get("diagnostics", True),
    )


def _choice(item: Any, where: str, name_key: str) -> PluginChoice:
    item = dict(expect_type(item, dict, where, ConfigError))
    plugin = item.pop(PLUGIN_KEY, None)
    if not isinstance(plugin, str):
        raise ConfigError(f'{where}: set plugin = "..." (see `illusion plugins`)')
    name = item.pop(name_key, plugin.rsplit(":", 1)[-1] if name_key == SAMPLER_LABEL else None)  # DISTRIBUTION:NAME
    if not isinstance(name, str) or not name or any(c in name for c in ":@|/ "):
        raise ConfigError(f"{where}: set {name_key} = \"...\" (letters, digits, '-' or '_')")
    return PluginChoice(name, plugin, item)
