"""Run folders for the campaign tests (the Label Studio server fixtures are in tests/conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
FIXTURE_RUN = DATA / "run"


def copy_run(dst: Path, run_id: str | None = None) -> Path:
    """A copy of the small fixture run folder, with a new run id when one is given (else with the
    organiser's private file its recorded exports were keyed with)."""
    shutil.copytree(FIXTURE_RUN, dst)
    if not run_id:
        for private in (DATA / "organiser").iterdir():
            shutil.copy(private, Path(os.environ["ILLUSION_ORGANISER_DIR"]) / private.name)
    if run_id:
        manifest = json.loads((dst / "manifest.json").read_text())
        manifest["run_id"] = run_id
        (dst / "manifest.json").write_text(json.dumps(manifest))
    return dst


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """The fixture run with its fixed run id (the one the recorded exports belong to)."""
    return copy_run(tmp_path / "run")


@pytest.fixture
def fresh_run(tmp_path) -> Path:
    """The fixture run under a run id of its own, so that its campaign is new on the server."""
    return copy_run(tmp_path / "run", uuid.uuid4().hex)
