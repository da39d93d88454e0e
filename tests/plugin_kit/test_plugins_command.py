"""``illusion plugins``: one plugin's parameters, and --check with per-plugin options."""

from __future__ import annotations

import json

from click.testing import CliRunner

from illusion.cli import cli
from illusion.errors import ConfigError
from illusion.records import SHARED_DATASET_PARAMS


def invoke(*args):
    return CliRunner().invoke(cli, ["plugins", *args], env={"COLUMNS": "80"})


def test_one_plugin_shows_its_own_parameters_then_the_shared_ones_once():
    result = invoke("text")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "dataset 'text': Plain-text files, one sentence per line (paths or globs)."
    assert "    path: str: file path or glob, e.g. 'corpus/*.txt'" in lines
    assert all(len(line) <= 80 for line in lines)
    text = " ".join(result.output.split())
    assert "shared by every dataset: " + ", ".join(p.describe() for p in SHARED_DATASET_PARAMS) in text
    for param in SHARED_DATASET_PARAMS:
        assert text.count(param.describe()) == 1, param.name


def test_one_plugin_as_json_is_its_listing_entry():
    [entry] = json.loads(invoke("illusion:random", "--json").output)
    assert (entry["kind"], entry["name"], entry["distribution"]) == ("direction sampler", "random", "illusion")


def test_an_unknown_plugin_name_suggests_the_closest():
    result = invoke("txet")
    assert result.exit_code == 1 and "no plugin called 'txet'; did you mean 'text'?" in str(result.exception)


def test_check_runs_a_plugin_with_the_options_given(tmp_path):
    (tmp_path / "lines.txt").write_text("one line of text here\nanother line of text there\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    skipped = json.loads(invoke("text", "--check", "--json").output)["distributions"][0]["plugins"][0]["outcomes"]
    assert {o["check"] for o in skipped if o["status"] == "skipped"} == {"output", "determinism", "stable_ids", "empty_input"}
    result = invoke(
        "text",
        "--check",
        "--json",
        f"--option=text.path={tmp_path / 'lines.txt'}",
        "--empty-option",
        f"text.path={tmp_path / 'empty.txt'}",
    )
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)["distributions"]
    [plugin] = report["plugins"]
    assert {o["check"]: o["status"] for o in plugin["outcomes"]} == dict.fromkeys(
        ("registration", "parameters", "bad_parameters", "output", "determinism", "stable_ids", "empty_input"), "passed"
    )


def test_check_options_must_name_a_plugin_and_a_key():
    result = invoke("--check", "--option", "path=x.txt")
    assert isinstance(result.exception, ConfigError) and "write it as NAME.KEY=VALUE" in str(result.exception)
