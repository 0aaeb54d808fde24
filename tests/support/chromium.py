"""Headless Chromium for the browser tests: Debian's system `chromium` driven by Playwright for Python.

Playwright's own browser download is not used (it needs the internet); the system binary is launched
with flags that keep it from reaching out (no sync, no component updates, no background networking) and
with a fresh profile per test session. Missing locally: the tests skip and say how to install it.
Missing in CI (CI=true): the tests fail, because a browser test that never runs proves nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install it with `apt-get install chromium` (run `apt-get update` first; or set CHROMIUM_PATH)"


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).is_file() else None
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must run the browser tests: {INSTALL_HINT}")
    pytest.skip(f"{reason}: {INSTALL_HINT}")


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        unavailable("Chromium is not installed")
        raise AssertionError("unreachable")  # pytest.skip/fail raise
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    return path
