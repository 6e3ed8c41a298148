"""Web pages served by the hall server (assets local, no CDN)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hallserver.web import admin_page, dashboard_page, reports_page, screen_page
from hallserver.web.docs_page import mount_docs
from hallserver.web.pages import STATIC_DIR, router

# Every page router, in the order the app includes them.
routers = [router, screen_page.router, dashboard_page.router, reports_page.router,
           admin_page.router]


def mount_static(app: FastAPI) -> None:
    """Serve the pages' scripts, styles and images under /static."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


__all__ = ["STATIC_DIR", "mount_docs", "mount_static", "router", "routers"]
