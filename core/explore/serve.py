"""Serve an explorer folder over HTTP, on the loopback interface unless told otherwise."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # one line per request is noise here
        pass


def server(folder: str | Path, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    """A server of ``folder`` on ``host:port`` (port 0: a free one), not yet started."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    return http.server.ThreadingHTTPServer((host, port), handler)


def url(httpd: http.server.ThreadingHTTPServer) -> str:
    host, port = str(httpd.server_address[0]), httpd.server_address[1]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
