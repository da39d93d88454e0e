"""A connection to a Label Studio server whose failures become one-line, actionable messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from illusion.errors import IllusionError

TIMEOUT_S = 120


def server_url(url: str | None) -> str:
    """``url`` without its trailing slash; a clear error when none was given."""
    if not url:
        raise IllusionError(
            "no Label Studio URL: pass --url or set LABEL_STUDIO_URL (`illusion labelstudio serve` starts a local server)"
        )
    return url.rstrip("/")


def connect(url: str | None, api_key: str | None) -> LabelStudio:
    """A client for ``url`` whose key has been checked against the server."""
    base_url = server_url(url)
    if not api_key:
        raise IllusionError(
            "no Label Studio API key: pass --api-key or set LABEL_STUDIO_API_KEY "
            "(Account & Settings > Access Token in Label Studio)"
        )
    client = LabelStudio(base_url=base_url, api_key=api_key, timeout=TIMEOUT_S)
    with talking_to(base_url):
        client.users.whoami()
    return client


@contextmanager
def talking_to(url: str) -> Iterator[None]:
    """Turn the client's connection and HTTP errors into :class:`IllusionError`."""
    try:
        yield
    except httpx.HTTPError as exc:
        raise IllusionError(
            f"cannot reach Label Studio at {url} ({type(exc).__name__}: {exc}); "
            "start it (`illusion labelstudio serve`) or fix --url / "
            "LABEL_STUDIO_URL"
        ) from None
    except ApiError as exc:
        if exc.status_code in (401, 403):
            raise IllusionError(
                f"Label Studio at {url} refused the API key: pass a valid "
                "--api-key or set LABEL_STUDIO_API_KEY (Account & Settings > "
                "Access Token)"
            ) from None
        raise IllusionError(f"Label Studio at {url} answered {exc.status_code}: {describe(exc.body)}") from None


@contextmanager
def refused(status: int, message: str) -> Iterator[None]:
    """Turn the server's answer ``status`` into :class:`IllusionError` ``message``, where ``{reason}``
    stands for the server's own words; other answers pass through to :func:`talking_to`."""
    try:
        yield
    except ApiError as exc:
        if exc.status_code != status:
            raise
        raise IllusionError(message.replace("{reason}", describe(exc.body))) from None


def describe(body: Any) -> str:
    """The gist of an error answer: its validation errors, its detail, or its text."""
    if isinstance(body, dict):
        errors = body.get("validation_errors")
        if isinstance(errors, dict):
            return "; ".join(
                f"{field}: {' '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}" for field, msgs in errors.items()
            )
        if body.get("detail"):
            return str(body["detail"])
    text = re.sub(r"<[^>]+>", " ", str(body))
    return " ".join(text.split())[:300] or "no details"
