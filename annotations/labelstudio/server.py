"""A local Label Studio server on loopback, run from its own virtual environment.

The server pins many packages (Django, pyarrow, ...), so it lives in a separate venv that is
created on first use. Used by ``illusion labelstudio serve`` and, through
``python -m illusion.annotations.labelstudio.server start|stop``, by the test runner.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from illusion.common.files import read_json, write_json, write_text
from illusion.errors import IllusionError

LABEL_STUDIO_VERSION = "1.23.2"
LOGIN_FILE = "illusion-login.json"
READY_TIMEOUT_S = 300
# Read by the server as settings (``X`` after ``LABEL_STUDIO_X``), select another database or settings module,
# or replace the signing key of the data directory (``SECRET_KEY``: one value shared by every server would let
# a token minted on one server open the others).
CLASHING_ENV = (
    "USERNAME",
    "PASSWORD",
    "HOST",
    "PORT",
    "DEBUG",
    "CI",
    "DJANGO_DB",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
)
SIGNING_FILE = ".env"  # where the server reads its signing key (SECRET_KEY=...)
QUIET_ENV = {"SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "", "LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false"}
# Nobody joins without the organisation's invite link.
CLOSED_ENV = {"LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true"}
STARTED = re.compile(r"Starting development server at http://[^:/]+:(\d+)/")


@dataclass
class Server:
    """A running server: its process, address and the admin login of its data directory."""

    process: subprocess.Popen
    url: str
    username: str
    password: str
    api_key: str
    data_dir: Path


def default_home() -> Path:
    """Where ``illusion labelstudio serve`` keeps its venv and data unless told otherwise."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "illusion"


def ensure_venv(venv: Path) -> Path:
    """Return the ``label-studio`` executable in ``venv``, installing it there first if missing."""
    exe = venv / "bin" / "label-studio"
    if exe.is_file():
        return exe
    print(f"installing label-studio=={LABEL_STUDIO_VERSION} into {venv} (once; about 1 GB)", file=sys.stderr, flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"label-studio=={LABEL_STUDIO_VERSION}"],
            check=True,
            env=server_env(None),
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise IllusionError(
            f"could not install Label Studio into {venv} ({exc}); check that pip can reach PyPI, then retry"
        ) from None
    return exe


def server_env(data_dir: Path | None) -> dict[str, str]:
    """The environment for the server: no clashing settings, no calls to the internet."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in CLASHING_ENV and not key.startswith(("LABEL_STUDIO_", "HEARTEX_"))
    }
    env.update(QUIET_ENV | CLOSED_ENV)
    if data_dir is not None:
        env["LABEL_STUDIO_BASE_DATA_DIR"] = str(data_dir)
    return env


def ensure_data_dir(exe: Path, data_dir: Path) -> dict[str, str]:
    """Initialise ``data_dir`` with an admin user and a known API token, once; return the login."""
    login_file = data_dir / LOGIN_FILE
    if login_file.is_file():
        return json.loads(login_file.read_text(encoding="utf-8"))
    if data_dir.exists() and any(data_dir.iterdir()):
        raise IllusionError(f"{data_dir} is not empty and was not set up by illusion; pass another --data-dir")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    login = {"username": "admin@example.com", "password": secrets.token_urlsafe(12), "api_key": secrets.token_hex(20)}
    # Initialise beside the target and move it in place, so an interrupted init leaves nothing.
    staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.", dir=data_dir.parent))
    env = server_env(staging) | {
        "LABEL_STUDIO_USERNAME": login["username"],
        "LABEL_STUDIO_PASSWORD": login["password"],
        "LABEL_STUDIO_USER_TOKEN": login["api_key"],
    }
    print(f"initialising a Label Studio data directory in {data_dir} (once; about 40 s)", file=sys.stderr, flush=True)
    try:
        result = subprocess.run(
            [str(exe), "init", "--data-dir", str(staging), "-q", "--enable-legacy-api-token"],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise IllusionError(f"label-studio init failed in {data_dir}: {' '.join(tail)}")
        write_json(staging / LOGIN_FILE, login, private=True)
        if data_dir.exists():
            data_dir.rmdir()
        staging.rename(data_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return login


def make_own(exe: Path, data_dir: Path) -> dict[str, str]:
    """Give a copied data directory a signing key and an admin password of its own; return its login.

    Its API token is still the copy's until :func:`renew_token` runs on the started server."""
    write_text(data_dir / SIGNING_FILE, f"SECRET_KEY={secrets.token_urlsafe(50)}\n", private=True)
    login = read_json(data_dir / LOGIN_FILE, "Label Studio login") | {"password": secrets.token_urlsafe(16)}
    result = subprocess.run(
        [
            str(exe),
            "reset_password",
            f"--username={login['username']}",
            f"--password={login['password']}",  # one argument: a password may start with "-"
            "--data-dir",
            str(data_dir),
        ],
        env=server_env(data_dir),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0 or "successfully changed" not in result.stdout:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
        raise IllusionError(f"could not set the admin password of {data_dir}: {' '.join(tail) or 'no output'}")
    write_json(data_dir / LOGIN_FILE, login, private=True)
    return login


def renew_token(server: Server) -> Server:
    """The running ``server`` with a new admin API token (saved in its login file): no two servers share one."""
    request = urllib.request.Request(
        f"{server.url}/api/current-user/reset-token/", method="POST", headers={"Authorization": f"Token {server.api_key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            token = json.loads(answer.read())["token"]
    except (OSError, ValueError, KeyError) as exc:  # URLError and HTTPError are OSErrors
        raise IllusionError(
            f"Label Studio at {server.url} did not give its admin a new API token ({exc}); see {server.data_dir / 'server.log'}"
        ) from None
    login = {"username": server.username, "password": server.password, "api_key": token}
    write_json(server.data_dir / LOGIN_FILE, login, private=True)
    return dataclasses.replace(server, api_key=token)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(exe: Path, data_dir: Path, port: int | None = None, host: str = "127.0.0.1") -> Server:
    """Start the server on ``host`` (loopback by default) and wait until its API answers the admin's token."""
    login = ensure_data_dir(exe, data_dir)
    log_path = data_dir / "server.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [
                str(exe),
                "start",
                "--no-browser",
                "--internal-host",
                host,
                "-p",
                str(port or free_port()),
                "--data-dir",
                str(data_dir),
            ],
            env=server_env(data_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        url = wait_ready(process, log_path, login["api_key"], host)
    except BaseException:
        stop_process(process.pid)
        raise
    return Server(process, url, login["username"], login["password"], login["api_key"], data_dir)


def wait_ready(process: subprocess.Popen, log_path: Path, api_key: str, host: str = "127.0.0.1") -> str:
    """Return the server's URL once ``/health`` and an authenticated API call both succeed."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            raise IllusionError(
                f"Label Studio exited with status {process.returncode}: {tail[-1] if tail else 'no output'} (log: {log_path})"
            )
        if url is None:
            # A busy port is silently replaced by the next one: read the real address.
            found = STARTED.search(log_path.read_text(encoding="utf-8", errors="replace"))
            url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{found.group(1)}" if found else None
        if url and answers(f"{url}/health") and answers(f"{url}/api/projects/", api_key):
            return url
        time.sleep(0.5)
    raise IllusionError(f"Label Studio did not become ready in {READY_TIMEOUT_S} s (log: {log_path})")


def answers(url: str, api_key: str | None = None) -> bool:
    headers = {"Authorization": f"Token {api_key}"} if api_key else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop_process(pid: int, grace_s: float = 10) -> None:
    """Stop the server's process group: SIGTERM, then SIGKILL after ``grace_s`` seconds."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):  # reap it when it is our own child
            os.waitpid(pid, os.WNOHANG)
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def start_for_tests(venv: Path, env_file: Path | None) -> None:
    """Start a throw-away server on a copy of a cached, initialised data directory."""
    exe = ensure_venv(venv)
    template = venv / "illusion-data-template"
    ensure_data_dir(exe, template)
    data_dir = Path(tempfile.mkdtemp(prefix="illusion-ls-")) / "data"
    shutil.copytree(template, data_dir)
    server = launch(exe, data_dir)
    lines = {
        "LABEL_STUDIO_URL": server.url,
        "LABEL_STUDIO_API_KEY": server.api_key,
        "ILLUSION_LS_PID": str(server.process.pid),
        "ILLUSION_LS_DATA_DIR": str(data_dir),
        "ILLUSION_LS_VENV": str(venv),
    }
    text = "".join(f"{key}={value}\n" for key, value in lines.items())
    if env_file is None:
        print("".join(f"export {line}\n" for line in text.splitlines()), end="")
    else:
        env_file.write_text(text, encoding="utf-8")


def stop_for_tests(env_file: Path | None) -> None:
    """Stop the server that :func:`start_for_tests` started and remove its data directory."""
    values = dict(os.environ)
    if env_file is not None:
        values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    if "ILLUSION_LS_PID" not in values:
        raise IllusionError("no ILLUSION_LS_PID: pass the env file that `start` wrote")
    stop_process(int(values["ILLUSION_LS_PID"]))
    shutil.rmtree(Path(values["ILLUSION_LS_DATA_DIR"]).parent, ignore_errors=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("start", "stop") or len(argv) > 2:
        print("usage: python -m illusion.annotations.labelstudio.server start|stop [ENV_FILE]", file=sys.stderr)
        return 2
    env_file = Path(argv[1]) if len(argv) == 2 else None
    venv = Path(os.environ.get("ILLUSION_LS_VENV") or ".lsvenv").resolve()
    try:
        if argv[0] == "start":
            start_for_tests(venv, env_file)
        else:
            stop_for_tests(env_file)
    except IllusionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
