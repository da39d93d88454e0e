"""README, CONTRIBUTING and the guides: their examples run, and every command and option they name exists."""

from __future__ import annotations

import re
import tomllib
import types

import click
import pytest

from illusion.cli import COMMANDS, cli, main
from illusion.host import Host
from tests.helpers.docs import ROOT, blocks, command_lines, run_python_blocks, shell_commands

README, CONTRIBUTING = ROOT / "README.md", ROOT / "CONTRIBUTING.md"
GUIDES = [
    README,
    CONTRIBUTING,
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted(ROOT.glob("*/*/README.md")),
    *sorted(ROOT.glob("*/README.md")),
]
# Commands that are quick, write only into the current folder and need no server, model or network.
CHEAP = {"init", "new-plugin", "plugins"}


def command(words: list[str]) -> tuple[click.Command, list[str]]:
    """The click command that ``illusion WORDS`` runs (a group's sub-command included) and the words after it."""
    with click.Context(cli) as ctx:
        found = cli.get_command(ctx, words[0])
        assert found is not None, f"`illusion {words[0]}` is not a command (commands: {', '.join(sorted(COMMANDS))})"
        rest = words[1:]
        if isinstance(found, click.Group) and rest and not rest[0].startswith("-"):
            sub = found.get_command(ctx, rest[0])
            assert sub is not None, f"`illusion {words[0]} {rest[0]}` is not a command"
            found, rest = sub, rest[1:]
    return found, rest


def options(cmd: click.Command) -> set[str]:
    return {"--help", "-h"} | {opt for param in cmd.params for opt in (*param.opts, *param.secondary_opts)}


@pytest.mark.parametrize("path", GUIDES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_command_and_option_named_exists(path):
    for words in command_lines(path):
        cmd, rest = command(words)
        unknown = [word.split("=")[0] for word in rest if word.startswith("-") and word.split("=")[0] not in options(cmd)]
        assert unknown == [], f"{path.name}: `illusion {' '.join(words)}` names options that do not exist"


def test_the_command_checker_catches_mistakes():
    with pytest.raises(AssertionError, match="is not a command"):
        command(["diagnostics", "RUN_DIR"])
    with pytest.raises(AssertionError, match="is not a command"):
        command(["labelstudio", "start"])
    cmd, rest = command(["labelstudio", "serve", "--port", "1"])
    assert cmd.name == "serve" and rest == ["--port", "1"] and "--port" in options(cmd)


@pytest.mark.parametrize("path", [README, CONTRIBUTING], ids=lambda path: path.name)
def test_the_scripts_the_shell_blocks_run_exist(path):
    """`tests/run.sh`, `.ci/run`: every repository script a shell block starts (virtual-environment tools aside)."""
    commands = [
        part.split()[0]
        for block in blocks(path, "bash")
        for line in block.splitlines()
        for part in re.split(r"&&|;|\|", line.split("#")[0])
        if part.strip()
    ]
    scripts = [word for word in commands if "/" in word and not word.startswith(".venv/")]
    assert scripts and [script for script in scripts if not (ROOT / script).is_file()] == []


def test_the_readme_command_table_lists_every_command():
    section = README.read_text(encoding="utf-8").split("## Commands", 1)[1].split("\n## ", 1)[0]
    cells = [
        re.split(r"(?<!\\)\|", line)[1] for line in section.splitlines() if line.startswith("| `illusion ")
    ]  # \| is a pipe in a cell
    named = {span.split()[1] for cell in cells for span in re.findall(r"`(illusion [^`]+)`", cell)}
    assert named == set(COMMANDS)


@pytest.mark.parametrize("path", [README, CONTRIBUTING], ids=lambda path: path.name)
def test_toml_examples_parse(path):
    assert blocks(path, "toml")
    for block in blocks(path, "toml"):
        tomllib.loads(block)


def test_contributing_python_examples_run(tmp_path, monkeypatch):
    assert run_python_blocks(CONTRIBUTING, tmp_path, monkeypatch) > 0


def test_the_readme_plugin_loads_its_headlines(tmp_path):
    [example] = blocks(README, "python")
    module = types.ModuleType("readme_plugin")
    exec(compile(example, "README.md example", "exec"), module.__dict__)
    host = Host()
    assert host.register(module, "readme")
    headlines = tmp_path / "headlines.txt"
    headlines.write_text("Markets rally as rates fall sharply\nLocal team wins the cup final again\n", encoding="utf-8")
    records = host.get("dataset", "headlines").load({"path": str(headlines)}, seed=0)
    assert [record.text for record in records] == ["Markets rally as rates fall sharply", "Local team wins the cup final again"]


def test_the_cheap_commands_of_contributing_run(tmp_path, monkeypatch):
    """``new-plugin``, ``init`` and ``plugins`` as shown, in order, in an empty folder (``--check`` loads models: left out)."""
    monkeypatch.chdir(tmp_path)
    shown = [words for block in blocks(CONTRIBUTING, "bash") for words in shell_commands(block) if words[0] in CHEAP]
    assert [words for words in shown if "--check" not in words] == [
        ["new-plugin", "proverbs"],
        ["plugins"],
        ["init", "my-run.toml"],
    ]
    for words in shown:
        if "--check" not in words:
            assert run(words) == 0, f"`illusion {' '.join(words)}` failed"
    assert (tmp_path / "illusion-proverbs" / "pyproject.toml").is_file()
    assert tomllib.loads((tmp_path / "my-run.toml").read_text(encoding="utf-8"))["datasets"]


def run(words: list[str]) -> int:
    try:
        main(words)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
