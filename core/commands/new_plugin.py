"""``illusion new-plugin NAME``: a ready-to-install plugin package with a dataset, its entry point and a passing test."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import click

from illusion import __version__
from illusion.errors import IllusionError

# Where each file of the package goes (a template itself) and the template in illusion/commands/templates it comes from.
FILES = {
    "pyproject.toml": "new_plugin_pyproject.toml.tmpl",
    "README.md": "new_plugin_README.md.tmpl",
    "src/$module/__init__.py": "new_plugin_module.py.tmpl",
    "src/$module/sentences.txt": "new_plugin_sentences.txt.tmpl",
    "tests/test_$module.py": "new_plugin_test.py.tmpl",
}
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@click.command("new-plugin")
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create the package in.",
)
def new_plugin(name: str, parent: Path) -> None:
    """Write the plugin package illusion-NAME: a dataset plugin, its entry point and a passing test."""
    folder = write_package(name, parent)
    click.echo(f"wrote {folder}; next: pip install -e {folder} && pytest {folder}")


def write_package(name: str, parent: Path) -> Path:
    """Write the package for plugin ``name`` (``proverbs`` or ``illusion-proverbs``) under ``parent``; return its folder."""
    short = name.removeprefix("illusion-")
    if not _NAME.match(short):
        raise IllusionError(
            f"plugin name {name!r}: use lower-case letters, digits and '-', starting with a letter (e.g. proverbs)"
        )
    values: dict[str, Any] = {
        "name": short,
        "dist": f"illusion-{short}",
        "module": "illusion_" + short.replace("-", "_"),
        "cls": "".join(part.title() for part in short.split("-")),
        "illusion_version": __version__.split("+")[0],
        "next_major": int(__version__.split("+")[0].split(".")[0]) + 1,  # a new major may break the hooks
    }
    folder = Path(parent) / values["dist"]
    if folder.exists():
        raise IllusionError(f"{folder} already exists: choose another name or --dir")
    templates = resources.files("illusion.commands").joinpath("templates")
    for target, template in FILES.items():
        path = folder / Template(target).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(templates.joinpath(template).read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
    return folder
