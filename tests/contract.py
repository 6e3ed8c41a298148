"""The API contract, checked on every response the test client sees: each operation answers
only with statuses its OpenAPI document declares, and every refusal is a `ProblemBody`.

The `client` fixture installs it, so every API test also checks the contract on the flows it
drives (tests/api/test_contract.py adds schemathesis's generated requests)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from hallserver.api.problems import ProblemBody


class ContractBroken(AssertionError):
    """A response the OpenAPI document does not allow."""


Paths = list[tuple[re.Pattern[str], dict[str, Any]]]
_documents: dict[str, Paths] = {}  # every app of a test run has the same routes: one document


def _paths(app: FastAPI) -> Paths:
    """The document's operations by path pattern, fixed paths before templated ones
    (/api/appointments/check-in is not an appointment id); built once per process (FastAPI
    builds the document in a tenth of a second, and every API test has an app of its own)."""
    key = f"{app.title} {app.version}"
    if key not in _documents:
        ordered = sorted(app.openapi()["paths"].items(), key=lambda p: "{" in p[0])
        _documents[key] = [(re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+",
                                              re.escape(template)) + "$"), ops)
                           for template, ops in ordered]
    return _documents[key]


class ContractCheck:
    """`check(response)` raises ContractBroken on an undeclared status or a refusal body
    that is not a ProblemBody. Responses of paths outside the document are not checked."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.checked = 0

    def _declared(self, method: str, path: str) -> dict[str, Any] | None:
        for pattern, operations in _paths(self.app):
            if pattern.match(path):
                operation = operations.get(method.lower())
                return None if operation is None else dict(operation["responses"])
        return None

    def check(self, response: httpx.Response) -> None:
        request = response.request
        declared = self._declared(request.method, request.url.path)
        if declared is None:
            return
        self.checked += 1
        where = f"{request.method} {request.url.path} answered {response.status_code}"
        if str(response.status_code) not in declared:
            raise ContractBroken(f"{where}: not declared (declared: {sorted(declared)})")
        if response.status_code >= 400:
            if not response.headers.get("content-type", "").startswith("application/json"):
                raise ContractBroken(f"{where}: a refusal that is not JSON")
            response.read()
            try:
                ProblemBody.model_validate_json(response.content)
            except ValueError as exc:
                raise ContractBroken(f"{where}: not a ProblemBody: {exc}") from None


def install(client: httpx.Client, app: FastAPI) -> ContractCheck:
    """Check every response `client` receives from `app`."""
    contract = ContractCheck(app)
    client.event_hooks["response"].append(contract.check)
    return contract
