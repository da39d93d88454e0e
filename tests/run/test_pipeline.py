"""`illusion run` end to end: on a tiny random BERT, then on the real bundled model and corpora."""

import json
import os
import subprocess
import sys

import pytest

from illusion import IllusionError
from illusion.run.config import load_config
from illusion.run.pipeline import run
from tests.helpers.run_configs import SAMPLERS, write_text_run_config

SENTENCES = {
    "animals": [
        "the cat sat on the mat.",
        "the dog sat on the mat.",
        "a cat and a dog.",
        "the dog was on the cat.",
        "a cat sat in the mat.",
        "the cat was a dog.",
        "a dog sat on a cat.",
        "cats and dogs sat.",
        "<script>alert(1)</script> the cat.",
    ],
    "scripture": [
        "god said let there be light.",
        "and there was light.",
        "god said it was light.",
        "let there be war.",
        "the king said let there be love.",
        "and god said love.",
        "the king was in the war.",
        "and the light was.",
        "let the king be.",
    ],
}


def write_config(folder, model, k=3, samplers=SAMPLERS):
    return write_text_run_config(folder, SENTENCES, model, k=k, samplers=samplers)


def test_run_writes_the_documented_files(tiny_bert, tmp_path):
    result = run(load_config(write_config(tmp_path, tiny_bert)), tmp_path / "out")
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    rows = [json.loads(line) for line in (out / "topk.jsonl").read_text().splitlines()]
    controls = [json.loads(line) for line in (out / "controls.jsonl").read_text().splitlines()]
    stats = json.loads((out / "stats.json").read_text())
    assert len(rows) == 7 * 2 and {r["dataset"] for r in rows} == set(SENTENCES)
    assert [d["id"] for d in manifest["directions"]][:5] == [r["direction"] for r in rows[::2]][:5]
    for row in rows:
        assert row["condition"] == row["direction"].split(":")[0] and len(row["top"]) == len(row["bottom"]) == 3
        top = [entry["score"] for entry in row["top"]]
        assert top == sorted(top, reverse=True) and row["bottom"][0]["score"] <= row["bottom"][-1]["score"]
        for entry in row["top"] + row["bottom"]:
            start, end = entry["span"]
            assert (
                entry["text"][start:end].lower().replace(" ", "") in entry["token"].replace("##", "") or entry["token"] == "[UNK]"
            )
    assert len(controls) == 4 and all(len(c["sentences"]) == 3 for c in controls)
    assert set(stats["conditions"]) == {"neuron", "random"}
    assert set(stats["directions"]["neuron:" + rows[0]["direction"].split(":")[1]]["range_overlap"]) == {"animals|scripture"}
    assert manifest["datasets"][0]["hash"]
    assert set(manifest["timings"]) == {
        "datasets",
        "model",
        "vectors",
        "directions",
        "top-k",
        "checks",
        "tokens",
        "profiles",
        "statistics",
    }
    assert all((out / name).is_file() for name in ("profile-histograms.npy", "profile-samples.npy", "profile-sentences.jsonl"))
    assert {p["name"] for p in manifest["plugins"]} == {"transformer", "text", "neuron", "random"}
    assert result.stats.to_json() == stats


def test_same_seed_same_sentences(tiny_bert, tmp_path):
    config = load_config(write_config(tmp_path, tiny_bert))
    first, second = run(config, tmp_path / "a"), run(config, tmp_path / "b")
    assert first.topk == second.topk and first.controls == second.controls
    other = run(load_config(write_config(tmp_path, tiny_bert), ["seed=2"]), tmp_path / "c")
    assert [r.direction for r in other.topk] != [r.direction for r in first.topk]


def test_k_larger_than_a_dataset_is_refused_before_any_file(tiny_bert, tmp_path):
    with pytest.raises(IllusionError, match="'animals' has 9 sentences, fewer than k = 20"):
        run(load_config(write_config(tmp_path, tiny_bert, k=20)), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_sampler_is_refused_before_the_model_loads(tiny_bert, tmp_path):
    path = write_config(tmp_path, tiny_bert, samplers=[*SAMPLERS, {"plugin": "nueron", "label": "x"}])
    with pytest.raises(IllusionError, match="did you mean 'neuron'"):
        run(load_config(path), tmp_path / "out")


def test_report_escapes_sentences(tiny_bert, tmp_path):
    from illusion.report.run_report import render

    run(load_config(write_config(tmp_path, tiny_bert, k=9)), tmp_path / "out")
    html = render(tmp_path / "out")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<mark>" in html


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "illusion.cli", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.slow
def test_cli_run_and_clear_errors(tiny_bert, tmp_path):
    done = cli("run", str(write_config(tmp_path, tiny_bert)), "--out", "out", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "report.html").exists() and "report:" in done.stderr
    for args, message in [
        (["run", "missing.toml"], "missing.toml: cannot read the configuration"),
        (["run", "-s", "datasets.bible.nn=3"], "unknown parameter 'nn'; did you mean 'n'?"),
        (["run", str(tmp_path / "run.toml"), "--k", "50", "--out", "new"], "fewer than k = 50"),
    ]:
        failed = cli(*args, cwd=tmp_path)
        assert failed.returncode == 1 and message in failed.stderr and "Traceback" not in failed.stderr, failed.stderr
    assert not (tmp_path / "new").exists()

    # A folder that holds a labelling campaign is not run over unless its files are moved aside.
    out = tmp_path / "out"
    campaign = {"labelstudio.json": "{}\n", "annotations.jsonl": "{}\n", "annotations.1.jsonl": "{}\n"}
    for name, text in campaign.items():
        (out / name).write_text(text)
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    refused = cli("run", "run.toml", "--out", "out", "-q", cwd=tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert (
        "out holds a labelling campaign (annotations.1.jsonl, annotations.jsonl, labelstudio.json): a new run there would "
        "leave its labels pointing at sets that are gone; pass another --out, or --archive-campaign" in refused.stderr
    )
    assert {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()} == before
    old_run = json.loads((out / "manifest.json").read_text())["run_id"]
    assert cli("run", "run.toml", "--out", "out", "-q", "--archive-campaign", cwd=tmp_path).returncode == 0
    aside = out / f"campaign-of-run-{old_run}"
    assert {path.name: path.read_text() for path in aside.iterdir()} == campaign and not set(campaign) & set(os.listdir(out))


def test_cli_init_and_plugins(tmp_path):
    assert cli("init", cwd=tmp_path).returncode == 0
    assert load_config(tmp_path / "illusion.toml").k == 10
    assert "exists" in cli("init", cwd=tmp_path).stderr
    listing = json.loads(cli("plugins", "--json", cwd=tmp_path).stdout)
    names = {(p["kind"], p["name"]) for p in listing["plugins"]}
    assert {("dataset", "wikipedia"), ("model layer", "transformer"), ("direction sampler", "dataset-contrast")} <= names
    assert all(p["distribution"] == "illusion" and p["version"] for p in listing["plugins"])


@pytest.mark.slow
@pytest.mark.slow
def test_embedded_default_shows_dataset_level_directions(tmp_path):
    """The real bundled model and corpora, shrunk: a dataset-contrast direction's pooled top-k comes from its dataset."""
    overrides = [f"datasets.{name}.n=80" for name in ("wiki-people", "wiki-math", "bible", "conversations")] + [
        "datasets.jokes.n=80",
        "samplers.neuron.count=3",
        "samplers.random.count=3",
        "controls=1",
    ]
    config = load_config(None, overrides)
    config.samplers.append(type(config.samplers[0])("dataset-contrast", "dataset-contrast", {}))
    result = run(config, tmp_path / "out")
    contrast = {k: v.to_json() for k, v in result.stats.directions.items() if k.startswith("dataset-contrast:")}
    assert len(contrast) == 5
    for identifier, found in contrast.items():
        own = identifier.split(":")[1].removesuffix("-vs-rest")
        assert found["pooled"]["largest_dataset"] == own and found["pooled"]["largest_share"] >= 0.8
    assert result.stats.separability.accuracy > 0.6
