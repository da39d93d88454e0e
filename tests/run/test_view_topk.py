"""``RunView.topk`` filtered by direction and dataset: the same rows as the whole table, read by streaming the file."""

import json
import tracemalloc

import pytest

from illusion.errors import IllusionError
from illusion.run.folder import RunFolder
from illusion.run.view import open_run

DATASETS = ["animals", "scripture", "news"]


def entry(d: int, name: str, rank: int) -> dict:
    text = f"sentence {rank} of {name} for direction {d} " + "padding " * 40
    return {"id": f"{name}-{d}-{rank}", "text": text, "score": float(10 - rank), "token": "sent", "span": [0, 4]}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder's manifest and a topk.jsonl of 600 directions x 3 datasets (about 2 MB)."""
    folder = RunFolder(tmp_path_factory.mktemp("view-topk"))
    ids = [f"random:{d}" for d in range(600)] + ["neuron:\u00e9"]  # one id that JSON may write escaped
    manifest = {
        "run_id": "r",
        "illusion_version": "0.1.0",
        "created": "2025-01-01T00:00:00+00:00",
        "seed": 0,
        "k": 3,
        "dim": 4,
        "config": {},
        "datasets": [{"name": n, "plugin": "text", "size": 9, "hash": n} for n in DATASETS],
        "directions": [{"id": i, "sampler": "random", "condition": "random"} for i in ids],
        "plugins": [],
        "timings": {},
    }
    folder.write_json("manifest.json", manifest)
    rows = [
        {
            "direction": identifier,
            "sampler": "random",
            "condition": "random",
            "dataset": name,
            "top": [entry(d, name, r) for r in range(3)],
            "bottom": [entry(d, name, r + 3) for r in range(3)],
        }
        for d, identifier in enumerate(ids)
        for name in DATASETS
    ]
    (folder / "topk.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return folder.path


def test_a_filtered_table_is_the_whole_tables_rows(run_dir):
    whole = open_run(run_dir).topk()
    for direction, dataset in [("random:7", None), (None, "news"), ("random:599", ["animals", "news"]), ("neuron:\u00e9", None)]:
        found = open_run(run_dir).topk(direction=direction, dataset=dataset)
        keep = whole.direction.eq(direction) if direction else whole.direction.notna()
        if dataset is not None:
            keep &= whole.dataset.isin([dataset] if isinstance(dataset, str) else dataset)
        expected = whole[keep].reset_index(drop=True)
        assert len(found) > 0 and found.equals(expected), (direction, dataset)
    several = open_run(run_dir).topk("top", direction=["random:1", "random:2"])
    assert set(several.direction) == {"random:1", "random:2"} and set(several.side) == {"top"} and len(several) == 2 * 3 * 3
    assert open_run(run_dir).topk(direction="random:9999").empty


def test_a_filtered_read_streams_the_file(run_dir, monkeypatch):
    monkeypatch.setattr(RunFolder, "topk", lambda self: pytest.fail("the whole topk.jsonl was read"))
    size = (run_dir / "topk.jsonl").stat().st_size
    run = open_run(run_dir)
    tracemalloc.start()
    try:
        found = run.topk(direction="random:300", dataset="scripture")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == 6 and peak < size / 10, (peak, size)


def test_a_malformed_line_is_named(run_dir, tmp_path):
    import shutil

    broken = tmp_path / "run"
    shutil.copytree(run_dir, broken)
    with (broken / "topk.jsonl").open("a") as handle:
        handle.write('{"direction": "random:3", oops\n')
    with pytest.raises(IllusionError, match=r"topk.jsonl, line 1804: not valid JSON"):
        open_run(broken).topk(direction="random:3")
