"""The API docs page /docs works offline: everything it loads comes from the hall server
(FastAPI's default page loads Swagger UI from a CDN: blank without internet), under a strict
Content-Security-Policy, and Swagger UI draws the API from /openapi.json."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from web_support import Hall, browser_marks, browser_page

CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


def test_docs_page_loads_only_same_origin_assets(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in r.text  # no inline script: the CSP would block it
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert len(urls) == 4, urls  # Swagger UI's script and styles, its icon, our start script
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        kind = CONTENT_TYPES[Path(parts.path).suffix]
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
        assert len(asset.content) > 100, url
    start = client.get("/static/docs.js").text
    assert '"/openapi.json"' in start and "validatorUrl: null" in start
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/redoc").status_code == 404  # ReDoc would load a CDN: not served


def _browser_test(test: Any) -> Any:
    for mark in browser_marks():
        test = mark(test)
    return test


@_browser_test
def test_swagger_ui_draws_the_api_without_the_internet(browser: Any, hall: Hall,
                                                       shots: Path) -> None:
    from playwright.sync_api import Page, Route, expect  # noqa: PLC0415

    elsewhere: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(hall.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    csp_violations: list[str] = []
    with browser_page(browser, hall.url) as page:
        p: Page = page
        p.route("**/*", offline)
        p.on("console", lambda m: csp_violations.append(m.text)
             if "Content Security Policy" in m.text else None)
        p.goto("/docs")
        expect(p.locator(".swagger-ui .info .title")).to_contain_text("OneWindow")
        expect(p.locator(".opblock").first).to_be_visible()
        assert p.locator(".opblock").count() > 20
        p.locator(".opblock-summary-path", has_text="/api/tickets").first.click()
        expect(p.locator(".opblock-body").first).to_be_visible()
        p.screenshot(path=str(shots / "docs-offline.png"))
    assert elsewhere == []
    assert csp_violations == []

