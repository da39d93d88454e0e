"""docs/diagnostics.md describes every key of a real ``diagnostics.json``, and names no key it lacks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from illusion.cli import main
from tests.helpers.docs import ROOT, code_names, json_keys, section, table_rows
from tests.helpers.run_configs import write_text_run_config

SECTION = section(ROOT / "docs" / "diagnostics.md", "## `diagnostics.json`")
WORDS = {
    "animals": ["the", "a", "cat", "dog", "sat", "on", "mat", "in", "was", "and"],
    "scripture": ["god", "said", "let", "there", "be", "light", "king", "war", "love", "and", "the"],
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_bert):
    """(diagnostics.json, manifest.json) of ``illusion run`` on two small text datasets."""
    rng = np.random.default_rng(0)
    sentences = {
        name: [" ".join(rng.choice(words, size=rng.integers(4, 9))) + "." for _ in range(60)] for name, words in WORDS.items()
    }
    config = write_text_run_config(tmp_path_factory.mktemp("data"), sentences, tiny_bert, seed=3, k=5, controls=1)
    out = tmp_path_factory.mktemp("run") / "out"
    main(["run", str(config), "--out", str(out), "--quiet"])
    return json.loads((out / "diagnostics.json").read_text()), json.loads((out / "manifest.json").read_text())


def data_keys(manifest: dict) -> set[str]:
    """Keys that are data of the run: dataset names, direction ids and conditions."""
    return {d["name"] for d in manifest["datasets"]} | {key for d in manifest["directions"] for key in (d["id"], d["condition"])}


def test_the_table_lists_exactly_the_top_level_keys(run):
    diagnostics, _ = run
    documented = {name.strip("` ") for row in table_rows(SECTION) for name in row[0].split(",")}
    assert documented == set(diagnostics)


def test_every_key_is_documented(run):
    diagnostics, manifest = run
    assert sorted(json_keys(diagnostics, data_keys(manifest)) - code_names(SECTION)) == []


# Fields inside a value the document allows to be null, which the small test run leaves null.
INSIDE_NULLABLE = {"variance_share": "illusion_score.dominant_part is null unless one part carries 80% of the variance"}


def test_every_documented_field_name_is_a_key(run):
    """Names with an underscore in the table's descriptions are field names (`chance_per_dataset`): each must exist."""
    diagnostics, manifest = run
    named = {name for row in table_rows(SECTION) for name in code_names(row[1]) if "_" in name}
    assert named
    unseen = set(INSIDE_NULLABLE) if diagnostics["illusion_score"]["dominant_part"] is None else set()
    assert sorted(named - json_keys(diagnostics, data_keys(manifest)) - unseen) == []
