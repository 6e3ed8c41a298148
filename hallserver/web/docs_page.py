"""The API docs page `/docs` (Swagger UI) with its scripts and styles served by the hall
server itself: a hall's network often has no internet, and FastAPI's default page loads them
from a CDN (a blank page offline).

The Swagger UI files come from the `fastapi-offline` package (a copy of swagger-ui-dist 5,
which reads OpenAPI 3.1); the page starts it from our own `/static/docs.js`, so it runs under
the same kind of strict Content-Security-Policy as the other pages (no inline script)."""

from __future__ import annotations

import html
import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from hallserver.web.pages import SHELL_HEADERS

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

ASSETS_URL = "/docs/assets"
TITLE = "OneWindow 一窗通 API 接口文档"

# Swagger UI sets element styles from script (allowed by style-src 'self') and draws its
# icons as data: images; it fetches only /openapi.json: the pages' own policy serves it.

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon.png">
</head><body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body></html>
"""

_MISSING = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/common.css"></head>
<body class="plain"><main class="notice"><h1>接口文档页面缺少 Swagger UI 文件</h1>
<p>请安装 Python 包 fastapi-offline。接口描述（OpenAPI）在
<a href="/openapi.json">/openapi.json</a>。</p>
<p lang="en">The API docs page needs the Python package fastapi-offline (Swagger UI's files).
The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p>
</main></body></html>
"""


def swagger_ui_dir() -> Path | None:
    """The installed Swagger UI files (swagger-ui-bundle.js, swagger-ui.css), or None."""
    try:
        import fastapi_offline  # noqa: PLC0415
    except ImportError:
        return None
    directory = Path(fastapi_offline.__file__).parent / "static"
    return directory if (directory / "swagger-ui-bundle.js").is_file() else None


def mount_docs(app: FastAPI) -> None:
    """Serve /docs and its Swagger UI files from this server (FastAPI's own /docs is off)."""
    directory = swagger_ui_dir()
    if directory is None:
        logger.warning("API docs page without Swagger UI: the package fastapi-offline is "
                       "not installed (/openapi.json still works)")
        body = _MISSING.format(title=html.escape(TITLE))
        status = 503
    else:
        app.mount(ASSETS_URL, StaticFiles(directory=directory), name="docs-assets")
        body = _PAGE.format(title=html.escape(TITLE), assets=ASSETS_URL)
        status = 200

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI for /openapi.json."""
        return HTMLResponse(body, status_code=status, headers=SHELL_HEADERS)
