"""Plugins that exit, raise BaseExceptions, print, import slowly or press Ctrl-C, installed as a real distribution.

Each is named and skipped (or, configured, fails the command with exit status 1); none ends a command
silently, breaks ``--json`` or stops the runs that do not use it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from illusion import host as host_module
from illusion.cli import cli
from illusion.host import Host
from illusion.run.config import load_config
from tests.helpers.fault_zoo import assert_cache_sound, install_zoo
from tests.helpers.run_configs import write_run_config

DISTRIBUTION = "illusion-hostile-zoo"
HOSTILE = {
    "hostile_exit_import": "import sys\nsys.exit()\n",
    "hostile_exit_hook": """
        from illusion import hookimpl


        @hookimpl
        def illusion_datasets():
            raise SystemExit(0)
    """,
    "hostile_base_hook": """
        from illusion import hookimpl


        class Meltdown(BaseException):
            pass


        @hookimpl
        def illusion_model_layers():
            raise Meltdown("the registry melted")
    """,
    "hostile_interrupt_hook": """
        from illusion import hookimpl


        @hookimpl
        def illusion_direction_samplers():
            raise KeyboardInterrupt("raised by the plugin")
    """,
    "hostile_chatty": """
        print("chatty: imported")

        from illusion import DatasetPlugin, Record, hookimpl


        def records():
            print("chatty: reading")
            return [Record(f"c{n}", f"The chatty parrot repeated word number {n}.") for n in range(40)]


        @hookimpl
        def illusion_datasets():
            print("chatty: registering")
            yield DatasetPlugin("hostile-chatty", "A dataset that prints.", records)
    """,
    "hostile_slow": "import time\ntime.sleep(0.6)\n",
}
ENTRY_POINTS = {
    "exit-at-import": "hostile_exit_import",
    "exit-in-hook": "hostile_exit_hook",
    "meltdown": "hostile_base_hook",
    "interrupt-in-hook": "hostile_interrupt_hook",
    "chatty": "hostile_chatty",
    "slow": "hostile_slow",
}
PROBLEMS = (
    "(plugin 'exit-at-import'): failed to import hostile_exit_import: SystemExit(None): plugin code must not exit the program",
    "(plugin 'exit-in-hook', hook illusion_datasets): SystemExit(0): plugin code must not exit the program",
    "(plugin 'meltdown', hook illusion_model_layers): Meltdown: the registry melted",
    "(plugin 'interrupt-in-hook', hook illusion_direction_samplers): KeyboardInterrupt: raised by the plugin",
)


@pytest.fixture
def hostile(site, install):
    """The zoo's good parts and the hostile distribution, both installed."""
    install_zoo(site)
    install(DISTRIBUTION, HOSTILE, ENTRY_POINTS)
    return site


def config(folder, dataset="zoo-lines"):
    return write_run_config(
        folder / "run.toml",
        {"plugin": "zoo-words"},
        [{"name": "lines", "plugin": dataset}, {"name": "jokes", "plugin": "jokes", "min_words": 1}],
        [{"plugin": "random", "count": 2}],
        cache_dir=str(folder / "cache"),
        diagnostics=False,
    )


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_hostile_plugins_are_named_and_skipped_and_json_stays_valid(hostile, tmp_path):
    listing = invoke("plugins")
    assert listing.exit_code == 0, listing.output
    flat = " ".join(listing.stdout.split())
    assert all(problem in flat for problem in PROBLEMS), listing.stdout
    assert "chatty:" not in listing.stdout and "chatty: imported" in listing.stderr

    as_json = invoke("plugins", "--json")
    problems = json.loads(as_json.stdout)["problems"]  # the chatty plugin's lines went to stderr
    assert all(any(problem in text for text in problems) for problem in PROBLEMS)

    checked = invoke("plugins", "--check", "--json", "--dist", DISTRIBUTION)
    assert checked.exit_code == 1
    [report] = json.loads(checked.stdout)["distributions"]
    assert len(report["problems"]) == len(PROBLEMS)
    assert [p["name"] for p in report["plugins"] if any(o["status"] == "failed" for o in p["outcomes"])] == []

    one = invoke("plugins", "exit-at-import")
    assert one.exit_code == 1 and "plugin 'exit-at-import' failed to load:" in str(one.exception)


def test_a_run_beside_hostile_plugins_works_and_a_chatty_dataset_keeps_stdout_clean(hostile, tmp_path):
    used = load_config()
    host = Host()
    names = [("model layer", used.model.plugin)] + [("dataset", d.plugin) for d in used.datasets]
    names += [("direction sampler", s.plugin) for s in used.samplers]
    assert {host.distribution_of(kind, name).name for kind, name in names} == {"illusion"}  # the default run's plugins

    result = invoke("run", str(config(tmp_path, "hostile-chatty")), "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "chatty:" not in result.stdout and "chatty: reading" in result.stderr
    assert all(problem in " ".join(result.stderr.split()) for problem in PROBLEMS)
    assert (tmp_path / "out" / "manifest.json").exists()
    assert_cache_sound(tmp_path / "cache")


def test_a_slow_import_is_named_while_it_loads_and_timed(hostile, monkeypatch):
    monkeypatch.setattr(host_module, "SLOW_IMPORT", 0.2)
    result = invoke("plugins", "--timings")
    assert result.exit_code == 0
    assert f"still waiting for the import of plugin 'slow' ({DISTRIBUTION} 1.0)" in result.stderr
    slowest = result.stdout.splitlines()[0].split()
    assert slowest[2:] == ["slow", f"({DISTRIBUTION})"] and float(slowest[0]) >= 0.5


CTRL_C = """
    import os
    import signal
    import time

    from illusion import DatasetPlugin, hookimpl


    def records():
        os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C in the terminal
        time.sleep(30)
        return []


    @hookimpl
    def illusion_datasets():
        yield DatasetPlugin("ctrl-c", "A dataset read while Ctrl-C is pressed.", records)
"""


def test_a_real_ctrl_c_aborts_and_names_the_plugin_that_was_running(site, install, tmp_path):
    install_zoo(site)
    install("illusion-ctrl-c", {"ctrl_c": CTRL_C}, {"ctrl-c": "ctrl_c"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    env.pop("ILLUSION_DISABLE_PLUGIN_AUTOLOAD", None)
    command = [sys.executable, "-m", "illusion.cli", "run", str(config(tmp_path, "ctrl-c")), "--out", str(tmp_path / "out")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 130, result.stderr
    assert "aborted: interrupted while dataset 'lines' (plugin 'ctrl-c') was running" in result.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()
