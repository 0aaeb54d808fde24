"""The population report in Chromium, offline: every chart renders as SVG, the flips table lists example patients."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.chromium import LAUNCH_ARGS, require_chromium
from tests.support.population_report import replay_population

pytestmark = pytest.mark.browser


def test_the_report_renders_its_charts_offline(tmp_path: Path) -> None:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    out, _ = replay_population(tmp_path, "--workers", "2", patients=120)
    report = out / "report.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=LAUNCH_ARGS)
        try:
            context = browser.new_context(offline=True)  # no network: the file must carry its own JavaScript
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(report.as_uri())
            page.wait_for_selector("#chart-flips svg .mark-rect path", timeout=20_000)
            charts = page.locator("div.vega-chart")
            assert charts.count() == 4  # decisions, decisions under the other set, unknown criteria, flips
            for index in range(charts.count()):
                chart = charts.nth(index)
                assert chart.locator("svg").count() == 1
                assert chart.locator("svg .mark-rect path").count() > 0  # bars drawn, not an empty frame
            title = page.locator("#chart-decisions svg").text_content() or ""
            assert "Decisions by policy and line of business" in title
            flips = page.locator("tr.flip")
            assert flips.count() >= 1
            assert "fep-blue-5-21-177" in flips.first.inner_text() and "no-policy" in flips.first.inner_text()
            page.screenshot(path=str(out / "report.png"), full_page=True)
            if keep := os.environ.get("POPULATION_REPORT_SCREENSHOT"):  # to look at it by hand
                page.screenshot(path=keep, full_page=True)
            assert not errors, errors
        finally:
            browser.close()
