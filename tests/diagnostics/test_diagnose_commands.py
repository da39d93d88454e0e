"""`illusion run`, `diagnose` and `test-concept` end to end on a tiny random BERT and two small text datasets."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from illusion.errors import IllusionError
from illusion.report.run_report import render
from illusion.run.data import load_run_data
from illusion.run.folder import RunFolder
from illusion.run.topk import extremes
from tests.helpers.labelled_runs import set_row
from tests.helpers.word_runs import cli


def without_volatile(result):
    return {key: value for key, value in result.items() if key not in ("created", "timings")}


def test_run_writes_diagnostics_and_the_report_shows_them(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    result = json.loads((run_dir / "diagnostics.json").read_text())
    assert result["run_id"] == manifest["run_id"] and result["datasets"] == ["animals", "scripture"]
    assert np.load(run_dir / "directions.npy").shape == (7, 32)
    for section in ("separability", "range_overlap", "monotonicity", "locality", "outliers", "anisotropy", "illusion_score"):
        assert section in result, section
    assert set(result["illusion_score"]["directions"]) == {d["id"] for d in manifest["directions"]}
    report = (run_dir / "report.html").read_text()
    assert "Illusion diagnostics" in report and report.count("<circle") == 120


def test_the_diagnostics_section_escapes_what_it_shows(run_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    result = json.loads((copy / "diagnostics.json").read_text())
    result["separability"]["projection"]["labels"][0] = "<script>alert(1)</script>"
    result["outliers"]["distance"] = "<b>bold</b>"
    (copy / "diagnostics.json").write_text(json.dumps(result))
    html = render(copy)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html and "&lt;b&gt;bold" in html
    result["run_id"] = "another"
    (copy / "diagnostics.json").write_text(json.dumps(result))
    assert "belongs to run another" in render(copy)


def test_diagnose_is_deterministic_and_keeps_what_it_replaces(run_dir, tmp_path, capsys):
    first = json.loads((run_dir / "diagnostics.json").read_text())
    first_report = (run_dir / "report.html").read_text()
    assert first["monotonicity"]["word_list"] == ["and", "the"]
    assert cli("diagnose", run_dir, "-q") == 0
    assert without_volatile(json.loads((run_dir / "diagnostics.json").read_text())) == without_volatile(first)
    assert json.loads((run_dir / "diagnostics.1.json").read_text()) == first
    assert (run_dir / "report.1.html").read_text() == first_report
    err = capsys.readouterr().err
    assert "label first" in err and "kept the previous diagnostics.1.json and report.1.html" in err
    before = (run_dir / "diagnostics.json").read_text()
    assert cli("diagnose", run_dir, "-q", "--min-count", "1000", "--out", tmp_path / "strict") == 0
    assert json.loads((tmp_path / "strict" / "diagnostics.json").read_text())["monotonicity"]["words"] == 0
    assert "Illusion diagnostics" in (tmp_path / "strict" / "report.html").read_text()
    assert (run_dir / "diagnostics.json").read_text() == before and not (run_dir / "diagnostics.2.json").exists()
    assert cli("diagnose", run_dir, "-q", "--min-count", "1000") == 0
    assert json.loads((run_dir / "diagnostics.2.json").read_text()) == json.loads(before)
    (run_dir / "diagnostics.2.json").replace(run_dir / "diagnostics.json")
    for name in ("diagnostics.1.json", "report.1.html", "report.2.html"):
        (run_dir / name).unlink()


def test_test_concept_on_a_real_run(run_dir, capsys):
    direction = json.loads((run_dir / "manifest.json").read_text())["directions"][0]["id"]
    assert cli("test-concept", run_dir, "--direction", direction, "--pattern", "words:cat,dog", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    animals, scripture = result["per_dataset"]["animals"], result["per_dataset"]["scripture"]
    assert animals["matches"] > 5 and scripture["matches"] == 0 and scripture["holds"] is None
    assert result["verdict"] in ("holds in all testable", "holds in none") and result["detector"] == "words"
    assert result["counts"]["untestable"] == 1 and result["summary"].endswith("; 1 untestable")
    assert cli("test-concept", run_dir, "-d", direction, "-p", "words:CAT", "-o", "ignore_case=false", "--json") == 0
    assert json.loads(capsys.readouterr().out)["per_dataset"]["animals"]["matches"] == 0
    assert cli("test-concept", run_dir, "-d", "neuron:9999", "-p", "cat") == 1
    assert "neuron 9999 is outside this layer's 0..31" in capsys.readouterr().err
    assert cli("test-concept", run_dir, "-d", "nueron:2", "-p", "cat") == 1
    assert "no direction 'nueron:2'" in capsys.readouterr().err
    assert cli("test-concept", run_dir, "-p", "cat") == 2


def test_test_concept_from_annotations(run_dir, capsys):
    manifest = RunFolder(run_dir).manifest()
    first = manifest.directions[0]
    direction = first.id
    row = set_row(
        f"{direction}@animals",
        "ann-a",
        first.condition,
        "animals",
        direction=direction,
        run_id=manifest.run_id,
        pattern="yes",
        description="cats and dogs",
    )
    (run_dir / "annotations.jsonl").write_text(json.dumps(row) + "\n")
    try:
        assert cli("test-concept", run_dir, "--from-annotations") == 0
        saved = json.loads((run_dir / "concept-tests.json").read_text())
        assert [(r["direction"], r["pattern"]) for r in saved] == [(direction, "words:cats,dogs")]
        assert "1 labelled concepts" in capsys.readouterr().out
    finally:
        (run_dir / "annotations.jsonl").unlink()


def test_no_diagnostics_removes_a_stale_file(config, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "diagnostics.json").write_text("{}")
    assert cli("run", config, "--out", out, "-q", "--no-diagnostics") == 0
    assert not (out / "diagnostics.json").exists() and "Illusion diagnostics" not in (out / "report.html").read_text()
    assert json.loads((out / "manifest.json").read_text())["config"]["diagnostics"] is False


def test_run_data_recomputes_missing_vectors_and_rejects_changed_runs(run_dir, tmp_path, monkeypatch):
    before = load_run_data(run_dir)
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    monkeypatch.setenv("ILLUSION_CACHE_DIR", str(tmp_path / "empty-cache"))
    again = load_run_data(copy)
    for name in before.names:
        np.testing.assert_allclose(again.vectors[name], before.vectors[name], rtol=1e-4, atol=1e-5)
    (copy / "directions.npy").unlink()
    with pytest.raises(IllusionError, match="directions.npy: missing"):
        load_run_data(copy)
    path = before.config.datasets[0].options["path"]
    text = Path(path).read_text()
    try:
        Path(path).write_text(text + "a new sentence here.\n")
        with pytest.raises(IllusionError, match="dataset 'animals' .* no longer gives the sentences"):
            load_run_data(run_dir)
    finally:
        Path(path).write_text(text)


def test_a_float16_run_is_diagnosed_from_its_own_vectors(config, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    assert (
        cli("run", config, "--out", out, "-q", "--no-diagnostics", "-s", 'store_dtype="float16"', "-s", f'cache_dir="{cache}"')
        == 0
    )
    assert cli("diagnose", out, "-q") == 0
    entries = [json.loads(entry.read_text()) for entry in cache.glob("*/entry.json")]
    assert sorted(e["dataset"] for e in entries) == ["animals", "scripture"] and {e["dtype"] for e in entries} == {"float16"}


def test_run_data_top_index_is_the_runs_top_k(run_dir, tmp_path):
    run = load_run_data(run_dir)
    for name, top in run.top_index().items():
        np.testing.assert_array_equal(top, extremes(run.vectors[name], run.directions, run.config.k).top_index)
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    lines = (copy / "topk.jsonl").read_text().splitlines()
    (copy / "topk.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(IllusionError, match="topk.jsonl: missing or unknown entry"):
        load_run_data(copy).top_index()


def test_importing_the_commands_loads_no_numerical_library():
    code = "import sys, illusion.commands.diagnose; print(sorted({'scipy', 'sklearn', 'torch'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
