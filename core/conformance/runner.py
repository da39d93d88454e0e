"""Running the checks: one plugin's outcomes, and ``illusion plugins --check``'s report of every installed plugin."""

from __future__ import annotations

import importlib.metadata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from illusion.conformance.subject import (
    CHECK_ARGUMENT,
    CHECK_DATASET_OPTIONS,
    CHECKS,
    Failure,
    Skip,
    Subject,
    crashed,
    unavailable,
)
from illusion.host import Host, Provided
from illusion.registrations import KINDS, plugin_code, plugin_fault


@dataclass(frozen=True)
class Outcome:
    """The result of one check."""

    check: str
    status: str  # "passed", "failed" or "skipped"
    message: str = ""


def run_checks(subject: Subject, *, defaults: bool = False) -> list[Outcome]:
    """Every check of the subject's kind.

    With ``defaults`` (``illusion plugins --check``), a check is skipped when the plugin cannot run here
    (:func:`unavailable`); any other error, the host's rejection of the plugin's output included, fails it.
    """
    outcomes = []
    for name, function in CHECKS[subject.kind].items():
        try:
            with plugin_code():
                function(subject)
        except Failure as exc:
            outcomes.append(Outcome(name, "failed", str(exc)))
        except Skip as exc:
            outcomes.append(Outcome(name, "skipped", str(exc)))
        except Exception as exc:  # a plugin's own error surfaces here, reported under the check that hit it
            if defaults and unavailable(exc):
                outcomes.append(Outcome(name, "skipped", f"cannot run here: {exc}"))
            else:
                outcomes.append(Outcome(name, "failed", f"{type(exc).__name__}: {exc}" if crashed(exc) else str(exc)))
        except BaseException as exc:  # SystemExit and the like, from plugin code the check called directly
            outcomes.append(Outcome(name, "failed", plugin_fault(exc, f"check {name!r} of {subject.label}")))
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


def check_host(
    host: Host,
    distributions: Sequence[str] = (),
    options: Mapping[str, Mapping[str, Any]] | None = None,
    empty_options: Mapping[str, Mapping[str, Any]] | None = None,
    names: Sequence[str] = (),
) -> list[DistributionReport]:
    """Run every check on every registration of ``host`` (or of the named distributions, or the named plugins).

    Plugins run with their default options, or with ``options[NAME]`` (NAME plain or ``DISTRIBUTION:NAME``);
    ``empty_options[NAME]`` gives a dataset an empty source for the ``empty_input`` check.
    """
    reports: dict[str, DistributionReport] = {}
    wanted = set(distributions)
    for kind in KINDS:
        for name, entries in sorted(host.registrations(kind).items()):
            for entry in entries:
                if (wanted and entry.distribution.name not in wanted) or (names and not _named(entry, names)):
                    continue
                report = reports.setdefault(
                    entry.distribution.name, DistributionReport(entry.distribution.name, entry.distribution.version)
                )
                subject = Subject(
                    host,
                    kind,
                    entry.qualified,
                    {**(CHECK_DATASET_OPTIONS if kind == "dataset" else {}), **_given(options, entry)},
                    _given(empty_options, entry) or None,
                    argument=CHECK_ARGUMENT,
                    dim=64,
                )
                with warnings.catch_warnings():  # a report, not a console of numerical warnings
                    warnings.simplefilter("ignore")
                    outcomes = run_checks(subject, defaults=True)
                report.plugins.append(PluginReport(kind, name, entry.plugin, outcomes))
    checked = {(distribution, p.plugin) for distribution, report in reports.items() for p in report.plugins}
    for problem in host.problems:
        if names and problem.plugin not in names and (problem.distribution, problem.plugin) not in checked:
            continue  # with names, only the problems of the plugins named (an entry-point name reaches a failed import)
        if not wanted or problem.distribution in wanted:
            reports.setdefault(problem.distribution, DistributionReport(*_name_version(problem.distribution))).problems.append(
                f"plugin {problem.plugin!r}" + (f", hook {problem.hook}" if problem.hook else "") + f": {problem.message}"
            )
    return sorted(reports.values(), key=lambda report: (report.name != "illusion", report.name))


def _named(entry: Provided, names: Sequence[str]) -> bool:
    return entry.qualified in names or (entry.active and entry.registration.name in names)


def _given(by_name: Mapping[str, Mapping[str, Any]] | None, entry: Provided) -> dict[str, Any]:
    """The options given for ``entry``: under its qualified name, else (for the active one) its plain name."""
    by_name = by_name or {}
    plain = by_name.get(entry.registration.name, {}) if entry.active else {}
    return dict(by_name.get(entry.qualified, plain))


def _name_version(distribution: str) -> tuple[str, str]:
    try:
        return distribution, importlib.metadata.version(distribution)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return distribution, "-"
