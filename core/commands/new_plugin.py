"""``illusion new-plugin NAME``: a ready-to-install plugin package with one plugin of a kind, its entry point and a passing test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import click

from illusion import HOOK_API_VERSION
from illusion.errors import IllusionError

# Where each file of the package goes (a template itself) and the template in illusion/commands/templates it comes from.
FILES = {
    "pyproject.toml": "new_plugin_pyproject.toml.tmpl",
    "README.md": "new_plugin_README.md.tmpl",
    "src/$module/__init__.py": "new_plugin_$kind.py.tmpl",
    "tests/test_$module.py": "new_plugin_${kind}_test.py.tmpl",
}
DATASET_FILES = {"src/$module/sentences.txt": "new_plugin_sentences.txt.tmpl"}


@dataclass(frozen=True)
class Kind:
    """One kind of plugin ``new-plugin`` writes: what it is called and how the README shows it in use."""

    what: str
    usage: str


KINDS = {
    "dataset": Kind(
        "dataset",
        'Use it in a run configuration (`illusion init` writes one to start from):\n\n```toml\n[[datasets]]\nname = "harbour"\n'
        'plugin = "$name"\ncontains = "sea"\n```\n\nEdit `src/$module/sentences.txt`, or replace the dataset with your own source.\n',
    ),
    "model-layer": Kind(
        "model layer",
        'Use it in a run configuration (`illusion init` writes one to start from):\n\n```toml\n[model]\nplugin = "$name"\n'
        "dim = 64\n```\n",
    ),
    "sampler": Kind(
        "direction sampler",
        'Use it in a run configuration (`illusion init` writes one to start from):\n\n```toml\n[[samplers]]\nplugin = "$name"\n'
        "count = 8\n```\n",
    ),
    "detector": Kind(
        "concept detector",
        "Use it on a finished run: `illusion test-concept RUN --pattern $name:sea,harbour`.\n",
    ),
}
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@click.command("new-plugin")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(sorted(KINDS)),
    default="dataset",
    show_default=True,
    help="Which kind of plugin the package holds.",
)
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create the package in.",
)
def new_plugin(name: str, kind: str, parent: Path) -> None:
    """Write the plugin package illusion-NAME: one plugin of --kind, its entry point and a passing test."""
    folder = write_package(name, parent, kind)
    click.echo(f"wrote {folder}; next: pip install -e {folder} && pytest {folder}")


def write_package(name: str, parent: Path, kind: str = "dataset") -> Path:
    """Write the package for plugin ``name`` (``proverbs`` or ``illusion-proverbs``) of ``kind`` under ``parent``."""
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
        "kind": kind.replace("-", "_"),
        "what": KINDS[kind].what,
        "api_major": HOOK_API_VERSION.split(".")[0],
    }
    folder = Path(parent) / values["dist"]
    if folder.exists():
        raise IllusionError(f"{folder} already exists: choose another name or --dir")
    templates = resources.files("illusion.commands").joinpath("templates")

    def fill(template: str) -> str:
        return Template(template).substitute(values)

    values["api_check"] = fill(templates.joinpath("new_plugin_api_check.py.tmpl").read_text(encoding="utf-8"))
    values["usage"] = fill(KINDS[kind].usage)
    for target, template in (FILES | (DATASET_FILES if kind == "dataset" else {})).items():
        path = folder / fill(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fill(templates.joinpath(fill(template)).read_text(encoding="utf-8")), encoding="utf-8")
    return folder
