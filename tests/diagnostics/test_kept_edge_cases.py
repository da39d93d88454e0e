"""Kept diagnostic results are never another diagnostic's nor another code's: needed results whose keys cannot be sorted,
a diagnostic whose code has no file, a kept file replaced by JSON of another shape."""

from __future__ import annotations

import json
import os
import shutil
import types
from pathlib import Path

from illusion import DiagnosticPlugin, hookimpl
from illusion.diagnostics.kept import KIND
from illusion.diagnostics.suite import write_diagnostics
from illusion.host import Distribution, Host
from illusion.run.derived import DERIVED


def with_diagnostics(*diagnostics: DiagnosticPlugin, code_file: bool = True) -> Host:
    """A host with ``diagnostics`` more, from a plugin module whose code is this file (``code_file``), or from a
    plugin object with no file (as one defined in a notebook)."""
    hook = hookimpl(lambda: list(diagnostics))
    if code_file:
        plugin = types.ModuleType("extra_diagnostics")
        plugin.__file__, plugin.illusion_diagnostics = __file__, hook
    else:
        plugin = types.SimpleNamespace(illusion_diagnostics=hook)
    host = Host()
    host.register(plugin, "extra", Distribution("illusion-extra", "0.1"))
    return host


def _without_clock(result: dict) -> dict:
    return {key: value for key, value in json.loads(json.dumps(result)).items() if key not in ("created", "timings")}


def test_a_needed_result_with_number_and_text_keys_is_read(run_dir, tmp_path):
    run = shutil.copytree(run_dir, tmp_path / "run")
    counts = DiagnosticPlugin("counts", "Counts.", lambda context: {"by": {1: "one", "two": 2}}, title="Counts")
    size = DiagnosticPlugin(
        "size", "Size.", lambda context: {"n": len(context.results["counts"]["by"])}, title="Size", needs=["counts"]
    )
    result = write_diagnostics(run, host=with_diagnostics(counts, size))
    assert result["size"] == {"n": 2} and result["problems"] == []


def test_a_diagnostic_without_a_code_file_is_not_kept_across_changes_of_its_code(run_dir, tmp_path):
    run = shutil.copytree(run_dir, tmp_path / "run")
    for version in (1, 2):  # the same name and distribution, as a notebook cell edited and run again
        mine = DiagnosticPlugin("mine", "Mine.", lambda context, version=version: {"version": version}, title="Mine")
        assert write_diagnostics(run, host=with_diagnostics(mine, code_file=False))["mine"] == {"version": version}


def test_a_kept_result_replaced_by_an_object_of_another_shape_is_computed_again(run_dir, tmp_path):
    run = shutil.copytree(run_dir, tmp_path / "run")
    first = write_diagnostics(run)
    for file in (Path(os.environ["ILLUSION_CACHE_DIR"]) / DERIVED / KIND).glob("*.json"):
        file.write_text("{}", encoding="utf-8")
    again = write_diagnostics(run)
    assert again["problems"] == [] and _without_clock(again) == _without_clock(first)


def test_a_diagnostic_that_changes_a_result_it_needs_writes_what_the_cold_suite_wrote(run_dir, tmp_path):
    run = shutil.copytree(run_dir, tmp_path / "run")

    def annotating(context):
        context.results["plain"]["seen_by"] = "annotating"  # a change to another's result, in place
        return {"annotated": True}

    plain = DiagnosticPlugin("plain", "Plain.", lambda context: {"value": 1}, title="Plain")
    annotate = DiagnosticPlugin("annotating", "Annotates.", annotating, title="Annotating", needs=["plain"])
    cold = write_diagnostics(run, host=with_diagnostics(plain, annotate))
    warm = write_diagnostics(run, host=with_diagnostics(plain, annotate))
    assert cold["plain"] == {"value": 1, "seen_by": "annotating"}
    assert _without_clock(warm) == _without_clock(cold)
