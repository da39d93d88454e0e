"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    """Keep each test's vector cache private, and installed third-party plugins out unless a test asks."""
    monkeypatch.setenv("ILLUSION_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("ILLUSION_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("ILLUSION_PLUGINS", raising=False)
    monkeypatch.delenv("ILLUSION_TRACE_PLUGINS", raising=False)


WORDS = [
    "dog",
    "on",
    "god",
    "said",
    "let",
    "there",
    "be",
    "light",
    "what",
    "prime",
    "number",
    "equation",
    "king",
    "war",
    "love",
    "joke",
    "program",
    "python",
    "##s",
    "##ing",
    "##ed",
    "script",
    "alert",
]


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    """A randomly initialised 3-layer BERT with a fast tokenizer, saved to a local folder (the plugin kit's, with more words)."""
    from illusion.testing import write_tiny_bert

    return write_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), words=WORDS, layers=3)


# -- a real Label Studio server (started by tests/run.sh) with two annotators ------------------


@dataclass
class Annotator:
    """A second Label Studio user with a client that acts as them."""

    email: str
    user_id: int
    client: LabelStudio
    token: str = ""


def sign_up(url: str, admin_key: str, email: str) -> Annotator:
    """Join the admin's organisation through its invite link, as a person would, and get a token."""
    from label_studio_sdk import LabelStudio

    from illusion.annotations.labelstudio.annotators import sign_up as join

    me = join(url, admin_key, email, uuid.uuid4().hex)
    return Annotator(email, me["id"], LabelStudio(base_url=url, api_key=me["token"]), me["token"])


@pytest.fixture(scope="session")
def server() -> tuple[str, str]:
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if not url or not key:
        pytest.skip(
            "needs a Label Studio server: tests/run.sh starts one (or `tests/labelstudio.sh start ENV_FILE` and source ENV_FILE)"
        )
    return url, key


@pytest.fixture(scope="session")
def admin(server) -> LabelStudio:
    from label_studio_sdk import LabelStudio

    url, key = server
    return LabelStudio(base_url=url, api_key=key)


@pytest.fixture(scope="session")
def annotators(server) -> list[Annotator]:
    url, key = server
    tag = uuid.uuid4().hex[:8]
    return [sign_up(url, key, f"annotator-{n}-{tag}@example.com") for n in (1, 2)]
