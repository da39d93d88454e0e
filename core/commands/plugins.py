"""``illusion plugins``: every plugin, its kind, options and the distribution that provides it."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

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
@click.option("--json", "as_json", is_flag=True, help="Print the listing (or, with --check, the report) as JSON.")
@click.option(
    "--check",
    is_flag=True,
    help="Load every plugin, run the conformance checks on each, report problems per distribution; exit 1 on problems.",
)
@click.option(
    "--dist",
    "distributions",
    multiple=True,
    metavar="NAME",
    help="With --check: check only the plugins of this distribution (repeatable).",
)
def plugins(as_json: bool, check: bool, distributions: tuple[str, ...]) -> None:
    """List every plugin: kind, name, description, parameters, distribution and version."""
    from illusion.host import Host

    host = Host()
    if check:
        _check(host, distributions, as_json)
        return
    listing = describe(host)
    if as_json:
        click.echo(json.dumps({"plugins": listing, "problems": [str(p) for p in host.problems]}, indent=2, default=str))
        return
    console = Console()
    table = Table(show_lines=True)
    for column in ("kind", "name", "description", "parameters", "from"):
        table.add_column(column, overflow="fold")
    for item in listing:
        params = "\n".join(p["name"] + ("" if p["required"] else f" = {p['default']!r}") for p in item["params"])
        table.add_row(item["kind"], item["name"], item["description"], params, f"{item['distribution']} {item['version']}")
    console.print(table)
    for problem in host.problems:
        console.print(f"[yellow]skipped[/yellow] {problem}", highlight=False)


def _check(host, distributions: tuple[str, ...], as_json: bool) -> None:
    from dataclasses import asdict

    from illusion.conformance import check_host
    from illusion.errors import PluginError

    reports = check_host(host, distributions)
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
        raise PluginError(f"no plugins from {', '.join(distributions)} are installed (see `illusion plugins`)")
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
    lines += [f"       {o.check}: {o.message}" for o in plugin.outcomes if o.status == "failed"]
    return "\n".join(lines)
