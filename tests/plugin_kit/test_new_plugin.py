"""`illusion new-plugin NAME`: a package skeleton whose own test passes as written."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib

import pytest
from click.testing import CliRunner

import illusion
from illusion.cli import cli
from illusion.commands.new_plugin import KINDS, write_package
from illusion.errors import IllusionError

CHECKS = {
    "dataset": r"\b[1-9]\d* passed, 1 skipped\b",  # skipped: empty_input needs empty_options
    "model-layer": r"\b7 passed\b",
    "sampler": r"\b7 passed\b",
    "detector": r"\b6 passed\b",
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_new_plugin_writes_a_package_of_each_kind_whose_test_passes(tmp_path, kind):
    result = CliRunner().invoke(cli, ["new-plugin", "harbour-tales", "--kind", kind, "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "illusion-harbour-tales"
    assert f"wrote {folder}" in result.output
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "README.md",
        "pyproject.toml",
        "src/illusion_harbour_tales/__init__.py",
        *(["src/illusion_harbour_tales/sentences.txt"] if kind == "dataset" else []),
        "tests/test_illusion_harbour_tales.py",
    ]
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "illusion-harbour-tales"
    assert project["entry-points"]["illusion"] == {"harbour-tales": "illusion_harbour_tales"}
    assert project["dependencies"] == []  # `pip install --target` must not fetch illusion again
    assert f"the {KINDS[kind].what} 'harbour-tales'" in project["description"]
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(CHECKS[kind], tests.stdout), tests.stdout


def test_the_package_refuses_another_hook_api_major_at_import(tmp_path, monkeypatch):
    folder = write_package("harbour", tmp_path, "sampler")
    monkeypatch.syspath_prepend(str(folder / "src"))
    major = illusion.HOOK_API_VERSION.split(".")[0]
    monkeypatch.setattr(illusion, "HOOK_API_VERSION", "99.0")
    with pytest.raises(
        ImportError, match=rf"illusion-harbour is written for illusion's hook API {major}.x; this illusion has 99.0"
    ):
        importlib.import_module("illusion_harbour")
    sys.modules.pop("illusion_harbour", None)


def test_the_full_distribution_name_is_accepted(tmp_path):
    CliRunner().invoke(cli, ["new-plugin", "illusion-harbour", "--dir", str(tmp_path)])
    assert (tmp_path / "illusion-harbour" / "src" / "illusion_harbour" / "__init__.py").is_file()


@pytest.mark.parametrize("name", ["Harbour", "9lives", "harbour_tales", "illusion-", "two--dashes"])
def test_a_bad_name_is_refused_with_a_hint(tmp_path, name):
    result = CliRunner().invoke(cli, ["new-plugin", name, "--dir", str(tmp_path)])
    assert isinstance(result.exception, IllusionError)
    assert (
        str(result.exception)
        == f"plugin name {name!r}: use lower-case letters, digits and '-', starting with a letter (e.g. proverbs)"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_left_alone(tmp_path):
    (tmp_path / "illusion-harbour").mkdir()
    result = CliRunner().invoke(cli, ["new-plugin", "harbour", "--dir", str(tmp_path)])
    assert "already exists" in str(result.exception)
    assert list((tmp_path / "illusion-harbour").iterdir()) == []
