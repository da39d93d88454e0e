"""illusion.open_run: the run's files as DataFrames, activations on any direction, read from the store."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import illusion
from illusion.errors import IllusionError


def test_import_illusion_stays_light():
    code = "import sys, illusion; print('pandas' in sys.modules, 'torch' in sys.modules, callable(illusion.open_run))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]


def test_the_tables_hold_what_the_run_files_hold(study_run):
    run = illusion.open_run(study_run)
    manifest = json.loads((study_run / "manifest.json").read_text())
    assert isinstance(run, illusion.RunView) and run.run_id == manifest["run_id"]
    assert run.direction_ids == [d["id"] for d in manifest["directions"]] and run.datasets == ["animals", "scripture"]
    facts = dict(zip(run.facts()["fact"], run.facts()["value"]))
    assert facts["k"] == "5" and facts["dataset.animals.size"] == "60" and json.loads(facts["model"]) == manifest["model"]
    topk = run.topk()
    assert len(topk) == len(run.direction_ids) * 2 * 2 * run.k
    rows = [json.loads(line) for line in (study_run / "topk.jsonl").read_text().splitlines()]
    first = rows[0]["bottom"][2]
    match = topk[(topk.direction == rows[0]["direction"]) & (topk.dataset == rows[0]["dataset"]) & (topk.side == "bottom")]
    assert match.iloc[2][["id", "text", "score", "token"]].tolist() == [
        first["id"],
        first["text"],
        first["score"],
        first["token"],
    ]
    assert match["rank"].tolist() == list(range(1, run.k + 1)) and run.topk("top").side.eq("top").all()
    stats = run.stats().set_index("direction")
    found = json.loads((study_run / "stats.json").read_text())["directions"]
    for identifier, entry in found.items():
        assert stats.loc[identifier, "largest_share"] == entry["pooled"]["largest_share"]
        assert stats.loc[identifier, ["pooled_animals", "pooled_scripture"]].sum() == run.k
    assert len(run.range_overlap()) == len(run.direction_ids)
    diagnostics = run.diagnostics().set_index("direction")
    scores = json.loads((study_run / "diagnostics.json").read_text())["illusion_score"]["directions"]
    assert diagnostics.loc["neuron:2" if "neuron:2" in scores else next(iter(scores)), "score"] is not None
    assert set(diagnostics.index) == set(scores) and run.annotations() is None
    assert run.controls().groupby("set").size().eq(run.k).all()


def test_activations_come_from_the_store_and_match_the_top_k(study_run):
    run = illusion.open_run(study_run)
    identifier = run.direction_ids[0]
    frame = run.activations(identifier)
    assert list(frame.columns) == ["dataset", "index", "id", "text", "activation"] and len(frame) == 120
    top = run.topk("top")
    for dataset, part in frame.groupby("dataset"):
        listed = top[(top.direction == identifier) & (top.dataset == dataset)]
        assert part.nlargest(run.k, "activation")["activation"].to_numpy() == pytest.approx(listed["score"].to_numpy(), abs=1e-5)
    vectors = run.vectors("animals")
    assert isinstance(vectors, np.memmap) or isinstance(getattr(vectors, "base", None), np.memmap)


def test_any_neuron_file_or_vector_is_a_direction(study_run, tmp_path):
    run = illusion.open_run(study_run)
    neuron = run.activations(30, "scripture")
    assert neuron["activation"].to_numpy() == pytest.approx(np.asarray(run.vectors("scripture"))[:, 30])
    assert run.activations("neuron:30", "scripture")["activation"].equals(neuron["activation"])
    vector = np.arange(run.dim, dtype=np.float64)
    np.save(tmp_path / "one.npy", vector[None, :])
    from_file = run.activations(f"file:{tmp_path / 'one.npy'}", "animals")["activation"]
    assert from_file.to_numpy() == pytest.approx(run.activations(vector, "animals")["activation"].to_numpy())
    expected = np.asarray(run.vectors("animals")) @ (vector / np.linalg.norm(vector))
    assert from_file.to_numpy() == pytest.approx(expected, rel=1e-4)
    np.save(tmp_path / "two.npy", np.eye(run.dim)[:2])
    assert run.activations(f"file:{tmp_path / 'two.npy'}#1", "animals")["activation"].to_numpy() == pytest.approx(
        np.asarray(run.vectors("animals"))[:, 1]
    )
    for bad, message in (
        ("nueron:3", "did you mean"),
        (run.dim, "outside this layer"),
        (f"file:{tmp_path / 'two.npy'}", "holds 2 directions"),
        (np.zeros(run.dim), "not all zero"),
    ):
        with pytest.raises(IllusionError, match=message):
            run.direction(bad)
    with pytest.raises(IllusionError, match="no dataset 'nope'"):
        run.sentences("nope")


def test_a_missing_folder_or_diagnostics_is_a_clear_error(study_run, tmp_path):
    with pytest.raises(IllusionError, match="no such run folder"):
        illusion.open_run(tmp_path / "absent")
    (tmp_path / "copy").mkdir()
    for name in ("manifest.json", "topk.jsonl", "stats.json", "directions.npy"):
        (tmp_path / "copy" / name).write_bytes((study_run / name).read_bytes())
    run = illusion.open_run(tmp_path / "copy")
    assert not run.diagnosed and run.diagnostics().empty and isinstance(run.topk(), pd.DataFrame)
    with pytest.raises(IllusionError, match="illusion diagnose"):
        run.diagnostics_json()
