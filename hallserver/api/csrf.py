"""Cross-site request forgery: a state change made with the session cookie comes from the hall
server's own pages or is refused.

The session cookie is SameSite=Lax, which stops other *sites* but not other *origins* of the
same site: a page on another port of the hall server's host (or any host under the same
registrable domain) could make a signed-in staff browser call next or sign out. Browsers send
`Origin` with every cross-origin request that changes state, so:

* POST/PUT/PATCH/DELETE carrying the session cookie and no `Authorization` header must have an
  `Origin` (else a `Referer`) that is the server's own: the origin the request was addressed
  to (its Host), the public URL (`HALL_PUBLIC_URL`, which a TLS proxy may put in front) or the
  local one;
* requests with neither header come from programs, not pages (a browser always sends one of
  them with a cross-origin state change), and bearer-token requests cannot be forged by a page:
  both pass.

Refusals are 403 `cross_origin` in Chinese and English; nothing reaches the routes.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from hallserver.api.deps import SESSION_COOKIE
from hallserver.api.problems import problem

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host:port` of a URL (the port always written), or None if it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname.lower()}:{port or _DEFAULT_PORTS[parts.scheme]}"


def _has_session_cookie(headers: Headers) -> bool:
    # Starlette's own parser (lenient, as browsers are): what `request.cookies` would hold
    return any(SESSION_COOKIE in cookie_parser(raw) for raw in headers.getlist("cookie"))


def forged(method: str, scheme: str, headers: Headers, trusted: Iterable[str]) -> bool:
    """Whether a request is a cookie-authenticated state change from a foreign origin."""
    if method not in UNSAFE_METHODS or "authorization" in headers:
        return False
    if not _has_session_cookie(headers):
        return False
    claimed = headers.get("origin") or headers.get("referer")
    if claimed is None:
        return False  # not from a page
    own = {o for o in (origin_of(f"{scheme}://{headers.get('host', '')}"), *trusted) if o}
    return origin_of(claimed) not in own


class SameOriginGuard:
    """ASGI middleware refusing forged state changes (`forged`) with a 403."""

    def __init__(self, app: ASGIApp, trusted_urls: Iterable[str]) -> None:
        self.app = app
        self.trusted = tuple(o for o in (origin_of(u) for u in trusted_urls) if o)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and forged(scope["method"], scope.get("scheme", "http"),
                                              Headers(scope=scope), self.trusted):
            refusal = problem(403, "cross_origin",
                              "请求来自其他网页，已拒绝；请在本系统页面内操作",
                              "refused: the request came from another site's page; use the "
                              "hall server's own pages")
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
