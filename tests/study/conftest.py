"""Small finished runs on a tiny random BERT and two text datasets, shared by the study tests."""

import pytest

from tests.helpers.run_configs import write_text_run_config
from tests.helpers.word_runs import cli, word_sentences


@pytest.fixture(scope="package")
def study_config(tmp_path_factory, tiny_bert):
    folder = tmp_path_factory.mktemp("study-data")
    return write_text_run_config(folder, word_sentences(), tiny_bert, seed=3, k=5, controls=1)


@pytest.fixture(scope="package")
def study_run(study_config, tmp_path_factory):
    """A diagnosed run (layer 3 of the tiny BERT); its store lives in a cache of its own."""
    out = tmp_path_factory.mktemp("study-run") / "run"
    assert cli("run", study_config, "--out", out, "-q", "-s", f"cache_dir='{out.parent / 'cache'}'") == 0
    return out


@pytest.fixture(scope="package")
def layer_runs(study_config, study_run, tmp_path_factory):
    """The same run at layers 3 and 1: two runs that differ in one setting."""
    out = tmp_path_factory.mktemp("study-layer1") / "run"
    cache = study_run.parent / "cache"
    assert cli("run", study_config, "--out", out, "-q", "-s", f"cache_dir='{cache}'", "-s", "model.layer=1") == 0
    return study_run, out
