"""The plugin host: loads built-in and installed plugins and hands out their registrations.

Third-party plugins are found through the ``illusion`` entry-point group. One that fails to
import, implements an unknown hook, or returns a bad registration is reported and skipped.
When two plugins register the same name, the first keeps it (built-ins come first, then installed
distributions in alphabetical order) and the other is reported, and reachable as ``DISTRIBUTION:NAME``;
every registration is reachable that way.
Environment variables:

- ``ILLUSION_DISABLE_PLUGIN_AUTOLOAD=1``: load no installed plugins, only the built-in ones;
- ``ILLUSION_PLUGINS=name,other``: load only these entry points (by entry-point or distribution name);
- ``ILLUSION_TRACE_PLUGINS=1``: print every hook call and its time on stderr.

Anything plugin code raises, ``SystemExit`` and other ``BaseException`` subclasses included, is that
plugin's problem (a real Ctrl-C still aborts, naming the plugin); what it prints goes to stderr.
An import slower than ``SLOW_IMPORT`` seconds is named on stderr while it loads.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, overload

import pluggy

from illusion import __version__, hookspecs
from illusion.common.hints import did_you_mean
from illusion.errors import PluginError
from illusion.registrations import (
    KINDS,
    ConceptDetectorPlugin,
    DatasetPlugin,
    DiagnosticPlugin,
    DirectionSamplerPlugin,
    ExplainerPlugin,
    ModelLayerPlugin,
    Registration,
    plugin_code,
    plugin_fault,
)

BUILTIN_PLUGINS: tuple[str, ...] = (
    "illusion.plugins.file_datasets",
    "illusion.plugins.hf_datasets",
    "illusion.plugins.embedded_datasets",
    "illusion.plugins.debian_datasets",
    "illusion.plugins.transformer",
    "illusion.plugins.samplers",
    "illusion.plugins.concept_detectors",
    "illusion.plugins.explainers",
)
# the built-in diagnostics register through the same hook as any installed plugin's; their analyses live beside them
BUILTIN_PLUGINS += ("illusion.diagnostics.builtin",)
ENV_DISABLE = "ILLUSION_DISABLE_PLUGIN_AUTOLOAD"
ENV_SELECT = "ILLUSION_PLUGINS"
ENV_TRACE = "ILLUSION_TRACE_PLUGINS"
SLOW_IMPORT = 3.0  # seconds


@dataclass(frozen=True)
class Distribution:
    """The installed package that provides a plugin; ``fingerprint``: a digest of its plugins' code as installed."""

    name: str
    version: str
    fingerprint: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def release(self) -> tuple[str, str]:
        """(name, version and fingerprint): in the store key of what its plugins compute, so changed code is recomputed
        even at the same version (an editable install, a reinstall)."""
        return self.name, f"{self.version} {self.fingerprint}".strip()


@dataclass(frozen=True)
class Problem:
    """Why a plugin, or one of its hooks, was skipped."""

    distribution: str
    plugin: str
    hook: str | None
    message: str
    shadowed: bool = False  # the plugin loaded, but one of its names is taken by an earlier plugin

    def __str__(self) -> str:
        where = f"{self.distribution} (plugin {self.plugin!r}" + (f", hook {self.hook}" if self.hook else "") + ")"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Provided:
    """A registration together with the plugin and distribution that provided it."""

    registration: Registration
    plugin: str
    distribution: Distribution
    active: bool = True  # whether the plain name reaches it (False: shadowed by an earlier plugin's)

    @property
    def qualified(self) -> str:
        """``DISTRIBUTION:NAME``, the name that reaches this registration whatever else is installed."""
        return f"{self.distribution.name}:{self.registration.name}"


class Host:
    """A pluggy plugin manager for the ``illusion`` project, with typed, validated registrations."""

    def __init__(self, *, autoload: bool | None = None, select: Iterable[str] | None = None, trace: bool | None = None):
        env = os.environ
        self.autoload = not env.get(ENV_DISABLE) if autoload is None else autoload
        if select is None and env.get(ENV_SELECT) is not None:
            select = [name.strip() for name in env[ENV_SELECT].split(",") if name.strip()]
        self.select = None if select is None else set(select)
        self.trace = bool(env.get(ENV_TRACE)) if trace is None else trace
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.problems: list[Problem] = []
        self.import_times: dict[tuple[str, str], float] = {}  # (distribution, plugin) -> seconds its import took
        self._distributions: dict[str, Distribution] = {}
        self._sources: dict[str, set[Path]] = {}  # distribution name -> the files and folders of its plugins' code
        self._fingerprints: dict[str, str] = {}
        self._order: dict[str, int] = {}  # plugin name -> registration order: the first to claim a name keeps it
        own = Distribution("illusion", __version__)
        for module in BUILTIN_PLUGINS:
            start = time.perf_counter()
            plugin = importlib.import_module(module)
            self.import_times[own.name, module] = time.perf_counter() - start
            self.register(plugin, module, own)
        if self.autoload:
            self._load_entry_points()
        if self.trace:
            self.pm.add_hookcall_monitoring(self._trace_before, self._trace_after)

    # -- loading -----------------------------------------------------------------------------

    def register(self, plugin: Any, name: str, distribution: Distribution | None = None) -> bool:
        """Register ``plugin`` (a module or object with hook implementations); report and skip on error."""
        distribution = distribution or Distribution("(local)", "-")
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            self.problems.append(Problem(distribution.name, name, None, f"cannot be registered: {exc}"))
            return False
        self._distributions[name] = distribution
        self._order.setdefault(name, len(self._order))
        self._sources.setdefault(distribution.name, set()).update(_code_of(plugin, whole_package=distribution.name != "illusion"))
        unknown = [caller.name for caller in self.pm.get_hookcallers(plugin) or [] if caller.name not in self._hook_names]
        if unknown:
            self.pm.unregister(plugin)
            for hook in unknown:
                hint = did_you_mean(hook, self._hook_names)
                self.problems.append(Problem(distribution.name, name, hook, f"implements an unknown hook{hint}"))
            return False
        self.__dict__.pop("_provided", None)
        return True

    @cached_property
    def _hook_names(self) -> list[str]:
        return [name for name in dir(hookspecs) if name.startswith(f"{hookspecs.PROJECT}_")]

    def _load_entry_points(self) -> None:
        found = importlib.metadata.entry_points(group=hookspecs.PROJECT)
        # a fixed order, whatever the order of sys.path: on a name clash the first keeps the plain name
        for entry_point in sorted(found, key=lambda ep: (ep.dist.name if ep.dist else "", ep.name)):
            dist = entry_point.dist
            distribution = Distribution(dist.name, dist.version) if dist else Distribution("(unknown)", "-")
            if self.select is not None and not {entry_point.name, distribution.name} & self.select:
                continue
            culprit = f"the import of plugin {entry_point.name!r} ({distribution})"
            start = time.perf_counter()
            try:
                with plugin_code(), _named_when_slow(culprit):
                    plugin = entry_point.load()
            except BaseException as exc:  # any import failure of a third-party plugin is reported, not fatal
                message = f"failed to import {entry_point.value}: {plugin_fault(exc, culprit)}"
                self.problems.append(Problem(distribution.name, entry_point.name, None, message))
                continue
            finally:
                self.import_times[distribution.name, entry_point.name] = time.perf_counter() - start
            self.register(plugin, entry_point.name, distribution)

    # -- registrations -----------------------------------------------------------------------

    @cached_property
    def _provided(self) -> dict[str, dict[str, list[Provided]]]:
        provided: dict[str, dict[str, list[Provided]]] = {kind: {} for kind in KINDS}
        for kind, cls in KINDS.items():
            impls = sorted(getattr(self.pm.hook, cls.hook).get_hookimpls(), key=lambda impl: self._order[impl.plugin_name])
            for impl in impls:
                for registration in self._call_registration_hook(impl, cls):
                    entries = provided[kind].setdefault(registration.name, [])
                    distribution = self._distributions[impl.plugin_name]
                    entry = Provided(registration, impl.plugin_name, distribution, active=not entries)
                    if entries:
                        first = entries[0]
                        self.problems.append(
                            Problem(
                                distribution.name,
                                impl.plugin_name,
                                cls.hook,
                                f"{kind} name {registration.name!r} is already taken by {first.distribution} "
                                f"(plugin {first.plugin!r}); the plain name stays theirs, use {entry.qualified!r} for this one",
                                shadowed=True,
                            )
                        )
                    entries.append(entry)
        return provided

    def _call_registration_hook(self, impl: Any, cls: type[Registration]) -> list[Registration]:
        distribution = self._distributions[impl.plugin_name].name
        start = time.perf_counter()
        try:
            with plugin_code():
                results = list(impl.function() or ())
        except BaseException as exc:  # a bad registration is reported with its plugin and hook, not fatal
            message = plugin_fault(exc, f"hook {cls.hook} of plugin {impl.plugin_name!r} ({distribution})")
            self.problems.append(Problem(distribution, impl.plugin_name, cls.hook, message))
            return []
        finally:
            if self.trace:
                print(
                    f"illusion trace: {cls.hook} [{impl.plugin_name}] {1000 * (time.perf_counter() - start):.2f} ms",
                    file=sys.stderr,
                )
        good = [result for result in results if isinstance(result, cls)]
        for bad in (result for result in results if not isinstance(result, cls)):
            self.problems.append(
                Problem(
                    distribution, impl.plugin_name, cls.hook, f"returned {type(bad).__name__}, expected illusion.{cls.__name__}"
                )
            )
        return good

    def load_problems(self) -> list[Problem]:
        """Every problem found while loading plugins and collecting their registrations (all kinds collected first)."""
        _ = self._provided
        return list(self.problems)

    def registrations(self, kind: str) -> dict[str, list[Provided]]:
        """Every registration of one kind ('dataset', 'model layer', 'direction sampler', 'concept detector'), by name."""
        return self._provided[kind]

    def provided(self, kind: str, name: str) -> Provided:
        """The registration that ``name`` (plain, or ``DISTRIBUTION:NAME``) reaches, with its origin; a clear error otherwise."""
        by_name = self.registrations(kind)
        distribution, _, plain = name.rpartition(":")
        entries = [e for e in by_name.get(plain, []) if e.distribution.name == distribution or (not distribution and e.active)]
        if entries:
            return entries[0]
        if distribution and plain in by_name:
            offered = ", ".join(e.qualified for e in by_name[plain])
            raise PluginError(f"{distribution} provides no {kind} {plain!r} (it is provided as {offered})")
        raise PluginError(self._unknown(kind, plain, distribution))

    def _unknown(self, kind: str, name: str, distribution: str) -> str:
        """Why ``name`` is unknown: the load problem of the plugin that should have provided it, else the closest names."""
        failed = self.failed(hooks=(None, KINDS[kind].hook))
        culprits = self.failed(distribution or name, (None, KINDS[kind].hook))
        if culprits:
            return f"unknown {kind} {name!r}: its plugin failed to load: " + "; ".join(map(str, culprits))
        by_name = self.registrations(kind)
        known = ", ".join(sorted(by_name)) or "none"
        text = f"unknown {kind} {name!r}{did_you_mean(name, by_name)} (known: {known}; see `illusion plugins`)"
        if failed:
            text += "; plugins that failed to load: " + "; ".join(map(str, failed))
        return text

    def failed(self, name: str = "", hooks: Sequence[str | None] | None = None) -> list[Problem]:
        """The load problems (shadowed names aside) of the plugins that ``name`` may mean (any, without a name):
        a plugin, a distribution or a word of its name; ``hooks``: only those of these hooks (None: its import)."""
        return [
            p
            for p in self.problems
            if not p.shadowed
            and (hooks is None or p.hook in hooks)
            and (not name or name in (p.plugin, p.distribution) or name in p.distribution.split("-"))
        ]

    @overload
    def get(self, kind: Literal["dataset"], name: str) -> DatasetPlugin: ...
    @overload
    def get(self, kind: Literal["model layer"], name: str) -> ModelLayerPlugin: ...
    @overload
    def get(self, kind: Literal["direction sampler"], name: str) -> DirectionSamplerPlugin: ...
    @overload
    def get(self, kind: Literal["concept detector"], name: str) -> ConceptDetectorPlugin: ...
    @overload
    def get(self, kind: Literal["explainer"], name: str) -> ExplainerPlugin: ...
    @overload
    def get(self, kind: Literal["diagnostic"], name: str) -> DiagnosticPlugin: ...
    @overload
    def get(self, kind: str, name: str) -> Registration: ...
    def get(self, kind: str, name: str) -> Registration:
        """The registration ``name`` (plain, or ``DISTRIBUTION:NAME``) reaches; a clear error when it is unknown."""
        return self.provided(kind, name).registration

    def distribution_of(self, kind: str, name: str) -> Distribution:
        """The distribution that provides ``name``, with the fingerprint of its plugins' code."""
        distribution = self.provided(kind, name).distribution
        if distribution.name not in self._fingerprints:
            self._fingerprints[distribution.name] = _fingerprint(self._sources.get(distribution.name, set()))
        return replace(distribution, fingerprint=self._fingerprints[distribution.name])

    def hook(self) -> Any:
        """The pluggy hook relay, for hooks that are called rather than collected."""
        return self.pm.hook

    # -- tracing -----------------------------------------------------------------------------

    def _trace_before(self, hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        self._trace_start = time.perf_counter()

    def _trace_after(
        self, outcome: pluggy.Result[Any], hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
    ) -> None:
        elapsed = 1000 * (time.perf_counter() - self._trace_start)
        names = ", ".join(impl.plugin_name for impl in impls)
        print(f"illusion trace: {hook_name} [{names}] {elapsed:.2f} ms", file=sys.stderr)


@contextmanager
def _named_when_slow(culprit: str) -> Iterator[None]:
    """Say on stderr which import is holding the command up, once it has taken ``SLOW_IMPORT`` seconds."""
    start, stderr = time.perf_counter(), sys.stderr
    timer = threading.Timer(SLOW_IMPORT, lambda: print(f"illusion: still waiting for {culprit} ...", file=stderr, flush=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if time.perf_counter() - start >= SLOW_IMPORT:
            print(f"illusion: {culprit} took {time.perf_counter() - start:.1f} s", file=stderr)


def _code_of(plugin: Any, whole_package: bool) -> set[Path]:
    """The file of the module that holds ``plugin``, or (``whole_package``) the folder of its top-level package."""
    module = inspect.getmodule(plugin)
    name = getattr(module, "__name__", "")
    if whole_package and name:
        module = sys.modules.get(name.partition(".")[0], module)
    file = getattr(module, "__file__", None)
    if not file:
        return set()
    path = Path(file)
    return {path.parent if whole_package and path.name == "__init__.py" else path}


def _fingerprint(sources: Iterable[Path]) -> str:
    """A digest of the Python files under ``sources`` (files and folders): it changes when the code does."""
    digest = hashlib.sha256()
    files = {
        (file.relative_to(source.parent).as_posix(), file)
        for source in sources
        for file in ([source] if source.is_file() else source.rglob("*.py"))
    }
    for name, file in sorted(files):
        try:
            digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
        except OSError:
            continue
    return digest.hexdigest()[:12] if files else ""
