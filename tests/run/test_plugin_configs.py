"""Every built-in plugin from a config file: a TOML file written with a TOML writer, run through `illusion run`.

The plugins come from the registry, so a new built-in is tested here as soon as it exists: with its
defaults, or with the options in OPTIONS when it needs some (a file to read, say).
"""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner

from illusion.cli import cli
from illusion.host import Host
from illusion.plugins import debian_datasets
from tests.helpers.run_configs import write_run_config
from tests.helpers.tiny_models import write_tiny_model

KINDS = ("dataset", "model layer", "direction sampler")
"""The plugin kinds a run configuration uses (concept detectors are named on the command line)."""
BUILTINS = [(kind, name) for kind in KINDS for name in Host(autoload=False).registrations(kind)]
LINES = {
    "animals": ["the cat sat on the mat.", "the dog sat on the mat.", "a cat and a dog.", "the dog was on the cat."],
    "scripture": [
        "god said let there be light.",
        "and there was light.",
        "the king said let there be love.",
        "let there be war.",
    ],
}
DEBIAN = {
    "wordnet": (debian_datasets.WORDNET_DIR, "wordnet-base"),
    "fortunes": (debian_datasets.FORTUNES_DIR, "fortunes-min"),
    "foldoc": (debian_datasets.FOLDOC_FILE, "dict-foldoc"),
}
SMALL = {"n": 12}


def _text(folder):
    (folder / "sentences.txt").write_text("\n".join(LINES["animals"] + LINES["scripture"]) + "\n", encoding="utf-8")
    return {"path": str(folder / "sentences.txt"), "min_words": 1}


def _table(folder):
    rows = "".join(f'{number},"{line}"\n' for number, line in enumerate(LINES["animals"]))
    (folder / "rows.csv").write_text("key,sentence\n" + rows, encoding="utf-8")
    return {"path": str(folder / "rows.csv"), "column": "sentence", "id_column": "key", "min_words": 1}


def _parquet(folder):
    """The configuration that could not be written while the plugin's parameter was called `name`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": LINES["scripture"]}), folder / "scripture.parquet")
    return {"path": str(folder / "scripture.parquet"), "min_words": 1}


def _directions(folder):
    np.save(folder / "directions.npy", np.random.default_rng(0).standard_normal((2, 32)))
    return {"path": str(folder / "directions.npy")}


OPTIONS = {
    ("dataset", "text"): _text,
    ("dataset", "table"): _table,
    ("dataset", "huggingface"): _parquet,
    ("dataset", "wikipedia"): lambda folder: {"topics": ["Mathematics"], **SMALL},
    ("dataset", "bible"): lambda folder: {"testament": "new", **SMALL},
    ("model layer", "transformer"): lambda folder: {
        "model": str(write_tiny_model(folder / "gpt2", "gpt2")),
        "pooling": "last",
        "layer": 2,
        "device": "cpu",
    },
    ("direction sampler", "neuron"): lambda folder: {"indices": [0, 5]},
    ("direction sampler", "random"): lambda folder: {"count": 2},
    ("direction sampler", "pca"): lambda folder: {"count": 2},
    ("direction sampler", "file"): _directions,
}
"""Options a plugin needs in a small run; plugins not listed run with their defaults (datasets sampled to SMALL)."""


def _base(folder, tiny_bert):
    """Two small text datasets, the tiny BERT and one neuron sampler: what the plugin under test replaces or joins."""
    datasets = []
    for name, lines in LINES.items():
        (folder / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        datasets.append({"name": name, "plugin": "text", "path": str(folder / f"{name}.txt"), "min_words": 1})
    model = {"plugin": "transformer", "model": str(tiny_bert), "device": "cpu"}
    return model, datasets, [{"plugin": "neuron", "count": 2}]


def run(config):
    out = config.parent / "out"
    result = CliRunner().invoke(cli, ["run", str(config), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in (out / "topk.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    "kind, name",
    [
        pytest.param(kind, name, id=f"{kind}:{name}", marks=[pytest.mark.slow] if name in DEBIAN else [])
        for kind, name in BUILTINS
    ],
)
def test_every_builtin_plugin_runs_from_a_config_file(kind, name, tiny_bert, tmp_path):
    if name in DEBIAN and kind == "dataset" and not DEBIAN[name][0].exists():
        path, package = DEBIAN[name]
        pytest.skip(f"{path} is absent: apt-get install {package} (.ci/run installs it)")
    options = OPTIONS.get((kind, name), lambda folder: SMALL if kind == "dataset" else {})(tmp_path)
    model, datasets, samplers = _base(tmp_path, tiny_bert)
    if kind == "dataset":
        datasets = [{"name": "subject", "plugin": name, **options}, datasets[0]]
    elif kind == "model layer":
        model = {"plugin": name, **options}
    else:
        samplers = [{"label": "subject", "plugin": name, **options}]
    config = write_run_config(tmp_path / "run.toml", model, datasets, samplers, k=2, diagnostics=False)
    assert tomllib.loads(config.read_text(encoding="utf-8"))  # what a user would write by hand parses too
    rows = run(config)
    mine = {
        "dataset": [row for row in rows if row["dataset"] == "subject"],
        "model layer": rows,
        "direction sampler": [row for row in rows if row["condition"] == "subject"],
    }[kind]
    assert mine, f"{kind} {name!r}: no rows in topk.jsonl"
    for row in mine:
        assert len(row["top"]) == len(row["bottom"]) == 2
        for entry in row["top"] + row["bottom"]:
            start, end = entry["span"]
            assert entry["token"] and 0 <= start < end <= len(entry["text"])  # the driving token is marked
