"""One archive that holds everything a campaign needs to go on, on this machine or another.

``backup`` writes a gzipped tar (atomically, readable by its owner only) with the campaign's files
of the run folder (``manifest.json``, ``topk.jsonl``, ``controls.jsonl``, ``checks.jsonl``, ``marks.jsonl``, ``labelstudio.json``,
``annotations*``), the organiser's private file and the campaign's entries of ``annotators.json``,
and the data directory of each annotator's server. A server's SQLite database is copied with
SQLite's online backup API, a consistent snapshot even while the server runs; its log and the
database's journal files are left out. ``restore`` puts everything back, refuses to replace a file
that differs unless told to, gives every file its archived mode (secret files 0600), and, with
``data_home``, moves the servers' data directories and rewrites ``annotators.json`` to match.
"""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from illusion.annotations.campaign.private import load_private, organiser_dir
from illusion.annotations.campaign.tasks import load_campaign_run
from illusion.annotations.labelstudio.annotators import REGISTRY, Seat, seats
from illusion.annotations.labelstudio.project import read_ledger
from illusion.annotations.labelstudio.server import LOGIN_FILE, SIGNING_FILE
from illusion.common.files import atomic_writer, read_json, write_json
from illusion.errors import IllusionError
from illusion.run.folder import CHECKS, CONTROLS, LABELSTUDIO, MANIFEST, MARKS, TOPK

FORMAT = 1
INDEX = "campaign-backup.json"
BACKUPS = "backups.json"  # in the organiser's folder: the last backup of each run
RUN_FILES = (MANIFEST, TOPK, CONTROLS, CHECKS, MARKS, LABELSTUDIO)
SECRET_FILES = {LOGIN_FILE, SIGNING_FILE}
SKIPPED = ("server.log",)
SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


@dataclass(frozen=True)
class Member:
    """One file of the archive: its name there, its bytes and its mode."""

    name: str
    data: bytes
    mode: int


def campaign_seats(run_dir: str | Path) -> dict[str, Seat]:
    """The annotators (added with ``add-annotator``) whose servers hold the run's campaign."""
    run = load_campaign_run(run_dir)
    ledger = read_ledger(run) or {}
    private = load_private(run.run_id)
    given = set(ledger.get("annotators", {}))
    names = [name for pseudonym, name in private.seat_names().items() if pseudonym in given]
    known = seats()
    missing = [name for name in names if name not in known]
    if missing:
        raise IllusionError(
            f"annotator(s) {', '.join(missing)} of run {run.run_id} are not in {organiser_dir() / REGISTRY}; "
            "restore that file from a backup first"
        )
    return {name: known[name] for name in names}


def backup_campaign(run_dir: str | Path, out: str | Path) -> dict[str, Any]:
    """Write the campaign's archive to ``out`` (a file, or a folder to put it in); return what it holds."""
    started = time.monotonic()
    run = load_campaign_run(run_dir)
    if read_ledger(run) is None:
        raise IllusionError(f"{run.path / LABELSTUDIO}: no campaign yet (run `illusion export` first); nothing to back up")
    private = load_private(run.run_id)
    places = campaign_seats(run.path)
    stamp = datetime.now(UTC)
    out = Path(out)
    if out.is_dir():
        out = out / f"campaign-{run.run_id[:8]}-{stamp:%Y%m%dT%H%M%SZ}.tar.gz"
    members = [
        *_run_members(run.path),
        Member(f"organiser/{private.path.name}", private.path.read_bytes(), 0o600),
        Member(f"organiser/{REGISTRY}", _registry_bytes(places), 0o600),
        *(member for place in places.values() for member in _server_members(place)),
    ]
    index = {
        "format": FORMAT,
        "run_id": run.run_id,
        "created_at": stamp.isoformat(timespec="seconds"),
        "run_dir": str(run.path.resolve()),
        "annotators": {name: {"data_dir": str(place.data_dir), "port": place.port} for name, place in places.items()},
        "files": sorted(member.name for member in members),
    }
    _write_archive(out, [Member(INDEX, _json_bytes(index), 0o600), *members])
    done = {
        "archive": str(out.resolve()),
        "at": index["created_at"],
        "bytes": out.stat().st_size,
        "seconds": round(time.monotonic() - started, 2),
    }
    _remember(run.run_id, done)
    return done | {"run_id": run.run_id, "annotators": sorted(places), "files": len(members)}


def last_backup(run_id: str) -> dict[str, Any] | None:
    """When and where the run's campaign was last backed up, or None."""
    path = organiser_dir() / BACKUPS
    return read_json(path, "list of backups").get(run_id) if path.exists() else None


def _remember(run_id: str, done: dict[str, Any]) -> None:
    path = organiser_dir() / BACKUPS
    known = read_json(path, "list of backups") if path.exists() else {}
    known[run_id] = done
    write_json(path, known, private=True)


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode()


def _run_members(run_dir: Path) -> Iterator[Member]:
    names = [name for name in RUN_FILES if (run_dir / name).is_file()]
    names += sorted(path.name for path in run_dir.glob("annotations*") if path.is_file())
    for name in names:
        path = run_dir / name
        yield Member(f"run/{name}", path.read_bytes(), path.stat().st_mode & 0o777)


def _registry_bytes(places: dict[str, Seat]) -> bytes:
    return _json_bytes({name: {"data_dir": str(place.data_dir), "port": place.port} for name, place in places.items()})


def _server_members(place: Seat) -> Iterator[Member]:
    if not (place.data_dir / LOGIN_FILE).is_file():
        raise IllusionError(
            f"{place.data_dir}: annotator {place.name!r}'s server data directory is missing or was not set up by illusion; "
            "restore it from a backup, or remove the annotator from the campaign"
        )
    for path in sorted(place.data_dir.rglob("*")):
        if not path.is_file() or path.name in SKIPPED or path.name.endswith(SQLITE_SIDE_FILES):
            continue
        relative = path.relative_to(place.data_dir).as_posix()
        yield Member(f"servers/{place.name}/{relative}", _snapshot(path), path.stat().st_mode & 0o777)


def _snapshot(path: Path) -> bytes:
    """The file's bytes; a SQLite database's through the online backup API (consistent while in use)."""
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.sqlite3"
        source, target = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60), sqlite3.connect(copy)
        try:
            source.backup(target)
        except sqlite3.Error as exc:
            raise IllusionError(f"{path}: could not snapshot the database ({exc}); retry, or stop its server first") from None
        finally:
            source.close()
            target.close()
        return copy.read_bytes()


def _write_archive(out: Path, members: list[Member]) -> None:
    """A gzipped tar of ``members``, readable by its owner only: it holds secrets."""
    with atomic_writer(out, "wb", file_mode=0o600) as handle, tarfile.open(fileobj=handle, mode="w:gz") as archive:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.size, info.mode, info.mtime = len(member.data), member.mode, int(time.time())
            archive.addfile(info, io.BytesIO(member.data))


def read_archive(archive: str | Path) -> tuple[dict[str, Any], dict[str, Member]]:
    """The archive's index and its files by name, checked to be a campaign backup."""
    archive = Path(archive)
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            members = {}
            for info in tar.getmembers():
                path = PurePosixPath(info.name)
                if not info.isfile() or path.is_absolute() or ".." in path.parts:
                    raise IllusionError(f"{archive}: holds {info.name!r}, which no campaign backup holds; not restoring it")
                handle = tar.extractfile(info)
                assert handle is not None  # a regular file has contents
                members[info.name] = Member(info.name, handle.read(), info.mode & 0o777)
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise IllusionError(f"{archive}: not a readable campaign backup ({exc})") from None
    index_member = members.pop(INDEX, None)
    try:
        index = json.loads(index_member.data) if index_member else None
    except ValueError:
        index = None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise IllusionError(f"{archive}: not a campaign backup written by `illusion campaign backup` (no {INDEX})")
    return index, members


def restore_campaign(
    archive: str | Path, run_dir: str | Path | None = None, data_home: str | Path | None = None, overwrite: bool = False
) -> dict[str, Any]:
    """Put the archive's files back; return where they went. Nothing is written until every check passed.

    ``run_dir`` (default: the folder backed up) receives the run's files; ``data_home`` puts each
    annotator's data directory at ``data_home/NAME`` instead of where it was. A file that exists
    with other contents, or an annotator recorded with another data directory or port, stops the
    restore unless ``overwrite``.
    """
    index, members = read_archive(archive)
    target_run = Path(run_dir or index["run_dir"])
    registry = organiser_dir() / REGISTRY
    known = read_json(registry, "annotator list") if registry.exists() else {}
    places = {
        name: {"data_dir": str(Path(data_home).resolve() / name) if data_home else entry["data_dir"], "port": entry["port"]}
        for name, entry in index["annotators"].items()
    }
    plan: dict[Path, Member] = {}
    for name, member in members.items():
        kind, _, rest = name.partition("/")
        if kind == "run":
            plan[target_run / rest] = member
        elif kind == "organiser" and rest != REGISTRY:
            plan[organiser_dir() / rest] = member
        elif kind == "servers":
            seat_name, _, relative = rest.partition("/")
            if seat_name not in places:
                raise IllusionError(
                    f"{archive}: holds server data of {seat_name!r}, who is not in its list of annotators; not restoring it"
                )
            plan[Path(places[seat_name]["data_dir"]) / relative] = member
    clashes = [str(path) for path, member in plan.items() if path.exists() and _snapshot(path) != member.data]
    clashes += [f"{registry} ({name}: {known[name]})" for name, entry in places.items() if name in known and known[name] != entry]
    if clashes and not overwrite:
        shown = "; ".join(clashes[:5]) + (f"; and {len(clashes) - 5} more" if len(clashes) > 5 else "")
        raise IllusionError(
            f"restoring {archive} would replace what differs from the backup: {shown}. Pass --overwrite to replace them"
        )
    for path, member in plan.items():
        _put(path, member)
    organiser_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    write_json(registry, known | places, private=True)
    found = last_backup(index["run_id"])
    if not found or found["at"] < index["created_at"]:  # the archive is the latest backup known here
        _remember(
            index["run_id"],
            {"archive": str(Path(archive).resolve()), "at": index["created_at"], "bytes": Path(archive).stat().st_size},
        )
    return {"run_id": index["run_id"], "created_at": index["created_at"], "run_dir": str(target_run), "annotators": places}


def _put(path: Path, member: Member) -> None:
    """Write one file atomically with its archived mode (secret files never more open than 0600)."""
    secret = path.name in SECRET_FILES or member.name.startswith("organiser/")
    if not path.parent.exists():  # a server's or the organiser's folder is its owner's only
        path.parent.mkdir(parents=True, mode=0o755 if member.name.startswith("run/") else 0o700)
    with atomic_writer(path, "wb", file_mode=member.mode & 0o600 if secret else member.mode) as handle:
        handle.write(member.data)


def describe_backup(found: dict[str, Any] | None) -> str:
    """One line for ``campaign status``: when the last backup was taken, or that there is none."""
    if not found:
        return "last backup: none (`illusion campaign backup RUN_DIR OUT` writes one)"
    taken = datetime.fromisoformat(found["at"])
    hours = (datetime.now(UTC) - taken).total_seconds() / 3600
    age = f"{hours * 60:.0f} min ago" if hours < 1 else f"{hours:.1f} h ago" if hours < 48 else f"{hours / 24:.0f} days ago"
    return f"last backup: {taken:%Y-%m-%d %H:%M} UTC ({age}), {found['archive']} ({found['bytes'] / 1e6:.1f} MB)"
