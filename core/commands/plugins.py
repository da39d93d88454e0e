"""``illusion plugins``: problems first, then one line per plugin by kind; ``illusion plugins NAME`` for one plugin's parameters."""

from __future__ import annotations

import json
import shutil
import textwrap
from typing import Any

import click

from illusion.registrations import KINDS


def describe(host) -> list[dict]:
    """A JSON-able listing of every registration the host knows."""
    listing = []
    for kind in KINDS:
        for name, entries in sorted(host.registrations(kind).items()):
            for entry in entries:
                listing.append(
                    {
                        "kind": kind,
                        "name": name,
                        "description": entry.registration.description,
                        "params": [
                            {
                                "name": p.name,
                                "type": p.type.__name__,
                                "default": None if p.required else p.default,
                                "required": p.required,
                                "help": p.help,
                                **({"choices": list(p.choices)} if p.choices else {}),
                            }
                            for p in entry.registration.all_params
                        ],
                        "distribution": entry.distribution.name,
                        "version": entry.distribution.version,
                    }
                )
    return listing


@click.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the listing (or, with --check, the report) as JSON.")
@click.option(
    "--check",
    is_flag=True,
    help="Load every plugin, run the conformance checks on each, report problems per distribution; exit 1 on problems.",
)
@click.option("--timings", is_flag=True, help="Show how long each plugin took to import, slowest first.")
@click.option(
    "--dist",
    "distributions",
    multiple=True,
    metavar="NAME",
    help="With --check: check only the plugins of this distribution (repeatable).",
)
@click.option(
    "--option",
    "settings",
    multiple=True,
    metavar="NAME.KEY=VALUE",
    help="With --check: run plugin NAME with option KEY (e.g. text.path=corpus.txt; repeatable).",
)
@click.option(
    "--empty-option",
    "empty_settings",
    multiple=True,
    metavar="NAME.KEY=VALUE",
    help="With --check: options that give dataset NAME an empty source, for its empty_input check (repeatable).",
)
def plugins(
    name: str | None,
    as_json: bool,
    check: bool,
    timings: bool,
    distributions: tuple[str, ...],
    settings: tuple[str, ...],
    empty_settings: tuple[str, ...],
) -> None:
    """List every plugin by kind (problems first), or show plugin NAME's parameters; --check checks them (or NAME)."""
    from illusion.host import Host

    host = Host()
    if check:
        _check(host, distributions, () if name is None else (name,), _options(settings), _options(empty_settings), as_json)
        return
    if timings:
        _timings(host, as_json)
        return
    listing = describe(host)
    if name is not None:
        _show_one(host, name, as_json)
        return
    if as_json:
        click.echo(json.dumps({"plugins": listing, "problems": [str(p) for p in host.problems]}, indent=2, default=str))
        return
    width = shutil.get_terminal_size((80, 24)).columns
    for problem in host.load_problems():
        text = textwrap.fill(f"problem {problem}", width, subsequent_indent="    ")
        click.echo(click.style("problem", fg="yellow") + text.removeprefix("problem"))
    rows = {
        kind: [
            (e.registration.name if e.active else e.qualified, e)
            for entries in host.registrations(kind).values()
            for e in entries
        ]
        for kind in KINDS
    }
    column = max((len(shown) for kind in KINDS for shown, _ in rows[kind]), default=0)
    for kind in KINDS:
        click.echo(click.style(f"{kind}s", bold=True))
        for shown, entry in sorted(rows[kind], key=lambda row: row[0]):
            origin = entry.distribution.name + ("" if entry.active else " (shadowed)")
            room = width - 2 - column - 2 - 2 - len(origin)
            click.echo(f"  {shown:<{column}}  {_fit(entry.registration.description, room):<{max(room, 0)}}  {origin}")
    click.echo("Parameters: `illusion plugins NAME`. A shadowed one: DISTRIBUTION:NAME.")


def _timings(host, as_json: bool) -> None:
    """Each plugin's import time, slowest first."""
    slowest = sorted(host.import_times.items(), key=lambda item: -item[1])
    if as_json:
        rows = [{"distribution": d, "plugin": p, "seconds": round(t, 4)} for (d, p), t in slowest]
        click.echo(json.dumps({"imports": rows}, indent=2))
        return
    for (distribution, plugin), seconds in slowest:
        click.echo(f"{seconds:8.3f} s  {plugin} ({distribution})")


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _show_one(host, name: str, as_json: bool) -> None:
    """Every registration ``name`` reaches (in each kind): description, origin, own parameters, then shared ones."""
    from illusion.common.hints import did_you_mean
    from illusion.errors import PluginError
    from illusion.records import SHARED_DATASET_PARAM_NAMES

    found = []
    for kind in KINDS:
        try:
            found.append(host.provided(kind, name))
        except PluginError:
            continue
    distribution, _, plain = name.rpartition(":")
    culprits = dict.fromkeys(host.failed(plain) + (host.failed(distribution) if distribution else []))
    if not found and culprits:
        raise PluginError(f"plugin {name!r} failed to load: " + "; ".join(map(str, culprits)))
    if not found:
        known = {known for kind in KINDS for known in host.registrations(kind)}
        raise PluginError(f"no plugin called {name!r}{did_you_mean(name.rpartition(':')[2], known)} (see `illusion plugins`)")
    if as_json:
        listing = describe(host)
        keep = {(e.registration.kind, e.registration.name, e.distribution.name) for e in found}
        click.echo(json.dumps([i for i in listing if (i["kind"], i["name"], i["distribution"]) in keep], indent=2, default=str))
        return
    width = shutil.get_terminal_size((80, 24)).columns

    def echo(text: str, indent: str = "") -> None:
        click.echo(textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent + "    "))

    for entry in found:
        registration = entry.registration
        echo(f"{registration.kind} {registration.name!r}: {registration.description}")
        if entry.active:
            echo(f"from {entry.distribution} (plugin {entry.plugin}); also reachable as {entry.qualified!r}", "  ")
        else:
            echo(f"from {entry.distribution} (plugin {entry.plugin}); shadowed: reachable only as {entry.qualified!r}", "  ")
        own = [p for p in registration.all_params if p.name not in SHARED_DATASET_PARAM_NAMES or registration.kind != "dataset"]
        shared = [p for p in registration.all_params if p not in own]
        echo("parameters:" if own else "parameters: none of its own", "  ")
        for param in own:
            choices = f" (one of {', '.join(map(repr, param.choices))})" if param.choices else ""
            echo(f"{param.describe()}: {param.help}{choices}", "    ")
        if shared:
            echo("shared by every dataset: " + ", ".join(p.describe() for p in shared), "  ")


def _options(settings: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``NAME.KEY=VALUE`` settings as {NAME: {KEY: VALUE}}; values read as TOML (else as text), as `illusion run -s` does."""
    from illusion.errors import ConfigError
    from illusion.run.config import apply_override

    options: dict[str, dict[str, Any]] = {}
    for setting in settings:
        key = setting.partition("=")[0]
        plugin, dot, option = key.rpartition(".")
        if not dot or not plugin or not option:
            raise ConfigError(f"--option {setting!r}: write it as NAME.KEY=VALUE, e.g. text.path=corpus.txt")
        values = options.setdefault(plugin, {})
        apply_override(values, setting[len(plugin) + 1 :])
    return options


def _check(host, distributions: tuple[str, ...], names: tuple[str, ...], options: dict, empty: dict, as_json: bool) -> None:
    from dataclasses import asdict

    from illusion.conformance import check_host
    from illusion.errors import PluginError

    reports = check_host(host, distributions, options, empty, names)
    if as_json:
        click.echo(
            json.dumps({"ok": all(r.ok for r in reports), "distributions": [asdict(r) | {"ok": r.ok} for r in reports]}, indent=2)
        )
    else:
        for report in reports:
            click.echo(
                f"{report.name} {report.version}: " + click.style(*(("ok", "green") if report.ok else ("problems", "red")))
            )
            for problem in report.problems:
                click.echo(f"  {click.style('problem', fg='red')} {problem}")
            for plugin in report.plugins:
                click.echo(_plugin_line(plugin))
    if not reports:
        called = f"called {', '.join(names)} " if names else ""
        raise PluginError(
            f"no plugins {called}from {', '.join(distributions) or 'any distribution'} are installed (see `illusion plugins`)"
        )
    bad = [report.name for report in reports if not report.ok]
    if bad:
        raise PluginError(f"plugin problems in {', '.join(bad)}")


def _plugin_line(plugin) -> str:
    """``ok   dataset 'x': 6 passed, 1 skipped``, then one line per failed check."""
    count = {status: sum(o.status == status for o in plugin.outcomes) for status in ("passed", "failed", "skipped")}
    summary = ", ".join(f"{n} {status}" for status, n in count.items() if n)
    unrunnable = sorted({o.message for o in plugin.outcomes if o.status == "skipped" and o.message.startswith("cannot run")})
    status = click.style("FAIL", fg="red") if count["failed"] else click.style("ok  ", fg="green")
    lines = [f"  {status} {plugin.kind} {plugin.name!r}: {summary}" + (f" ({'; '.join(unrunnable)})" if unrunnable else "")]
    failed: dict[str, list[str]] = {}  # one message, once, with every check that gave it
    for outcome in plugin.outcomes:
        if outcome.status == "failed":
            failed.setdefault(outcome.message, []).append(outcome.check)
    lines += [f"       {', '.join(checks)}: {message}" for message, checks in failed.items()]
    return "\n".join(lines)
