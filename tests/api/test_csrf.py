"""Cross-site request forgery (hallserver/api/csrf.py): a state change made with the session
cookie from another origin's page is refused; the hall's own pages, programs and bearer
tokens pass."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from support import DEMO_CONFIG, PASSWORD, FakeClock, seed_users

from hallserver.api.csrf import origin_of
from hallserver.app import create_app
from hallserver.settings import Settings


def cookie_login(client: TestClient, username: str = "10001") -> None:
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert client.cookies.get("ow_session")


def staff_at_window_1(client: TestClient) -> object:
    return client.get("/api/windows/1").json()["staff"]


@pytest.mark.parametrize("foreign", [
    {"Origin": "http://testserver:8081"},  # another port of the same host (same site)
    {"Origin": "https://testserver"},  # another scheme
    {"Origin": "null"},  # a sandboxed frame or a file
    {"Referer": "http://evil.example/page.html"},  # an older browser without Origin
])
def test_a_foreign_page_cannot_act_with_the_staff_cookie(client: TestClient,
                                                         foreign: dict[str, str]) -> None:
    cookie_login(client)
    r = client.post("/api/windows/1/sign-in", json={"role": "A"}, headers=foreign)
    assert r.status_code == 403, r.text
    assert r.json()["detail"]["code"] == "cross_origin"
    assert "拒绝" in r.json()["detail"]["message"]
    assert staff_at_window_1(client) is None  # nothing reached the route


def test_own_pages_programs_and_tokens_pass(client: TestClient) -> None:
    cookie_login(client)
    own = client.post("/api/windows/1/sign-in", json={"role": "A"},
                      headers={"Origin": "http://testserver"})
    assert own.status_code == 200, own.text
    program = client.post("/api/windows/1/pause", json={"reason": "会议或培训"})  # no Origin
    assert program.status_code == 200, program.text
    referer = client.post("/api/windows/1/resume",
                          headers={"Referer": "http://testserver/window/1"})
    assert referer.status_code == 200, referer.text
    token = client.post("/api/auth/login",
                        json={"username": "10001", "password": PASSWORD}).json()["token"]
    bearer = client.post("/api/windows/1/away", headers={
        "Origin": "http://elsewhere:9000", "Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200, bearer.text
    reads = client.get("/api/windows/1", headers={"Origin": "http://elsewhere:9000"})
    assert reads.status_code == 200


def test_the_public_url_behind_a_tls_proxy_is_the_servers_own(sqlite_url: str,
                                                              clock: FakeClock) -> None:
    # The proxy speaks https to browsers and http to us (the test client): the cookie's
    # Secure flag (on by default behind https) would keep the test client from sending it.
    app = create_app(Settings(config=DEMO_CONFIG, database_url=sqlite_url, bus=False,
                              public_url="https://hall.example.gov.cn", cookie_secure=False),
                     clock=clock)
    seed_users(app.state.services)
    with TestClient(app) as client:
        cookie_login(client)
        r = client.post("/api/windows/1/sign-in", json={"role": "A"},
                        headers={"Origin": "https://hall.example.gov.cn"})
        assert r.status_code == 200, r.text
        r = client.post("/api/windows/1/sign-out",
                        headers={"Origin": "https://other.example.gov.cn"})
        assert r.status_code == 403


def test_origins_are_compared_with_their_ports_written_out() -> None:
    assert origin_of("http://Hall.local") == "http://hall.local:80"
    assert origin_of("http://hall.local:80/x?y") == "http://hall.local:80"
    assert origin_of("https://hall.local") == "https://hall.local:443"
    assert origin_of("http://[::1]:8080") == "http://::1:8080"
    assert origin_of("null") is None
    assert origin_of("http://hall.local:99999") is None


@pytest.mark.parametrize(("public_url", "cookie_secure", "secure"), [
    ("https://hall.example.gov.cn", None, True),  # behind TLS: Secure without being asked
    (None, None, False),  # plain http on the LAN: a Secure cookie would never come back
    (None, True, True),
    ("https://hall.example.gov.cn", False, False),  # set explicitly: as set
])
def test_the_session_cookie_is_secure_when_the_hall_is_reached_over_https(
        sqlite_url: str, clock: FakeClock, public_url: str | None,
        cookie_secure: bool | None, secure: bool) -> None:
    app = create_app(Settings(config=DEMO_CONFIG, database_url=sqlite_url, bus=False,
                              public_url=public_url, cookie_secure=cookie_secure),
                     clock=clock)
    seed_users(app.state.services)
    with TestClient(app) as client:
        r = client.post("/api/auth/login", json={"username": "10001", "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"].lower()
        assert cookie.startswith("ow_session=") and "httponly" in cookie
        assert ("; secure" in cookie) is secure, cookie
