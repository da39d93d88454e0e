"""A run of 2,000+ directions, shared by the explorer's browser test and the report's size bound."""

import pytest

from tests.helpers.explore_runs import write_big_run


@pytest.fixture(scope="session")
def big_run(tmp_path_factory):
    return write_big_run(tmp_path_factory.mktemp("explore-run"))
