"""A warm run's diagnostics: each result kept beside the store by its inputs and code, reused while they are unchanged,
recomputed when any of them changes or the kept file is damaged."""

from __future__ import annotations

import json
import os
import shutil
import site
import types
from pathlib import Path

import pytest

from illusion import DiagnosticPlugin, hookimpl
from illusion.diagnostics.kept import KIND
from illusion.diagnostics.suite import Settings, registered, write_diagnostics
from illusion.host import Distribution, Host
from illusion.run.derived import DERIVED
from tests.helpers.plugin_kit import add_distribution


@pytest.fixture
def counted():
    """A host with one more diagnostic, which counts its calls (its result reads the context and an earlier result)."""
    calls: list[str] = []

    def sentences(context):
        calls.append(context.run_id)
        return {
            "sentences": {name: len(context.texts[name]) for name in context.datasets},
            "top": context.results["illusion_score"]["ranking"][:1],
        }

    plugin = types.ModuleType("counting")  # a module whose code is this file: a plugin's fingerprint needs a file
    plugin.__file__ = __file__
    plugin.illusion_diagnostics = hookimpl(
        lambda: [DiagnosticPlugin("sentences", "Counts sentences.", sentences, title="Sentences", needs=["illusion_score"])]
    )
    host = Host()
    host.register(plugin, "counting", Distribution("illusion-counting", "0.1"))
    return host, calls


def _kept_files() -> list[Path]:
    return sorted((Path(os.environ["ILLUSION_CACHE_DIR"]) / DERIVED / KIND).glob("*.json"))


def _without_clock(result: dict) -> dict:
    return {key: value for key, value in json.loads(json.dumps(result)).items() if key not in ("created", "timings")}


def test_a_second_suite_reuses_every_result_and_writes_the_same_file(run_dir, tmp_path, counted):
    host, calls = counted
    run = shutil.copytree(run_dir, tmp_path / "run")
    first = write_diagnostics(run, host=host)
    assert calls == [first["run_id"]] and first["problems"] == []
    assert len(_kept_files()) == len(registered(host))  # every result, the built-ins' included, is one JSON keeps
    again = write_diagnostics(run, host=host)
    assert calls == [first["run_id"]]
    assert _without_clock(again) == _without_clock(first) == _without_clock(json.loads((run / "diagnostics.json").read_text()))


def test_a_damaged_file_changed_input_or_setting_is_computed_again(run_dir, tmp_path, counted):
    host, calls = counted
    run = shutil.copytree(run_dir, tmp_path / "run")
    write_diagnostics(run, host=host)
    for file in _kept_files():
        file.write_text('{"sentences": ', encoding="utf-8")  # damaged: a miss, made again and rewritten
    result = write_diagnostics(run, host=host)
    assert len(calls) == 2 and result["sentences"]["sentences"] == {"animals": 60, "scripture": 60}
    assert all(isinstance(json.loads(file.read_text()), dict) for file in _kept_files())
    write_diagnostics(run, Settings(points=7), host=host)  # another setting
    assert len(calls) == 3
    stats = json.loads((run / "stats.json").read_text())
    stats["separability"]["accuracy"] = 0.5  # another input: the run's statistics
    (run / "stats.json").write_text(json.dumps(stats))
    write_diagnostics(run, host=host)
    assert len(calls) == 4


def test_the_run_id_and_clock_do_not_count_but_code_and_installed_packages_do(run_dir, tmp_path, counted, monkeypatch):
    host, calls = counted
    first, second = (shutil.copytree(run_dir, tmp_path / name) for name in ("a", "b"))
    manifest = json.loads((second / "manifest.json").read_text())
    manifest |= {"run_id": "f" * 32, "created": "2000-01-01T00:00:00+00:00"}
    (second / "manifest.json").write_text(json.dumps(manifest))
    write_diagnostics(first, host=host)
    write_diagnostics(second, host=host)
    assert len(calls) == 1
    monkeypatch.setattr(host, "_fingerprints", {"illusion-counting": "changed"})  # the plugin's code changed
    write_diagnostics(second, host=host)
    assert len(calls) == 2
    user_site = tmp_path / "site"
    user_site.mkdir()
    add_distribution(user_site, "umap-learn", "0.5.9", {})  # a package the analyses may use is installed (--user)
    monkeypatch.setattr(site, "getusersitepackages", lambda: str(user_site))
    monkeypatch.syspath_prepend(str(user_site))
    write_diagnostics(second, host=host)
    assert len(calls) == 3
