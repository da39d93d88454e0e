"""What a run derives from its inputs, kept beside the activation store so that a warm run redoes none of it.

Each value is one JSON file (or ``.npz`` of arrays) under ``derived/<kind>/``, named by a digest of everything it
was made from (the inputs, the plugin's release and code, illusion's own code, any of which a step may call, and
the releases of the installed packages) and naming that digest inside, written atomically. An unreadable file is
a miss: the value is made again and the file rewritten; a value that cannot be written (a read-only cache) is
simply not kept.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import site
import sys
import sysconfig
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

import illusion
from illusion import __version__
from illusion.common.files import atomic_writer, write_text
from illusion.run.store import DERIVED

KEY = "key"  # what each kept file names inside: its own name's key, so that a file copied from another name is a miss


def code_digest() -> str:
    """A digest of illusion's version and source (each file's name, size and times, read once a process): it changes
    when any of the code changes, as a step calls more than its own module (``illusion.common.seeds``, ...)."""
    return hashlib.sha256(f"{__version__}:{_source(os.path.dirname(illusion.__file__))}".encode()).hexdigest()[:16]


@functools.cache
def _source(folder: str) -> str:
    return files_digest([Path(folder)])


def installed_packages() -> str:
    """A digest of the packages installed in this Python's site folders (their ``.dist-info`` folders name each
    release): its own, its user's and those of a base Python it sees (a ``--system-site-packages`` venv, Debian's
    ``dist-packages``); folders that happen to be on ``sys.path``, such as a checkout's, do not count."""
    sites = [*sysconfig.get_paths(vars=None).values(), *site.getsitepackages(), site.getusersitepackages()]
    folders = set(sites) & set(sys.path)
    names = sorted(
        {
            name
            for folder in folders
            if os.path.isdir(folder)
            for name in os.listdir(folder)
            if name.endswith((".dist-info", ".egg-info"))
        }
    )
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def files_digest(paths: Iterable[Path]) -> str:
    """A digest of the files at (and under) ``paths``: names, sizes, inodes and modification and change times (a
    copy that restores a file's modification time still changes its inode or change time); a missing path counts too."""
    digest = hashlib.sha256()
    for path in paths:
        for file in _files_under(path) if path.is_dir() else [path]:
            try:
                stat = file.stat()
                digest.update(f"{file}:{stat.st_size}:{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_ctime_ns};".encode())
            except OSError:
                digest.update(f"{file}:missing;".encode())
    return digest.hexdigest()[:16]


def _files_under(folder: Path) -> list[Path]:
    """The files under ``folder``, sorted, through linked folders too (each real folder once), without ``__pycache__``."""
    files, seen = [], set()
    for root, folders, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            folders.clear()
            continue
        seen.add(real)
        folders[:] = [name for name in folders if name != "__pycache__"]
        files += [Path(root, name) for name in names if os.path.isfile(os.path.join(root, name))]
    return sorted(files)


class Derived:
    """The JSON values under ``root/derived``, by kind and by what they were made from."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root) / DERIVED
        self.made_by = code_digest() + installed_packages()  # read once: every value kept depends on both

    def path(self, kind: str, made_from: Any, suffix: str = ".json") -> Path:
        text = json.dumps(made_from, sort_keys=True, default=str) + self.made_by
        return self.root / kind / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}{suffix}"

    def get(self, kind: str, made_from: Any) -> Any:
        """The value kept for ``made_from``, or None: also when the file there is not the one kept under its name
        (each file names its own key; one copied from another name or replaced by other JSON is a miss)."""
        path = self.path(kind, made_from)
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return kept.get("value") if isinstance(kept, dict) and kept.get(KEY) == path.stem else None

    def put(self, kind: str, made_from: Any, value: Any) -> bool:
        """Keep ``value``; one that JSON would not give back as it is (tuples, keys that are not strings, NaN) is not kept."""
        path = self.path(kind, made_from)
        try:
            text = json.dumps({KEY: path.stem, "value": value}, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return False
        if json.loads(text)["value"] != value:
            return False
        try:
            write_text(path, text)
        except OSError:  # a read-only or full cache: the value is made again next time
            return False
        return True

    def get_or_make(self, kind: str, made_from: Any, make: Callable[[], Any], valid: Callable[[Any], bool]) -> Any:
        """The value kept for ``made_from`` when ``valid`` (a damaged or foreign file is not); else ``make()``, kept."""
        found = self.get(kind, made_from)
        if found is None or not valid(found):
            found = make()
            self.put(kind, made_from, found)
        return found

    def get_arrays(self, kind: str, made_from: Any, names: Iterable[str]) -> dict[str, np.ndarray] | None:
        """The arrays kept for ``made_from`` (one ``.npz`` file, which names its own key), if it holds all of
        ``names``; else None."""
        path = self.path(kind, made_from, ".npz")
        try:
            with np.load(path, allow_pickle=False) as kept:
                return {name: kept[name] for name in names} if str(kept[KEY]) == path.stem else None
        except Exception:  # a missing, truncated or foreign file (BadZipFile, EOFError, ...) is a miss: made again
            return None

    def put_arrays(self, kind: str, made_from: Any, arrays: dict[str, Any]) -> None:
        """Keep ``arrays`` (not in a read-only or full cache)."""
        path = self.path(kind, made_from, ".npz")
        with contextlib.suppress(OSError), atomic_writer(path, "wb") as handle:
            np.savez(handle, **{**arrays, KEY: np.array(path.stem)})
