"""A missing browser: skipped with install instructions locally, a failure in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.chromium import chromium_path, require_chromium


def test_missing_chromium_is_a_skip_that_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install chromium"):
        require_chromium()


def test_missing_chromium_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI must run the browser tests"):
        require_chromium()


def test_a_configured_chromium_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setenv("CHROMIUM_PATH", str(fake))
    assert chromium_path() == str(fake)
