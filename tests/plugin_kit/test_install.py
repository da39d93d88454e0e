"""The example package and a `new-plugin` skeleton installed for real with pip, then used from the command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from illusion.commands.new_plugin import write_package
from tests.helpers.plugin_kit import EXAMPLE
from tests.helpers.run_configs import write_run_config

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A pip ``--target`` folder holding both packages, and the environment that puts it on the path."""
    sources = tmp_path_factory.mktemp("sources")
    example = shutil.copytree(
        EXAMPLE, sources / EXAMPLE.name, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    skeleton = write_package("harbour", sources)
    target = tmp_path_factory.mktemp("site-packages")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-index", "--target", str(target)]
    subprocess.run([*pip, str(skeleton)], check=True, capture_output=True, timeout=300)  # no illusion to fetch again
    subprocess.run([*pip, "--no-deps", str(example)], check=True, capture_output=True, timeout=300)
    env = {key: value for key, value in os.environ.items() if key != "ILLUSION_DISABLE_PLUGIN_AUTOLOAD"}
    return {"example": example, "env": env | {"PYTHONPATH": str(target)}}


def illusion(installed, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "illusion"), *args], env=installed["env"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_plugins_lists_the_installed_distributions(installed):
    result = illusion(installed, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    installed_plugins = {
        (p["name"], p["distribution"], p["version"]) for p in listing["plugins"] if p["distribution"] != "illusion"
    }
    assert installed_plugins == {
        ("negation-pairs", "illusion-example-plugin", "0.1.0"),
        ("content-pool", "illusion-example-plugin", "0.1.0"),
        ("sparse", "illusion-example-plugin", "0.1.0"),
        ("harbour", "illusion-harbour", "0.1.0"),
    }
    assert listing["problems"] == []


def test_run_uses_the_installed_plugins(installed, illusion_tiny_bert, tmp_path):
    config = write_run_config(
        tmp_path / "run.toml",
        {"plugin": "content-pool", "model": str(illusion_tiny_bert), "device": "cpu"},
        [{"name": "negated", "plugin": "negation-pairs", "polarity": "negated"}, {"name": "harbour", "plugin": "harbour"}],
        [{"plugin": "sparse", "count": 3}],
    )
    result = illusion(installed, "run", str(config), "--out", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert {(p["name"], p["distribution"]) for p in manifest["plugins"]} == {
        ("content-pool", "illusion-example-plugin"),
        ("negation-pairs", "illusion-example-plugin"),
        ("harbour", "illusion-harbour"),
        ("sparse", "illusion-example-plugin"),
    }


def test_the_example_passes_its_own_kit_tests_through_its_entry_points(installed):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(installed["example"])],
        env=installed["env"],
        cwd=installed["example"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " failed" not in result.stdout and " passed" in result.stdout


def test_check_passes_the_installed_skeleton(installed):
    result = illusion(installed, "plugins", "--check", "--dist", "illusion-harbour")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "illusion-harbour 0.1.0: ok" in result.stdout
