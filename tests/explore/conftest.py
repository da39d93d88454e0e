"""Runs shared by the explorer's tests: a small run of the tiny BERT, and a run of 2,000+ directions of MiniLM."""

import pytest

from illusion.run.config import load_config
from illusion.run.pipeline import run
from tests.helpers.explore_runs import write_big_run
from tests.helpers.run_configs import write_text_run_config

SENTENCES = {
    "animals": ["the cat sat on the mat.", "a dog and a cat.", "</script><script>alert(1)</script> cats.", "dogs bark at night."],
    "scripture": ["god said let there be light.", "and there was light.", "the king was at war.", "let the king be."],
}


@pytest.fixture(scope="package")
def small_run(tiny_bert, tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore-run")
    run(load_config(write_text_run_config(folder, SENTENCES, tiny_bert, k=2, controls=1)), folder / "run")
    return folder / "run"


@pytest.fixture(scope="session")
def big_run(tmp_path_factory):
    return write_big_run(tmp_path_factory.mktemp("explore-run"))
