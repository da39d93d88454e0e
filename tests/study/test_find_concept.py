"""find-concept over every direction and neuron; test-concept on any neuron, a direction file, an added dataset; detectors."""

import json

import numpy as np
import pytest

from illusion import Record
from illusion.diagnostics.detectors import detect, meta_matches
from illusion.errors import IllusionError
from illusion.host import Host
from illusion.run.data import load_run_data
from tests.helpers.word_runs import cli


def test_find_concept_over_every_neuron(study_run, capsys):
    assert cli("find-concept", study_run, "-p", "words:cat,dog", "--all-neurons", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    manifest = json.loads((study_run / "manifest.json").read_text())
    ids = [row["direction"] for row in result["directions"]]
    sampled = {int(d["id"].split(":")[1]) for d in manifest["directions"] if d["condition"] == "neuron"}
    assert len(ids) == len(manifest["directions"]) + 32 - len(sampled) and len(set(ids)) == len(ids)
    assert result["datasets"]["scripture"] == {"sentences": 60, "matches": 0, "testable": False}
    order = {"holds in all testable": 0, "holds in some": 1, "holds in none": 2, "untestable": 3}
    ranks = [order[row["verdict"]] for row in result["directions"]]
    assert ranks == sorted(ranks)
    run = load_run_data(study_run)
    matches = np.array(["cat" in t.split() or "dog" in t.split() or "cat." in t or "dog." in t for t in run.texts("animals")])
    best = result["directions"][0]
    scores = run.resolve(best["direction"].replace("neuron ", ""))[1] @ np.asarray(run.vectors["animals"]).T
    from sklearn.metrics import roc_auc_score

    assert best["per_dataset"]["animals"]["auroc"] == pytest.approx(roc_auc_score(matches, scores), abs=1e-6)
    assert cli("find-concept", study_run, "-p", "words:cat,dog", "--top", "3") == 0
    out = capsys.readouterr().out
    assert "untestable (needs 5 matching" in out and "confirm a hit" in out


def test_test_concept_on_any_neuron_a_file_and_an_added_dataset(study_run, tmp_path, capsys):
    manifest = json.loads((study_run / "manifest.json").read_text())
    sampled = {int(d["id"].split(":")[1]) for d in manifest["directions"] if d["condition"] == "neuron"}
    unsampled = min(set(range(32)) - sampled)
    assert cli("test-concept", study_run, "-d", f"neuron:{unsampled}", "-p", "words:cat", "--json") == 0
    by_label = json.loads(capsys.readouterr().out)
    np.save(tmp_path / "d.npy", np.eye(32)[[unsampled]] * 3.0)
    assert cli("test-concept", study_run, "-d", f"file:{tmp_path / 'd.npy'}", "-p", "words:cat", "--json") == 0
    by_file = json.loads(capsys.readouterr().out)
    assert by_label["direction"] == f"neuron {unsampled}"
    assert by_file["per_dataset"]["animals"]["auroc"] == pytest.approx(by_label["per_dataset"]["animals"]["auroc"])
    extra = tmp_path / "pets.txt"
    extra.write_text("".join(f"the {w} sat on a mat number {i}.\n" for i in range(20) for w in ("cat", "king")))
    spec = f"text:path={extra},name=pets,min_words=1"
    assert cli("test-concept", study_run, "-d", f"neuron:{unsampled}", "-p", "words:cat", "--dataset", spec, "--json") == 0
    added = json.loads(capsys.readouterr().out)
    assert added["per_dataset"]["pets"]["matches"] == 20 and added["per_dataset"]["pets"]["sentences"] == 40
    assert added["per_dataset"]["animals"]["auroc"] == by_label["per_dataset"]["animals"]["auroc"]
    assert cli("test-concept", study_run, "-d", "neuron:2", "-p", "cat", "--dataset", "text:path=x.txt,name=animals") == 1
    assert "already has a dataset 'animals'" in capsys.readouterr().err
    assert cli("test-concept", study_run, "-d", "neuron:2", "-p", "cat", "--dataset", "text:path=a/b c") == 1


def test_the_terminal_shows_counts_power_and_intervals(study_run, capsys):
    assert cli("find-concept", study_run, "-p", "words:cat,dog", "--all-neurons", "--json") == 0
    best = json.loads(capsys.readouterr().out)["directions"][0]["direction"].replace("neuron ", "")
    assert cli("test-concept", study_run, "-d", best, "-p", "words:cat,dog") == 0
    out = " ".join(capsys.readouterr().out.split())  # as one line, however the terminal wraps it
    assert (
        "of 1 testable dataset; 1 untestable)" in out and "matches for power 0.8: matching sentences" in out and "(0%-43%)" in out
    )


def test_meta_detector_compares_fields_as_text():
    records = [Record("1", "a", {"book": "Genesis", "n": 3}), Record("2", "b", {"book": "Exodus"}), Record("3", "c")]
    assert meta_matches(records, "book=Genesis").tolist() == [True, False, False]
    assert meta_matches(records, "n=3").tolist() == [True, False, False]
    assert meta_matches(records, "n").tolist() == [True, False, False]
    with pytest.raises(IllusionError, match="meta:KEY=VALUE"):
        meta_matches(records, "=x")


@pytest.mark.slow
def test_similar_detector_uses_the_bundled_sentence_model_through_the_store(study_run):
    host = Host()
    run = load_run_data(study_run, host)
    found = detect(run, "similar", "a cat and a dog", host, {"threshold": 0.3})
    near = detect(run, "similar", "a cat and a dog", host, {"threshold": 0.1})
    assert found["animals"].sum() > found["scripture"].sum() and (near["animals"] >= found["animals"]).all()
    cache = study_run.parent / "cache"
    described = [json.loads(p.read_text()) for p in cache.glob("*/entry.json")]
    assert sum(d.get("model", {}).get("pooling") == "mean" for d in described) == 2  # one entry per dataset
    with pytest.raises(IllusionError, match="unknown option"):
        detect(run, "similar", "x", host, {"treshold": 0.3})
