"""Rate limits on the HTTP API (the `limits` library, in memory, per process).

Every request except the static files counts against its source address, in one of three
buckets: anonymous reads, anonymous writes (rejoin, cancel, login...), and requests that
carry a session or credential (staff pages, the hall's devices). Ticket issue counts
against the identity that issued it as well (`RateLimits.hit("issue", ...)` in the route),
so neither a stolen kiosk secret nor a staff account can empty a day's numbers.

Windows are real seconds (a flood is measured in wall time) and exact: a moving window
keeps the time of each counted request (at most the limit per key), so "60/minute" is
never 61 in any 60 s. Over the limit: 429 with `Retry-After` and a message in Chinese
and English. A hall behind one NAT address (the hall's Wi-Fi for citizens' phones) shares
the anonymous buckets: the defaults leave room for that and are settings
(HALL_RATE_LIMIT_*; HALL_RATE_LIMITS=false turns them off, e.g. for benchmarks).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from hallserver.api.problems import problem
from hallserver.domain.errors import TooMany

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXEMPT_PREFIXES = ("/static/",)


class RateLimited(TooMany):
    """Too many requests from one source or identity."""

    code = "rate_limited"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"请求过于频繁，请 {retry_after_s} 秒后再试",
                         f"too many requests; try again in {retry_after_s} s", retry_after_s)


class RateLimits:
    """Named limits over one in-memory store."""

    def __init__(self, limits: Mapping[str, str]) -> None:
        self.limits: dict[str, RateLimitItem] = {name: parse(text)
                                                 for name, text in limits.items()}
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, name: str, key: str) -> None:
        """Count one request of `key` under limit `name`; RateLimited when over it."""
        item = self.limits[name]
        if self._limiter.hit(item, name, key):
            return
        reset = self._limiter.get_window_stats(item, name, key).reset_time
        raise RateLimited(max(1, math.ceil(reset - time.time())))


def _carries_credentials(headers: Headers, cookie_name: str) -> bool:
    return "authorization" in headers or f"{cookie_name}=" in headers.get("cookie", "")


class RateLimitMiddleware:
    """Counts every request against its source address (pure ASGI: streams pass through)."""

    def __init__(self, app: ASGIApp, limits: RateLimits, cookie_name: str) -> None:
        self.app = app
        self.limits = limits
        self.cookie_name = cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _carries_credentials(headers, self.cookie_name):
            bucket = "signed_in"
        elif scope["method"] in SAFE_METHODS:
            bucket = "anonymous_reads"
        else:
            bucket = "anonymous_writes"
        client = scope.get("client")
        source = client[0] if client else ""
        try:
            self.limits.hit(bucket, source)
        except RateLimited as exc:
            response = problem(429, exc.code, exc.message_zh, exc.message_en,
                               headers={"Retry-After": str(exc.retry_after_s)})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
