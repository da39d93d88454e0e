"""Errors that need no server: nothing to reach, no address, no key."""

from __future__ import annotations

import json
import socket

import pytest

from illusion.annotations.labelstudio.export import export_campaign
from illusion.cli import main
from illusion.errors import IllusionError
from illusion.run.folder import LABELSTUDIO as RECORD


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_server_that_is_down_is_named_with_what_to_do(run_dir, capsys):
    url = closed_port_url()
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(run_dir), "--url", url, "--api-key", "k" * 40])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and err.count("\n") == 1
    assert err.startswith(f"error: cannot reach Label Studio at {url} (ConnectError")
    assert "`illusion labelstudio serve`" in err and "k" * 40 not in err
    assert not (run_dir / RECORD).exists()


@pytest.mark.parametrize(
    "url, key, message",
    [
        (None, "key", "no Label Studio URL: pass --url or set LABEL_STUDIO_URL"),
        ("http://127.0.0.1:9", None, "no Label Studio API key: pass --api-key or set LABEL_STUDIO_API_KEY"),
    ],
)
def test_missing_address_or_key(run_dir, url, key, message):
    with pytest.raises(IllusionError, match=message):
        export_campaign(run_dir, url, key)


def test_a_run_folder_without_topk_is_refused_before_any_connection(run_dir, capsys):
    (run_dir / "topk.jsonl").unlink()
    with pytest.raises(SystemExit):
        main(["export", str(run_dir), "--url", closed_port_url(), "--api-key", "k"])
    assert "topk.jsonl: no such file from `illusion run`" in capsys.readouterr().err


def test_add_annotator_takes_a_port_and_refuses_one_given_already(organiser_dir, tmp_path, capsys):
    (organiser_dir / "annotators.json").write_text(json.dumps({"alice": {"data_dir": str(tmp_path / "alice"), "port": 9181}}))
    with pytest.raises(SystemExit) as exit_info:
        main(["labelstudio", "add-annotator", "bob", "--port", "9181", "--venv", str(tmp_path / "no-venv")])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "error: port 9181 is annotator 'alice''s already; pass another --port\n"
    assert not (tmp_path / "no-venv").exists()  # refused before anything was installed
