"""A diagnostic from an installed package: in diagnostics.json, the report, the terminal, the sweep, `illusion tables`,
`illusion compare` and open_run, with nothing in illusion changed; one that fails is named and the others still run."""

from __future__ import annotations

import json
import shutil
import textwrap

import numpy as np
import pytest
from rich.console import Console

from illusion import DiagnosticContext, DiagnosticPlugin, Finding, FindingValue, PluginError, hookimpl, open_run
from illusion.commands.diagnose import print_summary
from illusion.commands.sweep import print_table
from illusion.diagnostics.compare import compare
from illusion.diagnostics.suite import write_diagnostics
from illusion.host import Host
from illusion.report.run_report import render, write_report
from illusion.run.config import load_config
from illusion.run.folder import RunFolder
from illusion.run.tables import write_tables
from illusion.sweep.grid import Grid
from illusion.sweep.runner import sweep
from tests.helpers import run_models
from tests.helpers.plugin_kit import add_distribution

LENGTHS = '''
"""Diagnostic 'top_length': are a direction's top sentences longer than its dataset's average sentence?"""

import numpy as np

from illusion import WHOLE, DiagnosticPlugin, Finding, FindingValue, hookimpl


def top_length(context):
    ratios = {}
    for name in context.datasets:
        words = np.array([len(text.split()) for text in context.texts[name]], dtype=float)
        top = words[context.top_index[name]].mean(axis=1)  # (directions,)
        ratios[name] = {i: float(r) for i, r in zip(context.direction_ids, top / words.mean())}
    by_condition = {
        c: float(np.mean([ratios[n][i] for n in ratios for i, ci in zip(context.direction_ids, context.conditions) if ci == c]))
        for c in sorted(set(context.conditions))
    }
    control_words = {  # the mean words of a dataset's random control sets, the baseline a top-k set is read against
        name: float(np.mean([len(s.text.split()) for c in context.controls if c.dataset == name for s in c.sentences]))
        for name in sorted({c.dataset for c in context.controls})
    }
    return {
        "per_dataset": ratios,
        "by_condition": by_condition,
        "scored": context.results["illusion_score"]["ranking"][:1],
        "control_words": control_words,
        "summarised": sorted(context.stats.conditions),
        "sizes": {d.name: d.size for d in context.manifest.datasets},
    }


@hookimpl
def illusion_diagnostics():
    yield DiagnosticPlugin(
        "top_length",
        "How much longer a direction's top sentences are than its dataset's average sentence.",
        top_length,
        title="Length of the top sentences",
        needs=["illusion_score"],
        report=(
            '{% from "diagnostic.html.j2" import num with context %}<h3>{{ title }}</h3>'
            '{% for c, v in result.by_condition.items() %}<p data-top-length="{{ c }}">{{ num(v) }}</p>{% endfor %}'
        ),
        findings=[
            Finding(
                "top_length_ratio",
                "Top-k length ratio",
                "mean words of the top-k sentences over the dataset's mean words",
                lambda found, context: {c: FindingValue(v, chance=1.0) for c, v in found["by_condition"].items()},
                shown="number",
            ),
            Finding(
                "longest_condition",
                "Longest top sentences",
                "the largest ratio of any condition",
                lambda found, context: {WHOLE: FindingValue(max(found["by_condition"].values()))},
                per_condition=False,
                shown="number",
            ),
        ],
    )
'''
BROKEN = """
from illusion import WHOLE, DiagnosticPlugin, Finding, FindingValue, hookimpl


def leaves(context):
    raise SystemExit(3)


@hookimpl
def illusion_diagnostics():
    yield DiagnosticPlugin("leaves", "Exits the program.", leaves, title="Leaves")
    yield DiagnosticPlugin("after_leaves", "Needs the one that exits.", lambda context: {}, title="After", needs=["leaves"])
    yield DiagnosticPlugin("bad_section", "Shows what it lacks.", lambda context: {}, title="Bad", report="{{ result.nothing }}")
    yield DiagnosticPlugin(
        "bad_finding",
        "Its finding cannot say when it is comparable.",
        lambda context: {},
        title="Bad finding",
        findings=[Finding("ratio", "Ratio", "one", lambda r, c: {WHOLE: FindingValue(1.0)}, paper=1.0, incomparable=lambda c: 1 / 0)],
    )
    yield DiagnosticPlugin(
        "plain",
        "Counts the datasets.",
        lambda context: {"n": len(context.datasets)},
        title="Plain <count>",
        findings=[Finding("datasets", "Datasets", "how many", lambda r, c: {WHOLE: FindingValue(r["n"])}, per_condition=False, shown="number")],
    )
"""


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """The package illusion-lengths, with a good and a broken diagnostic, installed where the host finds it."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "illusion_lengths.py").write_text(textwrap.dedent(LENGTHS), encoding="utf-8")
    (site / "illusion_leaves.py").write_text(textwrap.dedent(BROKEN), encoding="utf-8")
    add_distribution(site, "illusion-lengths", "0.1", {"lengths": "illusion_lengths", "leaves": "illusion_leaves"})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("ILLUSION_DISABLE_PLUGIN_AUTOLOAD")
    return site


def test_hook_illusion_diagnostics(installed, run_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    result = write_diagnostics(run, host=Host())
    ratios = result["top_length"]["by_condition"]
    assert set(ratios) == set(result["range_overlap"]["by_condition"]) and all(r > 0 for r in ratios.values())
    assert result["top_length"]["scored"] == result["illusion_score"]["ranking"][:1]  # it read what it needs
    folder = RunFolder(run)
    controls = folder.controls()
    assert controls and set(result["top_length"]["control_words"]) == {c.dataset for c in controls}  # the run's control sets
    assert result["top_length"]["summarised"] == sorted(folder.stats().conditions)  # its stats.json, typed
    assert result["top_length"]["sizes"] == {d.name: d.size for d in folder.manifest().datasets}  # its manifest.json, typed
    finding = result["findings"]["top_length_ratio"]
    assert finding["diagnostic"] == "top_length" and finding["values"]["neuron"]["value"] == ratios["neuron"]
    assert result["findings"]["longest_condition"]["values"]["all"]["value"] == max(ratios.values())
    assert "separability" in result["findings"] and "monotonicity_one" in result["findings"]  # the built-ins are still there

    problems = {problem["diagnostic"]: problem for problem in result["problems"]}
    assert set(problems) == {"leaves", "after_leaves", "bad_finding"}
    leaves, after = problems["leaves"], problems["after_leaves"]
    assert leaves["distribution"] == "illusion-lengths" and "SystemExit(3)" in leaves["message"]
    assert "'leaves', which it needs, failed" in after["message"]
    assert "ZeroDivisionError" in problems["bad_finding"]["message"] and "ratio" not in result["findings"]
    assert not {"leaves", "after_leaves", "bad_finding"} & set(result)

    report = write_report(run, None, result).read_text(encoding="utf-8")
    assert report.count('data-finding="top_length_ratio"') == len(ratios) and "Top-k length ratio" in report
    assert f'<p data-top-length="neuron">{ratios["neuron"]:.3f}</p>' in report  # its own section
    assert 'data-diagnostic="leaves"' in report and "<h3>Plain &lt;count&gt;</h3>" in report  # the default section
    assert 'data-section-finding="datasets"' in report
    assert "The section of diagnostic &#39;bad_section&#39; (illusion-lengths 0.1) could not be shown: UndefinedError" in report
    assert report.index("<h3>Outliers</h3>") < report.index("<h3>Length of the top sentences</h3>")
    older = {key: value for key, value in result.items() if key not in ("findings", "problems")}  # written before findings
    assert "<h3>Outliers</h3>" in render(run, older) and "<h3>Findings</h3>" not in render(run, older)

    view = open_run(run)
    assert view.diagnostics_json()["top_length"] == result["top_length"]
    rows = view.findings().set_index(["finding", "condition"])
    assert rows.loc[("top_length_ratio", "neuron"), "value"] == pytest.approx(ratios["neuron"])
    assert rows.loc[("top_length_ratio", "neuron"), "chance"] == 1.0
    written = write_tables(view, tmp_path / "tables", "csv")
    assert "top_length_ratio,top_length" in written["findings"][0].read_text(encoding="utf-8")

    console = Console(record=True, width=400)
    print_summary(console, result)
    terminal = console.export_text()
    assert "Top-k length ratio" in terminal and f"{ratios['neuron']:.4g}" in terminal
    assert "diagnostic 'leaves' (illusion-lengths) failed" in terminal

    compared = compare({"one": view, "two": open_run(run)})
    assert {"key": "top_length_ratio", "title": "Top-k length ratio", "shown": "number"} in compared["findings"]
    assert compared["runs"][0]["conditions"]["neuron"]["top_length_ratio"] == ratios["neuron"]


def test_a_sweep_follows_an_installed_diagnostics_findings(installed, config, tmp_path):
    summary = sweep(load_config(config), Grid((2,), ("cls",), ("all",)), tmp_path / "sweep", Host())
    assert {"top_length_ratio", "longest_condition", "monotonicity_one"} <= {f["name"] for f in summary["findings"]}
    [cell] = summary["cells"]
    assert set(cell["findings"]["top_length_ratio"]) == {c["condition"] for c in summary["conditions"]}
    assert "Top-k length ratio" in (tmp_path / "sweep" / "sweep.html").read_text(encoding="utf-8")
    console = Console(record=True, width=400)
    print_table(console, summary)  # the terminal's table: every finding followed, as its diagnostic shows it
    terminal = console.export_text()
    ratio = cell["findings"]["top_length_ratio"][summary["conditions"][0]["condition"]]["value"]
    longest = cell["findings"]["longest_condition"]["all"]["value"]
    assert "Top-k length ratio" in terminal and "Longest top sentences" in terminal
    assert f"{ratio:.4g}" in terminal and f"{longest:.4g}" in terminal  # shown="number", not as a percentage


def context(results=None) -> DiagnosticContext:
    vectors = {"a": np.eye(3, dtype=np.float32), "b": np.eye(3, dtype=np.float32)[::-1].copy()}
    top = {name: np.array([[0], [1]]) for name in vectors}
    return DiagnosticContext(
        "run",
        0,
        1,
        list(vectors),
        vectors,
        {n: ["x y", "z", "w"] for n in vectors},
        ["c:0", "c:1"],
        ["c", "c"],
        np.eye(2, 3, dtype=np.float32),
        top,
        run_models.stats(vectors),
        run_models.manifest({name: 3 for name in vectors}, [("c:0", "c"), ("c:1", "c")]),
        results=results or {},
    )


def test_a_diagnostic_that_returns_what_cannot_be_written_is_named():
    bad = DiagnosticPlugin("nan_set", "Returns a set.", lambda context: {"found": {1, 2}}, title="Sets")
    with pytest.raises(PluginError, match="diagnostic 'nan_set': its result cannot be written to diagnostics.json"):
        bad.run(context())
    listed = DiagnosticPlugin("listed", "Returns a list.", lambda context: [1], title="Lists")
    with pytest.raises(PluginError, match="diagnostic 'listed': factory must return a dict"):
        listed.run(context())


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ""}, "title must be one non-empty line"),
        ({"needs": ["same"]}, "needs must name other diagnostics"),
        ({"findings": [object()]}, "findings must be illusion.Finding objects"),
    ],
)
def test_a_malformed_registration_says_what_is_wrong(changes, message):
    with pytest.raises(TypeError, match=message):
        DiagnosticPlugin("same", "A diagnostic.", lambda context: {}, **{"title": "Same", **changes})


def test_a_diagnostic_may_not_take_a_name_of_diagnostics_json_itself():
    with pytest.raises(TypeError, match="'timings' is a field of diagnostics.json itself"):
        DiagnosticPlugin("timings", "A diagnostic.", lambda context: {}, title="Timings")


def test_a_finding_measured_wrongly_is_named():
    found = Finding("half", "Half", "half of nothing", lambda result, context: {"all": 0.5})
    plugin = DiagnosticPlugin("halves", "Halves.", lambda context: {}, title="Halves", findings=[found])
    with pytest.raises(PluginError, match="finding 'half' must measure illusion.FindingValue"):
        plugin.measure({}, context())
    assert FindingValue(0.5, [0.4, 0.6]).to_json() == {"value": 0.5, "interval": [0.4, 0.6], "chance": None}
    plain = FindingValue(np.float32(0.5), [np.float64(0.25), float("inf")], np.float32(np.nan), {"a": np.float32(1)})
    assert json.dumps(plain.to_json(), allow_nan=False) == (
        '{"value": 0.5, "interval": [0.25, null], "chance": null, "parts": {"a": 1.0}}'
    )
    with pytest.raises(TypeError, match="holds numbers or None"):
        FindingValue("high")


def test_a_finding_key_another_diagnostic_declared_is_named_not_overwritten(run_dir, tmp_path):
    def declaring(name: str, value: float) -> DiagnosticPlugin:
        finding = Finding(
            "shared", "Shared", "a key two plugins use", lambda r, c: {"all": FindingValue(value)}, per_condition=False
        )
        return DiagnosticPlugin(name, "Declares 'shared'.", lambda context: {}, title=name.title(), findings=[finding])

    class Two:
        @hookimpl
        def illusion_diagnostics(self):
            yield declaring("first", 1.0)
            yield declaring("second", 2.0)

    host = Host(autoload=False)
    host.register(Two(), "two")
    shutil.copytree(run_dir, tmp_path / "run")
    result = write_diagnostics(tmp_path / "run", host=host)
    assert result["findings"]["shared"]["diagnostic"] == "first" and "second" in result
    assert any(
        p["diagnostic"] == "second" and "'shared' is already declared by 'first'" in p["message"] for p in result["problems"]
    )


def test_builtin_diagnostics_are_registered_like_any_other():
    class Extra:
        @hookimpl
        def illusion_diagnostics(self):
            yield DiagnosticPlugin("extra", "An extra.", lambda context: {"n": len(context.datasets)}, title="Extra")

    host = Host(autoload=False)
    assert host.register(Extra(), "extra")
    entries = host.registrations("diagnostic")
    assert list(entries)[-1] == "extra" and entries["monotonicity"][0].plugin == "illusion.diagnostics.builtin"
    assert host.get("diagnostic", "extra").run(context()) == {"n": 2}


def test_the_readers_of_diagnostics_json_survive_a_failed_builtin(run_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    result = write_diagnostics(run, host=Host())
    failed = {key: value for key, value in result.items() if key not in ("illusion_score", "separability", "sanity")}
    failed["problems"] = [
        {
            "diagnostic": "illusion_score",
            "distribution": "illusion",
            "plugin": "illusion_score",
            "message": "RuntimeError: broken",
        }
    ]
    (run / "diagnostics.json").write_text(json.dumps(failed), encoding="utf-8")  # as the suite writes it when they fail

    view = open_run(run)
    assert view.diagnostics_json()["problems"] == failed["problems"]  # the schema reads what the suite writes
    assert "Outliers" in write_report(run).read_text(encoding="utf-8")
    assert write_tables(view, tmp_path / "tables", "csv")["diagnostics"]
    console = Console(record=True, width=400)
    print_summary(console, failed)
    assert "diagnostic 'illusion_score' (illusion) failed" in console.export_text()
