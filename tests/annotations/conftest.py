"""Every campaign test keeps the organiser's private files in a folder of its own."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def organiser_dir(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("organiser")
    monkeypatch.setenv("ILLUSION_ORGANISER_DIR", str(path))
    return path
