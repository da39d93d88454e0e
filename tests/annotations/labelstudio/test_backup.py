"""A campaign's backup: one archive, restored elsewhere with its modes, never over other work unasked."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import stat
import tarfile

import pytest

from illusion.annotations.campaign.private import load_private
from illusion.annotations.labelstudio.backup import backup_campaign, describe_backup, last_backup, restore_campaign
from illusion.annotations.labelstudio.server import LOGIN_FILE
from illusion.cli import main
from illusion.errors import IllusionError
from illusion.run.folder import ANNOTATIONS, LABELSTUDIO, TOPK
from tests.annotations.labelstudio.conftest import copy_run


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def campaign(tmp_path, organiser_dir):
    """A run with a recorded campaign on one annotator's server (a data directory with a database)."""
    run = copy_run(tmp_path / "run", "backup-run")
    private = load_private("backup-run", create=True)
    pseudonym = private.pseudonym("seat:alice")
    private.pseudonym("seat:dave")  # an annotator of another campaign: not backed up
    private.save()
    (run / LABELSTUDIO).write_text(
        json.dumps({"run_id": "backup-run", "projects": {}, "annotators": {pseudonym: {"projects": {}}}})
    )
    (run / ANNOTATIONS).write_text('{"annotator": "x"}\n')
    data = tmp_path / "ls" / "alice"
    data.mkdir(parents=True, mode=0o700)
    for name, text in ((LOGIN_FILE, '{"api_key": "k"}'), (".env", "SECRET_KEY=s\n")):
        (data / name).write_text(text)
        (data / name).chmod(0o600)
    (data / "server.log").write_text("log")
    (data / "media" / "upload").mkdir(parents=True)
    with sqlite3.connect(data / "label_studio.sqlite3") as db:
        db.execute("create table answers (text)")
        db.execute("insert into answers values ('yes')")
    registry = organiser_dir / "annotators.json"
    registry.write_text(
        json.dumps({"alice": {"data_dir": str(data), "port": 8081}, "dave": {"data_dir": str(tmp_path / "d"), "port": 8082}})
    )
    return run, data


def test_backup_holds_the_campaign_and_restores_elsewhere_with_its_modes(campaign, tmp_path, organiser_dir, capsys):
    run, data = campaign
    main(["campaign", "backup", str(run), str(tmp_path)])
    (archive,) = tmp_path.glob("campaign-backup-r-*.tar.gz")
    assert capsys.readouterr().out.startswith(f"wrote {archive}: ") and mode(archive) == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {f"run/{TOPK}", f"run/{LABELSTUDIO}", f"run/{ANNOTATIONS}", "organiser/backup-run.json"} <= names
    assert {f"servers/alice/{LOGIN_FILE}", "servers/alice/.env", "servers/alice/label_studio.sqlite3"} <= names
    assert "servers/alice/server.log" not in names and not any("dave" in name for name in names)
    assert last_backup("backup-run")["archive"] == str(archive)
    assert describe_backup(last_backup("backup-run")).startswith("last backup: ")

    # The organiser's folder and the server's data are lost; the data comes back somewhere else.
    shutil.rmtree(data)
    for path in organiser_dir.iterdir():
        path.unlink()
    main(["campaign", "restore", str(archive), "--data-home", str(tmp_path / "moved")])
    assert "alice: server data" in capsys.readouterr().out
    moved = tmp_path / "moved" / "alice"
    registry = json.loads((organiser_dir / "annotators.json").read_text())
    assert registry["alice"] == {"data_dir": str(moved), "port": 8081}
    for secret in (moved / LOGIN_FILE, moved / ".env", organiser_dir / "backup-run.json", organiser_dir / "annotators.json"):
        assert mode(secret) == 0o600, secret
    assert mode(moved) == 0o700
    with sqlite3.connect(moved / "label_studio.sqlite3") as db:
        assert db.execute("select text from answers").fetchall() == [("yes",)]
    assert load_private("backup-run").pseudonyms  # the key and the pseudonyms are back


def test_restore_refuses_to_replace_what_differs_unless_asked(campaign, tmp_path):
    run, _ = campaign
    archive = backup_campaign(run, tmp_path / "campaign.tar.gz")["archive"]
    restore_campaign(archive)  # everything is as backed up: nothing to refuse
    (run / ANNOTATIONS).write_text('{"annotator": "newer"}\n')
    with pytest.raises(IllusionError, match=rf"{ANNOTATIONS}.*--overwrite"):
        restore_campaign(archive)
    assert "newer" in (run / ANNOTATIONS).read_text()  # nothing was written
    with pytest.raises(IllusionError, match="alice"):
        restore_campaign(
            archive, data_home=tmp_path / "elsewhere", run_dir=tmp_path / "run2"
        )  # alice's server is recorded elsewhere
    restore_campaign(archive, overwrite=True)
    assert (run / ANNOTATIONS).read_text() == '{"annotator": "x"}\n'


def test_backup_needs_a_campaign_and_restore_a_campaign_archive(tmp_path, organiser_dir):
    run = copy_run(tmp_path / "run", "no-campaign")
    with pytest.raises(IllusionError, match="no campaign yet"):
        backup_campaign(run, tmp_path)
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../outside")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(IllusionError, match="'../outside'"):
        restore_campaign(evil)
    assert not (tmp_path.parent / "outside").exists()
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(IllusionError, match="not a readable campaign backup"):
        restore_campaign(tmp_path / "junk.tar.gz")
