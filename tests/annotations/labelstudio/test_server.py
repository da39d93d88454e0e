"""The local Label Studio server: its environment, its data directory, ``illusion labelstudio serve``."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from label_studio_sdk import LabelStudio

from illusion.annotations.labelstudio import server as local_server
from illusion.annotations.labelstudio.server import answers, ensure_data_dir, free_port, server_env
from illusion.errors import IllusionError


def test_the_server_environment_drops_clashing_settings_and_calls_home_nowhere(monkeypatch, tmp_path):
    for name in ("USERNAME", "PASSWORD", "HOST", "PORT", "DEBUG", "CI", "DJANGO_DB", "LABEL_STUDIO_API_KEY", "HEARTEX_X"):
        monkeypatch.setenv(name, "x")
    env = server_env(tmp_path)
    assert not {"USERNAME", "PASSWORD", "HOST", "PORT", "DEBUG", "CI", "DJANGO_DB", "LABEL_STUDIO_API_KEY", "HEARTEX_X"} & set(
        env
    )
    assert env["LABEL_STUDIO_BASE_DATA_DIR"] == str(tmp_path)
    assert env["SENTRY_DSN"] == "" and env["COLLECT_ANALYTICS"] == "false"
    assert env["LATEST_VERSION_CHECK"] == "false"


def test_a_data_directory_of_someone_else_is_left_alone(tmp_path):
    (tmp_path / "label_studio.sqlite3").write_text("theirs")
    with pytest.raises(IllusionError, match=r"is not empty and was not set up by illusion; pass another --data-dir"):
        ensure_data_dir(tmp_path / "no-such-label-studio", tmp_path)
    assert (tmp_path / "label_studio.sqlite3").read_text() == "theirs"


@pytest.fixture
def copied_data_dir(tmp_path) -> Path:
    """A copy of the initialised Label Studio data directory of ``ILLUSION_LS_VENV`` (it starts in seconds)."""
    template = Path(os.environ.get("ILLUSION_LS_VENV") or "-") / "illusion-data-template"
    if not template.is_dir():
        pytest.skip("needs ILLUSION_LS_VENV from the env file of tests/labelstudio.sh start")
    return shutil.copytree(template, tmp_path / "data")


@pytest.mark.labelstudio
def test_a_copied_data_directory_takes_a_password_that_starts_with_a_dash(copied_data_dir, monkeypatch):
    data_dir = copied_data_dir
    monkeypatch.setattr(local_server.secrets, "token_urlsafe", lambda n: "-" + "x" * (n + n // 3 - 1))  # 1 in 64 draws
    login = local_server.make_own(Path(os.environ["ILLUSION_LS_VENV"]) / "bin" / "label-studio", data_dir)
    assert login["password"].startswith("-") and local_server.read_json(data_dir / local_server.LOGIN_FILE, "login") == login


@pytest.mark.labelstudio
def test_serve_prints_a_working_key_and_stops_on_ctrl_c(server, copied_data_dir):
    data_dir = copied_data_dir
    serve = subprocess.Popen(
        [sys.executable, "-m", "illusion.cli", "labelstudio", "serve", "--data-dir", str(data_dir), "--port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        printed = ""
        while "LABEL_STUDIO_API_KEY=" not in printed:
            line = serve.stdout.readline()
            assert line, f"serve ended early: {printed}"
            printed += line
        url = re.search(r"LABEL_STUDIO_URL=(\S+)", printed).group(1)
        key = re.search(r"LABEL_STUDIO_API_KEY=(\S+)", printed).group(1)
        assert url.startswith("http://127.0.0.1:")
        assert LabelStudio(base_url=url, api_key=key).users.whoami().email == "admin@example.com"
    finally:
        serve.send_signal(signal.SIGINT)  # serve stops its server itself
        status = serve.wait(timeout=30)
    assert status == 0
    deadline = time.monotonic() + 10
    while answers(f"{url}/health") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not answers(f"{url}/health")
