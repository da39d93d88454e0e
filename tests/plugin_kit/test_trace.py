"""ILLUSION_TRACE_PLUGINS: every hook call, with the plugins it reached and its time, on stderr."""

from __future__ import annotations

import re

from click.testing import CliRunner

from illusion import hookimpl
from illusion.cli import cli
from illusion.host import BUILTIN_PLUGINS, Host
from illusion.registrations import KINDS

LINE = re.compile(r"^illusion trace: (\w+) \[([^\]]*)\] \d+\.\d\d ms$", re.MULTILINE)


class Predictor:
    @hookimpl
    def illusion_task_predictions(self, task):
        return None


def test_every_registration_hook_and_called_hook_is_traced(monkeypatch, capsys):
    monkeypatch.setenv("ILLUSION_TRACE_PLUGINS", "1")
    host = Host()
    host.register(Predictor(), "predictor")
    host.registrations("dataset")
    host.hook().illusion_task_predictions(task={"type": "set", "data": {}, "meta": {}})
    calls = LINE.findall(capsys.readouterr().err)
    traced = {(hook, plugin) for hook, plugin in calls}
    for kind, cls in KINDS.items():
        implementers = {impl.plugin_name for impl in getattr(host.pm.hook, cls.hook).get_hookimpls()}
        assert implementers and implementers <= set(BUILTIN_PLUGINS)
        assert {(cls.hook, name) for name in implementers} <= traced, kind
    assert ("illusion_task_predictions", "predictor") in traced


def test_nothing_is_traced_unless_asked(capsys):
    Host().registrations("dataset")
    assert "illusion trace" not in capsys.readouterr().err


def test_the_command_line_traces_too(monkeypatch):
    monkeypatch.setenv("ILLUSION_TRACE_PLUGINS", "1")
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0
    assert ("illusion_datasets", "illusion.plugins.file_datasets") in LINE.findall(result.stderr)
