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
                listing.append({
                    "kind": kind, "name": name, "description": entry.registration.description,
                    "params": [{"name": p.name, "type": p.type.__name__, "default": None if p.required else p.default,
                                "required": p.required, "help": p.help, **({"choices": list(p.choices)} if p.choices else {})}
                               for p in entry.registration.all_params],
                    "distribution": entry.distribution.name, "version": entry.distribution.version,
                })
    return listing


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
def plugins(as_json: bool) -> None:
    """List every plugin: kind, name, description, parameters, distribution and version."""
    from illusion.host import Host

    host = Host()
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
