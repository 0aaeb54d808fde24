"""The demo page in a real browser: pick or paste a hook request, send it, read the cards and coverage."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.chromium import LAUNCH_ARGS, require_chromium
from tests.support.live_server import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_bundles"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("server")) as live:
        yield live


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=LAUNCH_ARGS,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: BrowserContext, server: LiveServer) -> Iterator[Page]:
    tab = browser.new_page()
    tab.goto(server.url + "/")
    tab.wait_for_selector("body[data-ready=true]")
    try:
        yield tab
    finally:
        tab.close()


def pick_and_send(page: Page, sample: str) -> None:
    page.select_option("[data-testid=sample-select]", sample)
    page.wait_for_function("name => document.getElementById('status').textContent === 'loaded ' + name", arg=sample)
    send(page)


def send(page: Page) -> None:
    page.click("[data-testid=send-button]")
    page.wait_for_selector("#status.ok, #status.error")


def coverage_cell(page: Page, order: str, part: str) -> str:
    selector = f"[data-testid=coverage-info][data-order='{order}'] [data-testid=coverage-{part}]"
    return page.inner_text(selector)


def summaries(page: Page) -> list[str]:
    return [s.strip() for s in page.locator("[data-testid=card-summary]").all_inner_texts()]


def server_answer(server: LiveServer, sample: str) -> dict[str, Any]:
    response = httpx.post(
        server.url + "/cds-services/crd-order-sign", content=(SAMPLES / f"{sample}.json").read_bytes()
    )
    body: dict[str, Any] = response.json()
    return body


def test_a_needs_info_sample_shows_its_card_suggestion_and_coverage(page: Page, server: LiveServer) -> None:
    sample = "fep-lumakras-mcrc-needs-panitumumab"
    pick_and_send(page, sample)
    index = json.loads((SAMPLES / "index.json").read_text())["samples"]
    described = next(e["description"] for e in index if e["name"] == sample)
    assert page.inner_text("#sample-description") == described
    shown = summaries(page)
    assert shown[0].startswith("Lumakras: prior authorization needs ")
    assert shown == [card["summary"] for card in server_answer(server, sample)["cards"]]
    first_card = page.locator("[data-testid=card]").first
    assert "indicator-warning" in (first_card.get_attribute("class") or "")
    assert first_card.locator("[data-testid=card-indicator]").inner_text().lower() == "warning"
    # the criteria table of the detail markdown is rendered as a table, with the unknown criterion in it
    assert first_card.locator("[data-testid=card-detail] table td", has_text="unknown").count() >= 1
    assert "panitumumab" in page.inner_text("[data-testid=cards]").lower()
    assert page.locator("[data-testid=card-suggestions] li").count() >= 1
    order = "MedicationRequest/mr-sotorasib"
    assert coverage_cell(page, order, "covered") == "covered"
    assert coverage_cell(page, order, "pa-needed") == "auth-needed"
    assert coverage_cell(page, order, "doc-needed") == "clinical"
    assert coverage_cell(page, order, "doc-purpose") == "withpa"
    assert coverage_cell(page, order, "questionnaire").startswith("http")


def test_an_approved_sample_shows_the_expiry_and_pa_number(page: Page) -> None:
    pick_and_send(page, "centene-sotorasib-nsclc-approved")
    order = "MedicationRequest/mr-sotorasib"
    expiry = coverage_cell(page, order, "expiry-date")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", expiry)
    assert summaries(page)[0] == f"Lumakras: prior authorization approved through {expiry}"
    assert coverage_cell(page, order, "covered") == "covered"
    assert coverage_cell(page, order, "pa-needed") == "satisfied"
    pa_number = coverage_cell(page, order, "satisfied-pa-id")
    assert pa_number.startswith("PA-") and any(pa_number in s for s in summaries(page))
    links = page.locator("[data-testid=card-links] a")
    assert links.count() >= 1 and (links.first.get_attribute("href") or "").startswith("https://")


def test_a_pasted_sandbox_request_and_a_not_met_answer(page: Page) -> None:
    pasted = json.loads((SAMPLES / "sandbox-centene-everolimus-tsc-seizures-approved.json").read_text())
    page.fill("[data-testid=request-text]", json.dumps(pasted))
    send(page)
    assert summaries(page)[0].startswith("everolimus: prior authorization approved through ")
    assert coverage_cell(page, "MedicationRequest/mr-everolimus", "pa-needed") == "satisfied"

    pick_and_send(page, "centene-sotorasib-kras-g12d-not-met")
    assert summaries(page)[0].startswith("Lumakras: not covered; not met: ")
    assert coverage_cell(page, "MedicationRequest/mr-sotorasib", "covered") == "not-covered"
    assert (
        page.locator(
            "[data-testid=coverage-info][data-order='MedicationRequest/mr-sotorasib'] [data-testid=coverage-pa-needed]"
        ).count()
        == 0
    )


def test_errors_are_shown_not_swallowed(page: Page) -> None:
    page.fill("[data-testid=request-text]", "{not json")
    page.click("[data-testid=send-button]")
    page.wait_for_selector("#status.error")
    assert "not valid JSON" in page.inner_text("#status")

    request = json.loads((SAMPLES / "centene-amlodipine-no-policy-covered.json").read_text())
    request["prefetch"]["coverage"]["entry"] = []
    page.fill("[data-testid=request-text]", json.dumps(request))
    send(page)
    assert page.inner_text("#status") == "HTTP 400"
    assert "The server answered HTTP 400" in page.inner_text("[data-testid=error]")


def test_card_markdown_is_rendered_safely(page: Page) -> None:
    hostile = (
        "**bold** <img src=x onerror=\"document.title='pwned'\"> <script>document.title='pwned'</script>\n\n"
        "[bad](javascript:document.title='pwned') [good](https://example.org/policy) \\| kept\n\n"
        "| A | B |\n|---|---|\n| x \\| y | <b>z</b> |"
    )
    html = page.evaluate(
        "text => { const el = SafeMarkdown.render(text); document.body.appendChild(el); return el.innerHTML; }",
        hostile,
    )
    assert "<img" not in html and "<script" not in html and "<b>" not in html
    assert "&lt;img" in html and "<strong>bold</strong>" in html
    assert 'href="javascript' not in html and 'href="https://example.org/policy"' in html
    assert "<td>x | y</td>" in html
    assert page.title() != "pwned"


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[str]:
    """A page on another origin (another port), like the CDS Hooks sandbox calling us from its own site."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    (tmp_path / "client.html").write_text("<!doctype html><title>cds client</title><p>client</p>")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/client.html"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_a_client_on_another_origin_can_discover_and_call(
    browser: BrowserContext, server: LiveServer, other_origin: str
) -> None:
    tab = browser.new_page()
    try:
        tab.goto(other_origin)
        request = json.loads((SAMPLES / "centene-sotorasib-kras-g12d-not-met.json").read_text())
        result = tab.evaluate(
            """async ([base, request]) => {
                const discovery = await (await fetch(base + "/cds-services")).json();
                const service = discovery.services.find((s) => s.hook === "order-sign");
                const response = await fetch(base + "/cds-services/" + service.id, {
                    method: "POST",
                    headers: {"Content-Type": "application/json", "Authorization": "Bearer not-checked-with-auth-off"},
                    body: JSON.stringify(request),
                });
                const body = await response.json();
                return {origin: location.origin, status: response.status, summary: body.cards[0].summary};
            }""",
            [server.url, request],
        )
    finally:
        tab.close()
    assert result["origin"] != server.url  # the call really crossed origins
    assert result["status"] == 200
    assert result["summary"] == "Lumakras: not covered; not met: Disease is positive for the KRAS G12C mutation"


def test_a_needs_info_answer_continues_through_dtr_to_a_pa_number(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    """hook -> package -> $populate -> the payer's question (I.A.4, answered yes) -> issue the PA number -> the
    coverage-information with the PA number, and a CRD re-sign of the same order then answers with it."""
    sample = "centene-sotorasib-nsclc-no-kras-result-needs-info"
    pick_and_send(page, sample)
    assert coverage_cell(page, "MedicationRequest/mr-sotorasib", "pa-needed") == "auth-needed"
    assert page.is_visible("[data-testid=dtr-panel]")
    page.click("[data-testid=dtr-start]")
    question = "[data-testid=dtr-question][data-link-id='I.A.4']"
    page.wait_for_selector(question)
    # the prefilled form: the record answered the other I.A criteria, and left I.A.4 open
    prefilled = "[data-testid=dtr-prefilled-table]"
    assert page.inner_text(f"{prefilled} tr[data-link-id='I.A.1'] td:last-child") == "yes (from the record)"
    assert page.inner_text(f"{prefilled} tr[data-link-id='I.A.4'] td:last-child") == "not answered by the record"
    assert [q.get_attribute("data-link-id") for q in page.locator("[data-testid=dtr-question]").all()] == ["I.A.4"]
    page.check("[data-testid='dtr-answer-I.A.4-true']")
    page.click("[data-testid=dtr-next]")
    page.wait_for_selector("[data-testid=dtr-question][data-link-id='issue-pa-number']")
    assert "answered: yes" in page.inner_text(question)
    page.check("[data-testid='dtr-answer-issue-pa-number-true']")
    page.click("[data-testid=dtr-next]")
    page.wait_for_selector("[data-testid=dtr-pa-number]")
    pa_number = page.inner_text("[data-testid=dtr-pa-number]")
    expiry = page.inner_text("[data-testid=dtr-coverage-expiry-date]")
    assert re.fullmatch(r"PA-[0-9A-F]{16}", pa_number) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", expiry)
    assert (
        page.inner_text("[data-testid=dtr-headline]")
        == f"Approved: prior authorization {pa_number}, valid through {expiry}"
    )
    assert page.inner_text("[data-testid=dtr-coverage-covered]") == "covered"
    assert page.inner_text("[data-testid=dtr-coverage-pa-needed]") == "satisfied"
    calls = [c.split(":")[0] for c in page.locator("[data-testid=dtr-call]").all_inner_texts()]
    assert calls == ["$questionnaire-package", "$populate", "$next-question", "$next-question", "$next-question"]
    shot = Path(os.environ.get("E2E_SCREENSHOT_DIR", str(tmp_path))) / "dtr-flow.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # the EHR signs the order again: CRD keeps the DTR approval (no needs-info, the same PA number)
    send(page)
    assert coverage_cell(page, "MedicationRequest/mr-sotorasib", "satisfied-pa-id") == pa_number
    assert not page.is_visible("[data-testid=dtr-panel]")
