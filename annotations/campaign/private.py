"""The organiser's private file of a campaign, kept outside the run folder and off the server.

It holds the key that makes task uids and project tags unguessable, the random pseudonym given
to each annotator, and the campaign's design (attention checks, overlap, the annotators' order), so
that a campaign whose ledger in the run folder is lost is taken up again as it was. Without it nothing in a run folder links a pseudonym to a person or a task uid
to a set, so the run folder can be published. One file per run, readable by its owner only, in
``$ILLUSION_ORGANISER_DIR`` or ``~/.local/share/illusion/organiser``; copy it to import elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from illusion.common.files import read_json, write_json
from illusion.errors import IllusionError

ENV = "ILLUSION_ORGANISER_DIR"
SEAT = "seat:"  # prefix of an annotator's name among the pseudonyms' keys


def organiser_dir() -> Path:
    """Where the organiser's private campaign files live."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "illusion" / "organiser"


@dataclass
class Private:
    """One run's secrets: the key, the pseudonyms by annotator (a backend's user id, or ``"seat:<name>"``), the design."""

    path: Path
    key: bytes
    pseudonyms: dict[str, str] = field(default_factory=dict)
    design: dict[str, Any] = field(default_factory=dict)

    def keyed(self, *parts: str, size: int = 20) -> str:
        """A hex digest of ``parts`` under the key: stable, and unguessable without the key."""
        return hmac.new(self.key, "|".join(parts).encode(), hashlib.sha256).hexdigest()[:size]

    def pseudonym(self, user: str) -> str:
        """The annotator id of ``user``: random the first time, then the same (saved by :meth:`save`)."""
        if user not in self.pseudonyms:
            taken = set(self.pseudonyms.values())
            while (name := f"annotator-{secrets.token_hex(4)}") in taken:
                pass
            self.pseudonyms[user] = name
        return self.pseudonyms[user]

    def seat_names(self) -> dict[str, str]:
        """The name of each annotator with a server of their own (``"seat:<name>"``), by pseudonym."""
        return {pseudonym: key.removeprefix(SEAT) for key, pseudonym in self.pseudonyms.items() if key.startswith(SEAT)}

    def save(self) -> None:
        if not self.path.parent.exists():  # a folder of its own is closed before any key is written in it
            self.path.parent.mkdir(parents=True, mode=0o700)
        write_json(self.path, {"key": self.key.hex(), "pseudonyms": self.pseudonyms, "design": self.design}, private=True)


def load_private(run_id: str, create: bool = False) -> Private:
    """The run's private file; with ``create``, made with a fresh key when there is none yet."""
    path = organiser_dir() / f"{run_id}.json"
    if not path.exists():
        if not create:
            raise IllusionError(
                f"{path}: no private campaign file for run {run_id}; copy it from the machine that ran "
                f"`illusion export` (or point {ENV} at its folder)"
            )
        private = Private(path, secrets.token_bytes(32))
        private.save()
        return private
    data = read_json(path, "organiser's private campaign file")
    try:
        return Private(path, bytes.fromhex(data["key"]), dict(data.get("pseudonyms", {})), dict(data.get("design", {})))
    except (TypeError, KeyError, ValueError):
        raise IllusionError(f"{path}: not a private campaign file written by illusion; restore it from a backup") from None
