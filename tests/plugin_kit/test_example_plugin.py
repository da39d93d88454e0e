"""The example package, found through its entry points: listed, checked, and used by `illusion run`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from illusion.cli import cli
from tests.helpers.run_configs import write_run_config

EXAMPLE_PLUGINS = {("dataset", "negation-pairs"), ("model layer", "content-pool"), ("direction sampler", "sparse")}


def test_plugins_lists_each_example_plugin_with_its_distribution_and_version(example_plugin):
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    listing = json.loads(result.output)
    ours = {
        (p["kind"], p["name"]): f"{p['distribution']} {p['version']}"
        for p in listing["plugins"]
        if p["distribution"] != "illusion"
    }
    assert ours == {plugin: "illusion-example-plugin 0.1.0" for plugin in EXAMPLE_PLUGINS}
    assert listing["problems"] == []


def test_run_uses_the_example_plugins(example_plugin, illusion_tiny_bert, tmp_path):
    config = write_run_config(
        tmp_path / "run.toml",
        {"plugin": "content-pool", "model": str(illusion_tiny_bert), "device": "cpu"},
        [
            {"name": "said", "plugin": "negation-pairs", "polarity": "affirmative"},
            {"name": "denied", "plugin": "negation-pairs", "polarity": "negated"},
        ],
        [{"plugin": "sparse", "count": 4, "nonzero": 3}],
    )
    result = CliRunner().invoke(cli, ["run", str(config), "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert {(p["kind"], p["name"], p["distribution"]) for p in manifest["plugins"]} == {
        (kind, name, "illusion-example-plugin") for kind, name in EXAMPLE_PLUGINS
    }
    assert [d["size"] for d in manifest["datasets"]] == [40, 40]
    assert [d["id"] for d in manifest["directions"]] == ["sparse:0", "sparse:1", "sparse:2", "sparse:3"]
    assert manifest["model"]["plugin"] == "content-pool" and manifest["dim"] == 32


@pytest.mark.slow
def test_check_passes_the_example_plugins(example_plugin):
    result = CliRunner().invoke(cli, ["plugins", "--check", "--dist", "illusion-example-plugin", "--json"])
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["ok"], result.output
    [distribution] = report["distributions"]
    assert (distribution["name"], distribution["version"]) == ("illusion-example-plugin", "0.1.0")
    assert {(p["kind"], p["name"]) for p in distribution["plugins"]} == EXAMPLE_PLUGINS
    statuses = {(p["name"], o["check"]): o["status"] for p in distribution["plugins"] for o in p["outcomes"]}
    assert statuses[("negation-pairs", "empty_input")] == "skipped"
    assert {status for key, status in statuses.items() if key != ("negation-pairs", "empty_input")} == {"passed"}
