"""Fixtures of the plugin-kit tests: installed distributions as pip leaves them, without pip."""

from __future__ import annotations

import sys
import textwrap
import tomllib

import pytest

from tests.helpers.plugin_kit import EXAMPLE, add_distribution


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder on sys.path for installed distributions, with plugin autoloading switched back on."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delenv("ILLUSION_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    return folder


@pytest.fixture
def install(site):
    """``install(name, {module: source}, {entry point: module})``: a distribution of plugin modules."""

    def install(name: str, modules: dict[str, str], entry_points: dict[str, str], version: str = "1.0") -> None:
        for module, source in modules.items():
            (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            sys.modules.pop(module, None)
        add_distribution(site, name, version, entry_points)

    return install


@pytest.fixture
def example_plugin(site, monkeypatch):
    """The example package, discoverable through its real entry points (its dist-info made from its pyproject)."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    add_distribution(site, project["name"], project["version"], project["entry-points"]["illusion"])
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    return project
