"""Serve an explorer folder over HTTP, on the loopback interface unless told otherwise.

With an :class:`~illusion.explore.ondemand.OnDemand`, the server also answers ``data/x/SPEC.js``
(``SPEC`` URL-encoded): the page of any direction the run can compute, made when it is asked for;
and ``data/t/SPEC.js``: the token shading of that direction's listed sentences. Pages of other sites
are refused (403): a cross-site request, or on loopback one whose Host is not this server's.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import ipaddress
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
        if self._foreign():
            self.send_error(403, "the explorer answers its own pages only")
            return
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

    def _foreign(self) -> bool:
        """Whether another site asks: a cross-site fetch (a page elsewhere including ``data/x/SPEC.js``, which is
        JavaScript, to read the run's sentences), or, on loopback, a Host that is not this server's (DNS rebinding)."""
        if self.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
            return True
        address, port = self.request.getsockname()[:2]  # where this connection arrived
        served = ipaddress.ip_address(address)
        if not served.is_loopback:
            return False  # served to the network on purpose: any name of the machine may be asked for
        hosts = {f"{name}:{port}" for name in ("localhost", "127.0.0.1", "[::1]", str(served), f"[{served}]")}
        return self.headers.get("Host", "").lower() not in hosts


def server(
    folder: str | Path, host: str = "127.0.0.1", port: int = 0, ondemand: OnDemand | None = None
) -> http.server.ThreadingHTTPServer:
    """A server of ``folder`` on ``host:port`` (port 0: a free one), not yet started; ``ondemand`` computes other directions."""
    handler: Any = functools.partial(type("Handler", (QuietHandler,), {"ondemand": ondemand}), directory=str(folder))
    return http.server.ThreadingHTTPServer((host, port), handler)


def url(httpd: http.server.ThreadingHTTPServer) -> str:
    host, port = str(httpd.server_address[0]), httpd.server_address[1]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
