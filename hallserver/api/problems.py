"""Every refusal the HTTP API gives, in one documented shape, and declared in the OpenAPI
document on every operation that can give it.

The shape (`ProblemBody`): `{"detail": {"code", "message", "message_en", "errors"?}}` —
a stable machine code, the reason in Chinese and in English, and for a refused form the
fields at fault, each with where and what in both languages (the admin page marks them).

What an operation declares is what it can answer: the statuses its route names with
`problems(...)` (what its service may refuse: 404, 409, ...) and those that follow from how
it is built, found by `declare_problems`: 422 for any parameter or body, 400 for a body
that cannot be read, 401/403 from its login dependencies (tagged with `answers`), 403 for
a forged cross-site write on any state change (api/csrf.py) and 429 everywhere (rate
limits, api/ratelimit.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hallserver.config.wording import FIELDS, reason_en, reason_zh
from hallserver.domain.errors import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    IllegalTransition,
    InvalidRequest,
    NotAllowed,
    NotFound,
    Refused,
    TooMany,
)
from hallserver.domain.privacy import mask_personal
from hallserver.services.auth import LoginFailed

logger = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    """One field at fault: its path, where it is in words, and what is wrong."""

    path: str = Field(description="dotted path of the field, e.g. `body.category`")
    where: str = Field(description="the field in Chinese words")
    where_en: str
    message: str = Field(description="what is wrong, in Chinese")
    message_en: str


class Problem(BaseModel):
    """Why a request was refused."""

    code: str = Field(description="stable machine code: login_required, forbidden, "
                                  "not_found, refused reasons, invalid_request, "
                                  "rate_limited, ...")
    message: str = Field(description="the reason in Chinese (personal data masked)")
    message_en: str = Field(description="the reason in English")
    errors: list[FieldProblem] | None = Field(
        default=None, description="the fields at fault (invalid requests and layouts)")


class ProblemBody(BaseModel):
    """The body of every 4xx and 5xx answer of the API."""

    detail: Problem


# What each status means on this API (the OpenAPI descriptions).
MEANING: dict[int, str] = {
    400: "the body could not be read (not JSON in UTF-8): `malformed_body`",
    401: "not signed in, the session ended, or wrong credentials: `login_required`, "
         "`login_failed`",
    403: "signed in without the role, or a forged cross-site write: `forbidden`, "
         "`not_allowed`, `cross_origin`",
    404: "no such record (or not yours to see): `not_found`",
    409: "refused in the hall's present state (hours, daily cap, a ticket's or window's "
         "state, a stale version): the reason's code",
    422: "the request does not match its schema, or its values are refused: "
         "`invalid_request` with `errors`, `layout_invalid`, `idempotency_key_reused`",
    429: "too many requests, logins or live streams from this source: `rate_limited`, "
         "`login_locked`, `too_many_streams` (see Retry-After)",
    503: "a part of the server this needs is not available here",
}

# Domain refusals and their statuses (the first matching class wins).
DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (Refused, status.HTTP_409_CONFLICT),
    (IllegalTransition, status.HTTP_409_CONFLICT),
    (Conflict, status.HTTP_409_CONFLICT),
    (NotAllowed, status.HTTP_403_FORBIDDEN),
    (NotFound, status.HTTP_404_NOT_FOUND),
    (InvalidRequest, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (IdempotencyConflict, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (LoginFailed, status.HTTP_401_UNAUTHORIZED),
    (TooMany, status.HTTP_429_TOO_MANY_REQUESTS),
]

# Starlette's own refusals (detail given as text) as problems.
_PLAIN: dict[int, tuple[str, str, str]] = {
    400: ("malformed_body", "请求内容无法解析（应为 UTF-8 编码的 JSON）",
          "the request body could not be read (JSON in UTF-8 expected)"),
    404: ("not_found", "没有这个地址", "no such address"),
    405: ("method_not_allowed", "此地址不支持该请求方法", "method not allowed here"),
}


def problem(status_code: int, code: str, message: str, message_en: str, *,
            errors: Iterable[Mapping[str, str]] | None = None,
            headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A refusal in the API's one shape (messages masked: they may echo what was typed)."""
    body: dict[str, Any] = {"code": code, "message": mask_personal(message),
                            "message_en": mask_personal(message_en)}
    if errors is not None:
        body["errors"] = list(errors)
    return JSONResponse({"detail": body}, status_code=status_code,
                        headers=dict(headers) if headers else None)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the refusals its service may give (404, 409, ...)."""
    return {s: {"description": MEANING[s]} for s in statuses}


F = TypeVar("F", bound=Callable[..., Any])


def answers(*statuses: int) -> Callable[[F], F]:
    """Tag a dependency with the refusals it gives: every operation using it declares them."""
    def tag(fn: F) -> F:
        fn.__dict__["problem_statuses"] = frozenset(statuses)
        return fn
    return tag


# --- handlers ---------------------------------------------------------------------------

_PLACES = {"body": ("请求内容", "body"), "query": ("查询参数", "query"),
           "path": ("路径", "path"), "header": ("请求头", "header"),
           "cookie": ("Cookie", "cookie")}


def _field_problem(err: Mapping[str, Any]) -> dict[str, str]:
    if err.get("type") == "json_invalid":  # loc is ("body", character offset)
        at = next((p for p in err.get("loc", ()) if isinstance(p, int)), 0)
        return {"path": "body", "where": "请求内容", "where_en": "body",
                "message": f"不是有效的 JSON（第 {at + 1} 个字符附近）",
                "message_en": f"not valid JSON (near character {at + 1})"}
    loc = [p for p in err.get("loc", ()) if isinstance(p, str | int)]
    zh: list[str] = []
    en: list[str] = []
    path = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
            zh.append(f"第{part + 1}项")
            en.append(f"[{part}]")
            continue
        path += f".{part}" if path else part
        place = _PLACES.get(part) if i == 0 else None
        zh.append(place[0] if place else FIELDS.get(part, part))
        en.append(place[1] if place else part)
    return {"path": mask_personal(path or "(request)"),
            "where": mask_personal(" › ".join(zh) or "（请求）"),
            "where_en": mask_personal(" › ".join(en) or "(request)"),
            "message": mask_personal(reason_zh(err)), "message_en": mask_personal(reason_en(err))}


def install_problem_handlers(app: FastAPI) -> None:
    """Every refusal, whoever raises it, answered as a `ProblemBody`."""
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        code = next((s for t, s in DOMAIN_STATUS if isinstance(exc, t)),
                     status.HTTP_400_BAD_REQUEST)
        headers = ({"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooMany)
                   else None)
        return JSONResponse({"detail": exc.as_dict()}, status_code=code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Where and what, never the submitted values (they may hold personal data).
        return problem(status.HTTP_422_UNPROCESSABLE_CONTENT, "invalid_request",
                       "请求格式不正确", "invalid request",
                       errors=[_field_problem(e) for e in exc.errors()])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        if isinstance(exc.detail, dict):  # ours (api/deps.py): already a problem
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=headers)
        code, zh, en = _PLAIN.get(exc.status_code, (
            f"http_{exc.status_code}", "请求未能完成", str(exc.detail)))
        return problem(exc.status_code, code, zh, en, headers=headers)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        # The trace goes to the log (masked by its formatter); the body says nothing of it.
        logger.error("unhandled error in %s %s", request.method, request.url.path,
                     exc_info=exc)
        return problem(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal_error",
                       "服务器内部错误，已记录，请稍后重试",
                       "internal server error (logged); please try again")


# --- the OpenAPI document -----------------------------------------------------------------

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REF = "#/components/schemas/ProblemBody"


def _dependency_statuses(dependant: Dependant) -> set[int]:
    found: set[int] = set(getattr(dependant.call, "problem_statuses", ()))
    for sub in dependant.dependencies:
        found |= _dependency_statuses(sub)
    return found


def route_problems(route: APIRoute, method: str) -> set[int]:
    """The refusals an operation can give by how it is built (its own `problems(...)`
    aside)."""
    found = {status.HTTP_429_TOO_MANY_REQUESTS} | _dependency_statuses(route.dependant)
    if route.body_field is not None:
        found |= {status.HTTP_400_BAD_REQUEST, status.HTTP_422_UNPROCESSABLE_CONTENT}
    if get_flat_params(route.dependant):
        found.add(status.HTTP_422_UNPROCESSABLE_CONTENT)
    if method in UNSAFE:
        found.add(status.HTTP_403_FORBIDDEN)
    return found


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query, header or path parameter's schema without FastAPI's `null` branch (for an
    optional `str | None`): such a parameter is absent, never null; `?x=null` is the text
    "null" and would be refused."""
    branches = schema.get("anyOf")
    if not branches:
        return schema
    kept = [b for b in branches if b.get("type") != "null"]
    if len(kept) != 1:
        return {**schema, "anyOf": kept}
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **rest}


def declare_problems(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Make `app.openapi()` declare every refusal of every operation of `routers` (those
    the app includes) with `ProblemBody` (FastAPI's own 422 schema, which our bodies do not
    follow, is replaced)."""
    routes = [r for router in routers for r in router.routes
              if isinstance(r, APIRoute) and r.include_in_schema]
    declared: list[dict[str, Any]] = []  # the document already amended (FastAPI caches it)

    def openapi() -> dict[str, Any]:
        doc = FastAPI.openapi(app)
        if declared and declared[0] is doc:
            return doc
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        body = ProblemBody.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(body.pop("$defs", {}))
        schemas["ProblemBody"] = body
        for route in routes:
            for method in route.methods or ():
                operation = doc["paths"][route.path_format][method.lower()]
                for parameter in operation.get("parameters", ()):
                    parameter["schema"] = _without_null(parameter.get("schema", {}))
                responses = operation.setdefault("responses", {})
                for code in route_problems(route, method):
                    responses.setdefault(str(code), {})
                for code, response in responses.items():
                    if code[0] in "45":
                        if response.get("description") in (None, "", "Validation Error"):
                            response["description"] = MEANING.get(int(code), "")
                        response["content"] = {"application/json": {"schema": {"$ref": _REF}}}
        used = str(doc["paths"])
        for unused in ("HTTPValidationError", "ValidationError"):
            if f"/{unused}'" not in used:
                schemas.pop(unused, None)
        declared[:] = [doc]
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
