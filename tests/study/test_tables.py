"""illusion tables: every table of open_run as Parquet or CSV."""

import json
import shutil

import pandas as pd
import pytest

import illusion
from tests.helpers.labelled_runs import direction_row
from tests.helpers.word_runs import cli


def test_parquet_and_csv_hold_the_same_tables(study_run, tmp_path):
    run = illusion.open_run(study_run)
    assert cli("tables", study_run, "--out", tmp_path / "pq") == 0
    assert cli("tables", study_run, "--format", "csv", "--out", tmp_path / "csv", "--activations") == 0
    names = {"facts", "directions", "topk", "controls", "stats", "range_overlap", "diagnostics", "findings"}
    assert {p.stem for p in (tmp_path / "pq").iterdir()} == names
    assert {p.stem for p in (tmp_path / "csv").iterdir()} == names | {"activations"}
    topk = pd.read_parquet(tmp_path / "pq" / "topk.parquet")
    pd.testing.assert_frame_equal(topk, run.topk())
    from_csv = pd.read_csv(tmp_path / "csv" / "topk.csv")
    assert from_csv["score"].tolist() == run.topk()["score"].tolist() and from_csv["text"].tolist() == run.topk()["text"].tolist()
    activations = pd.read_csv(tmp_path / "csv" / "activations.csv")
    first = run.direction_ids[0]
    assert activations[first].to_numpy() == pytest.approx(run.activations(first)["activation"].to_numpy(), abs=1e-5)


def test_tables_default_to_the_run_folder_and_annotations_are_kept(study_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(study_run, copy)
    row = direction_row("neuron:2", "animals", "a1", pattern="yes")  # a line of annotations.jsonl, as `illusion import` writes it
    (copy / "annotations.jsonl").write_text(json.dumps(row) + "\n")
    assert cli("tables", copy) == 0
    annotations = pd.read_parquet(copy / "tables" / "annotations.parquet")
    assert annotations.loc[0, "datasets"] == '["animals"]' and annotations.loc[0, "annotator"] == "a1"
    assert cli("tables", copy, "--format", "xlsx") != 0


def test_every_column_is_documented(study_run):
    """docs/analysis.md documents each table's columns; per-dataset and per-direction columns by their pattern."""
    from pathlib import Path

    from illusion.run.tables import tables

    text = (Path(__file__).resolve().parents[2] / "docs" / "analysis.md").read_text()
    run = illusion.open_run(study_run)
    for name, make in tables(run).items():
        frame = make()
        if frame is None:
            continue
        assert f"**`{name}`**" in text, name
        for column in frame.columns:
            documented = column.replace(f"pooled_{column[7:]}", "pooled_NAME") if column.startswith("pooled_") else column
            assert f"`{documented}`" in text, f"{name}.{column}"
