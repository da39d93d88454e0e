"""Isolated annotators: one Label Studio server per annotator, each with a data directory of its own.

Label Studio Community puts every user of a server in one organisation and grants every permission
to every signed-in member, so on a shared server an annotator can read every project, task and
annotation. Here each annotator gets a server of their own: its own database, its own signing key
(which signs session cookies and JWT tokens, whatever ``SECRET_KEY`` the organiser's shell holds),
its own admin password and API token, and a sign-up link that is reset once their account exists. The organiser's admin login (in the data directory, never in a run folder) exports tasks to
it and imports labels from it. The list of annotators and their servers is kept in the organiser's
private folder (``annotators.json``).
"""

from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx

from illusion.annotations.campaign.private import organiser_dir
from illusion.annotations.labelstudio.server import (
    LOGIN_FILE,
    ensure_data_dir,
    ensure_venv,
    launch,
    make_own,
    renew_token,
    stop_process,
)
from illusion.common.files import read_json, write_json
from illusion.errors import IllusionError

REGISTRY = "annotators.json"
FIRST_PORT = 8081
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


@dataclass(frozen=True)
class Seat:
    """One annotator's server: where it keeps its data, the port it is served on, the admin login."""

    name: str
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin_key(self) -> str:
        return read_json(self.data_dir / LOGIN_FILE, "Label Studio login")["api_key"]


def seats() -> dict[str, Seat]:
    """The annotators added so far, by name."""
    path = organiser_dir() / REGISTRY
    if not path.exists():
        return {}
    entries = read_json(path, "annotator list")
    return {name: Seat(name, Path(e["data_dir"]), int(e["port"])) for name, e in entries.items()}


def seat(name: str) -> Seat:
    known = seats()
    if name not in known:
        raise IllusionError(
            f"no annotator {name!r} (known: {', '.join(known) or 'none'}); add one with `illusion labelstudio add-annotator`"
        )
    return known[name]


def add_annotator(name: str, venv: Path, home: Path, email: str | None = None, port: int | None = None) -> tuple[Seat, str, str]:
    """A new server for ``name`` with their account on it; return it, their login and password.

    The password is returned once and written nowhere; ``email`` (default ``NAME@annotators.invalid``)
    is the login the server asks for, and stays on that server only.
    """
    if not NAME.fullmatch(name):
        raise IllusionError(f"annotator name {name!r}: use letters, digits, '-' and '_' (at most 40)")
    known = seats()
    if name in known:
        raise IllusionError(f"annotator {name!r} exists already (server data in {known[name].data_dir})")
    taken = {s.port: s.name for s in known.values()}
    if port in taken:
        raise IllusionError(f"port {port} is annotator {taken[port]!r}'s already; pass another --port")
    exe = ensure_venv(venv)
    template = home / "template"
    ensure_data_dir(exe, template)
    data_dir = home / "annotators" / name
    if data_dir.exists():
        raise IllusionError(f"{data_dir} exists already; remove it or choose another name")
    new = Seat(name, data_dir, port or max([FIRST_PORT - 1, *(s.port for s in known.values())]) + 1)
    login, password = email or f"{name}@annotators.invalid", secrets.token_urlsafe(12)
    shutil.copytree(template, data_dir)
    try:  # a server left half made (the template's token, no account) is removed, so a retry starts afresh
        make_own(exe, data_dir)
        server = launch(exe, data_dir, new.port)
        try:
            server = renew_token(server)
            sign_up(server.url, server.api_key, login, password)
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Token {server.api_key}"}) as admin:
                admin.post("/api/invite/reset-token").raise_for_status()  # the link that was used dies
        finally:
            stop_process(server.process.pid)
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    known[name] = new
    organiser_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    write_json(
        organiser_dir() / REGISTRY, {s.name: {"data_dir": str(s.data_dir), "port": s.port} for s in known.values()}, private=True
    )
    return new, login, password


def sign_up(url: str, admin_key: str, email: str, password: str) -> dict:
    """Join the server's organisation through its invite link, as a person would; return the new
    user (``whoami``) with their API token under ``"token"``."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {admin_key}"}) as admin:
        invite = admin.get("/api/invite").raise_for_status().json()["invite_url"]
    with httpx.Client(base_url=url, follow_redirects=True) as browser:
        browser.get(invite).raise_for_status()
        browser.post(
            invite,
            data={"email": email, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            headers={"Referer": url + invite},
        ).raise_for_status()
        me = browser.get("/api/current-user/whoami").raise_for_status().json()
        if me.get("email") != email:
            raise IllusionError(f"Label Studio at {url} did not accept the account {email!r}; see its log")
        me["token"] = browser.get("/api/current-user/token").raise_for_status().json()["token"]
    return me
