"""A small run on the tiny BERT, shared by the diagnostics tests (each writes its results elsewhere or into a copy)."""

import pytest

from tests.helpers.run_configs import write_text_run_config
from tests.helpers.word_runs import cli, word_sentences


@pytest.fixture(scope="package")
def config(tmp_path_factory, tiny_bert):
    return write_text_run_config(tmp_path_factory.mktemp("data"), word_sentences(), tiny_bert, seed=3, k=5, controls=1)


@pytest.fixture(scope="package")
def run_dir(config, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    assert cli("run", config, "--out", out, "-q") == 0
    return out
