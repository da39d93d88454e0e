"""Fixtures of the agreement tests (the Label Studio server fixtures are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.helpers.labelled_runs import write_run


@pytest.fixture
def make_run(tmp_path):
    """``make_run(rows, directions=..., ...)``: a labelled run folder (see ``labelled_runs.write_run``)."""

    def make(rows, **kwargs):
        return write_run(tmp_path / "run", rows, **kwargs)

    return make
