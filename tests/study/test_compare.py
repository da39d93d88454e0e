"""illusion compare: runs side by side, rank correlation of scores, a warning when more than one setting differs."""

import json

import pytest

import illusion
from illusion.diagnostics.compare import compare, differing, flat_settings, score_correlations
from tests.helpers.word_runs import cli


def test_settings_flatten_by_name_and_only_real_differences_count():
    a = flat_settings(
        {"k": 5, "model": {"layer": 3, "device": "cpu"}, "datasets": [{"name": "bible", "n": 10}]}, {"min_count": 10}
    )
    b = flat_settings(
        {"k": 5, "model": {"layer": 6, "device": "cuda"}, "datasets": [{"name": "bible", "n": 20}]}, {"min_count": 10}
    )
    assert a == {"k": 5, "model.layer": 3, "datasets.bible.n": 10, "diagnose.min_count": 10}
    assert differing([a, b]) == ["datasets.bible.n", "model.layer"]
    assert differing([a, {**a, "seed": 1}]) == ["seed"]
    undiagnosed = {key: value for key, value in b.items() if not key.startswith("diagnose.")}
    assert differing([a, undiagnosed]) == ["datasets.bible.n", "model.layer"]


def test_score_correlation_is_spearman_over_shared_ids():
    rows = score_correlations({"x": {"a": 0.1, "b": 0.5, "c": 0.9, "d": None}, "y": {"a": 1.0, "b": 2.0, "c": 3.0, "e": 0.0}})
    assert rows == [{"runs": ["x", "y"], "directions": 3, "spearman": pytest.approx(1.0)}]


def test_two_layers_side_by_side(layer_runs, tmp_path, capsys):
    three, one = layer_runs
    views = {"layer3": illusion.open_run(three), "layer1": illusion.open_run(one)}
    result = compare(views)
    assert result["differing_settings"] == ["model.layer"] and result["warning"] is None
    assert [run["settings"] for run in result["runs"]] == [{"model.layer": 3}, {"model.layer": 1}]
    diagnostics = json.loads((three / "diagnostics.json").read_text())
    neuron = result["runs"][0]["conditions"]["neuron"]
    assert neuron["illusion_score"] == diagnostics["illusion_score"]["by_condition"]["neuron"]
    assert neuron["locality"] == diagnostics["locality"]["by_condition"]["neuron"]["score"]
    assert set(result["directions"]) == set(views["layer3"].direction_ids)
    assert cli("compare", three, one, "--html", tmp_path / "compare.html", "--directions") == 0
    assert "illusion score per direction" in capsys.readouterr().out
    page = (tmp_path / "compare.html").read_text()
    assert "model.layer" in page and "Spearman" in page and "Warning" not in page


def test_a_warning_when_runs_differ_in_more_than_one_setting(layer_runs, study_config, tmp_path, capsys):
    three, _ = layer_runs
    other = tmp_path / "other"
    cache = three.parent / "cache"
    assert (
        cli("run", study_config, "--out", other, "-q", "-s", f"cache_dir='{cache}'", "-s", "k=4", "--seed", 5, "--no-diagnostics")
        == 0
    )
    capsys.readouterr()
    assert cli("compare", three, other) == 0
    out = capsys.readouterr().out
    assert "differ in 2 settings (k, seed)" in out and "no direction scored in both" in out
    assert cli("compare", three) != 0


def test_a_run_flagged_by_its_sanity_checks_is_marked_in_the_terminal_and_the_page(layer_runs, tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.setenv("COLUMNS", "300")  # the terminal tables on one line each

    three, one = layer_runs
    flagged = tmp_path / "flagged"
    shutil.copytree(three, flagged)
    diagnostics = json.loads((flagged / "diagnostics.json").read_text())
    diagnostics["sanity"]["checks"] = [
        {"check": "near-constant vectors", "severity": "warning", "message": "sentence vectors barely vary"},
        {"check": "small datasets", "severity": "note", "message": "k is more than 5% of a dataset"},
    ]
    (flagged / "diagnostics.json").write_text(json.dumps(diagnostics))
    result = compare({"flagged": illusion.open_run(flagged), "layer1": illusion.open_run(one)})
    assert result["runs"][0]["flags"] == ["near-constant vectors"]  # warnings only, not notes
    assert result["runs"][1]["flags"] == [
        c["check"] for c in json.loads((one / "diagnostics.json").read_text())["sanity"]["checks"] if c["severity"] == "warning"
    ]
    assert cli("compare", flagged, one, "--html", tmp_path / "compare.html") == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "flagged: near-constant vectors" in out and "flagged (flagged)" in out
    page = (tmp_path / "compare.html").read_text()
    assert "flagged: near-constant vectors" in page and 'class="num warn flagged">flagged (flagged)' in page
