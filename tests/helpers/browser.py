"""A headless Chromium for browser tests: Playwright's own if installed, else the system's (Debian's `chromium`)."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest


@contextmanager
def chromium():
    """A Playwright browser, or a skip naming how to get one (CI installs both: see .ci/run)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (in the test extras)")
    executable = os.environ.get("ILLUSION_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        except sync_api.Error as exc:
            pytest.skip(
                f"no headless Chromium ({str(exc).splitlines()[0]}): apt-get install chromium, or playwright install chromium"
            )
        try:
            yield browser
        finally:
            browser.close()
