"""Atomic writes and checked reads of the files in a run folder."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from illusion.errors import IllusionError

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "w", file_mode: int | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; it replaces ``path`` only if the block succeeds.

    The file gets ``file_mode`` (set before anything is written), else an ordinary file's mode.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_UMASK if file_mode is None else file_mode)  # mkstemp makes private files
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str, private: bool = False) -> None:
    """``text`` in ``path``; ``private``: readable by the owner only from the moment it exists (0600)."""
    with atomic_writer(path, file_mode=0o600 if private else None) as handle:
        handle.write(text)


def write_json(path: str | os.PathLike, obj: Any, private: bool = False) -> None:
    """``obj`` as indented JSON; ``private``: readable by the owner only (for files that hold secrets)."""
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n", private)


def write_jsonl(path: str | os.PathLike, rows: Iterable[Any]) -> None:
    with atomic_writer(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_json(path: str | os.PathLike, what: str = "file") -> Any:
    path = Path(path)
    if not path.is_file():
        raise IllusionError(f"{path}: no such {what}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IllusionError(f"{path}: not valid JSON ({exc})") from None


def numbered_jsonl(path: str | os.PathLike, what: str = "file") -> list[tuple[int, Any]]:
    """A JSON-lines file's values with their line numbers (from 1, blank lines counted and skipped)."""
    path = Path(path)
    if not path.is_file():
        raise IllusionError(f"{path}: no such {what}")
    rows = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise IllusionError(f"{path}, line {number}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
            if not line.strip():
                continue
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise IllusionError(f"{path}, line {number}: not valid JSON ({exc.msg})") from None
    return rows


def read_jsonl(path: str | os.PathLike, what: str = "file") -> list[Any]:
    return [row for _, row in numbered_jsonl(path, what)]
