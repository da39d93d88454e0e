"""Serve an explorer folder over HTTP, on the loopback interface unless told otherwise.

With an :class:`~illusion.explore.ondemand.OnDemand`, the server also answers ``data/x/SPEC.js``
(``SPEC`` URL-encoded): the page of any direction the run can compute, made when it is asked for;
and ``data/t/SPEC.js``: the token shading of that direction's listed sentences.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import urllib.parse
from pathlib import Path
from typing import Any

from illusion.explore.ondemand import OnDemand
from illusion.explore.site import script

COMPUTED = "/data/"  # x/SPEC.js: a direction's page; t/SPEC.js: its sentences' token shading


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    ondemand: OnDemand | None = None

    def log_message(self, format: str, *args: object) -> None:  # one line per request is noise here
        pass

    def do_GET(self) -> None:
        kind = self.path[len(COMPUTED) : len(COMPUTED) + 2]
        if (
            self.ondemand is None
            or not self.path.startswith(COMPUTED)
            or kind not in ("x/", "t/")
            or not self.path.endswith(".js")
        ):
            super().do_GET()
            return
        name = self.path[len("/data/") : -len(".js")]
        spec = urllib.parse.unquote(name[len(kind) :])
        answer = self.ondemand.page(spec) if kind == "x/" else self.ondemand.shading(spec)
        body = script(name, answer).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the page moved on while it was computed
            self.wfile.write(body)


def server(
    folder: str | Path, host: str = "127.0.0.1", port: int = 0, ondemand: OnDemand | None = None
) -> http.server.ThreadingHTTPServer:
    """A server of ``folder`` on ``host:port`` (port 0: a free one), not yet started; ``ondemand`` computes other directions."""
    handler: Any = functools.partial(type("Handler", (QuietHandler,), {"ondemand": ondemand}), directory=str(folder))
    return http.server.ThreadingHTTPServer((host, port), handler)


def url(httpd: http.server.ThreadingHTTPServer) -> str:
    host, port = str(httpd.server_address[0]), httpd.server_address[1]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
