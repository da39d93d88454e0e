"""Broken plugins next to good ones: each problem is reported with its distribution, and the rest keep working."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import illusion
from illusion.cli import cli
from illusion.errors import PluginError
from tests.helpers.run_configs import write_run_config

BROKEN = {
    "illusion-import-error": (
        "import_error_plugin",
        "import not_a_module_anywhere\n",
        "failed to import import_error_plugin: ModuleNotFoundError: No module named 'not_a_module_anywhere'",
    ),
    "illusion-bad-registration": (
        "bad_registration_plugin",
        """
        from illusion import DatasetPlugin, Record, hookimpl

        @hookimpl
        def illusion_datasets():
            yield DatasetPlugin("Bad Name", "A dataset with an invalid name.", lambda: [])
        """,
        "TypeError: name 'Bad Name' must be lower-case letters",
    ),
    "illusion-duplicate": (
        "duplicate_plugin",
        """
        from illusion import DatasetPlugin, Record, hookimpl

        @hookimpl
        def illusion_datasets():
            yield DatasetPlugin("bible", "Another dataset of the same name.", lambda: [Record("1", "one two three four")])
        """,
        None,
    ),
    "illusion-unknown-hook": (
        "unknown_hook_plugin",
        """
        from illusion import hookimpl

        @hookimpl
        def illusion_dataset():
            return []
        """,
        "implements an unknown hook; did you mean 'illusion_datasets'?",
    ),
    "illusion-flaky": (
        "flaky_plugin",
        """
        import random

        from illusion import DatasetPlugin, Record, hookimpl

        def coin_flips():
            yield from (Record(f"toss-{random.randrange(10**9)}", f"toss number {i} came up heads") for i in range(20))

        @hookimpl
        def illusion_datasets():
            yield DatasetPlugin("coin-flips", "Twenty tosses whose ids change on every read.", coin_flips)
        """,
        None,
    ),
}


@pytest.fixture
def broken(example_plugin, install):
    for distribution, (module, source, _) in BROKEN.items():
        install(distribution, {module: source}, {module: module})


def test_plugins_reports_each_problem_and_lists_the_rest(broken):
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0
    listing = json.loads(result.output)
    for distribution, (module, _, message) in BROKEN.items():
        if message:
            assert any(p.startswith(f"{distribution} (plugin '{module}'") and message in p for p in listing["problems"]), (
                distribution
            )
    [claimed] = [p for p in listing["problems"] if "dataset name 'bible' is already taken by" in p]
    assert claimed.startswith("illusion-duplicate (plugin 'duplicate_plugin'")
    assert f"taken by illusion {illusion.__version__} (plugin 'illusion.plugins.embedded_datasets')" in claimed
    assert "use 'illusion-duplicate:bible' for this one" in claimed
    names = {(p["name"], p["distribution"]) for p in listing["plugins"]}
    assert {
        ("sparse", "illusion-example-plugin"),
        ("content-pool", "illusion-example-plugin"),
        ("coin-flips", "illusion-flaky"),
        ("jokes", "illusion"),
    } <= names


def test_check_reports_problems_per_distribution_and_fails(broken):
    result = CliRunner().invoke(cli, ["plugins", "--check", "--json", *(f"--dist={name}" for name in BROKEN)])
    assert result.exit_code == 1 and isinstance(result.exception, PluginError)
    report = {d["name"]: d for d in json.loads(result.output)["distributions"]}
    assert not any(report[name]["ok"] for name in BROKEN)
    assert set(report) == set(BROKEN)
    for name in ("illusion-import-error", "illusion-bad-registration", "illusion-unknown-hook"):
        assert any(BROKEN[name][2] in problem for problem in report[name]["problems"]), name
    [duplicate] = report["illusion-duplicate"]["plugins"]
    assert any(o["check"] == "registration" and "already taken by illusion" in o["message"] for o in duplicate["outcomes"])
    [flaky] = report["illusion-flaky"]["plugins"]
    assert {o["check"]: o["status"] for o in flaky["outcomes"]}["determinism"] == "failed"


def test_check_text_names_each_distribution_and_its_problem(broken):
    result = CliRunner().invoke(cli, ["plugins", "--check", "--dist", "illusion-flaky", "--dist", "illusion-import-error"])
    assert result.exit_code == 1
    assert "illusion-flaky 1.0: problems" in result.output
    assert (
        "FAIL dataset 'coin-flips'" in result.output and "determinism: dataset 'coin-flips' is not deterministic" in result.output
    )
    assert "illusion-import-error 1.0: problems" in result.output and BROKEN["illusion-import-error"][2] in result.output
    assert str(result.exception) == "plugin problems in illusion-flaky, illusion-import-error"


def test_check_of_an_unknown_distribution_is_an_error(broken):
    result = CliRunner().invoke(cli, ["plugins", "--check", "--dist", "illusion-nowhere"])
    assert result.exit_code == 1 and "no plugins from illusion-nowhere" in str(result.exception)


def test_a_run_still_works_next_to_broken_plugins(broken, illusion_tiny_bert, tmp_path):
    config = write_run_config(
        tmp_path / "run.toml",
        {"plugin": "transformer", "model": str(illusion_tiny_bert), "device": "cpu"},
        [
            {"name": "neutral", "plugin": "jokes", "category": "neutral"},
            {"name": "chuck", "plugin": "jokes", "category": "chuck"},
        ],
        [{"plugin": "sparse", "count": 2, "nonzero": 2}],
    )
    result = CliRunner().invoke(cli, ["run", str(config), "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["plugin_problems"]) == 4
