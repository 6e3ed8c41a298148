"""The API's contract (#16 item 13): every refusal is one documented shape (`ProblemBody`), and
every status an operation answers is declared in /openapi.json.

Three layers check it: the `client` fixture checks every response of every API test
(tests/contract.py); the tests below pin the shapes; and schemathesis drives the API from its
own document, per role (anonymous, staff, manager, admin), stateless (every operation) and
stateful (chains it infers from the document, e.g. a ticket's token into its status page),
with all its checks: no 5xx, no undeclared status, every body as declared."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from contract import ContractBroken, ContractCheck
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.python import asgi as st_asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance
from support import (
    DEMO_CONFIG,
    MONDAY_MORNING,
    FakeClock,
    login,
    migrated_sqlite,
    seed_users,
    take,
)

from hallserver.api.problems import ProblemBody
from hallserver.app import create_app
from hallserver.settings import Settings

# --- the shapes ---------------------------------------------------------------------------


def test_every_refusal_in_the_document_is_a_problem_body(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    operations = [(p, m, op) for p, ops in doc["paths"].items() for m, op in ops.items()]
    assert len(operations) > 50
    for path, method, op in operations:
        codes = op["responses"]
        refusals = [c for c in codes if c[0] in "45"]
        assert "429" in codes, (method, path)  # rate limits hold on every route
        for c in refusals:
            schema = codes[c]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ProblemBody"}, (method, path, c)
        if method in ("post", "put", "patch", "delete"):
            assert "403" in codes, (method, path)  # the cross-site guard
    by_op = {(p, m): set(op["responses"]) for p, m, op in operations}
    assert {"401", "403"} <= by_op[("/api/admin/users", "get")]
    assert "401" not in by_op[("/api/queues", "get")]  # public
    assert {"401", "404", "409"} <= by_op[("/api/windows/{number}/call-next", "post")]
    assert {"200", "201"} <= by_op[("/api/tickets", "post")]  # 200: an idempotent replay


def _problem(r: httpx.Response) -> dict[str, Any]:
    return ProblemBody.model_validate(r.json()).detail.model_dump()


def test_a_body_that_is_not_utf8_json_is_a_400_problem(client: TestClient) -> None:
    r = client.post("/api/auth/login", content=b'{"username": "\xff"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert _problem(r)["code"] == "malformed_body"


def test_a_422_names_each_field_in_both_languages_and_masks_values(
        client: TestClient) -> None:
    r = client.post("/api/windows/1/pause", headers=login(client, "10001"),
                    json={"reason": 5, "13812345678": 1})
    assert r.status_code == 422
    problem = _problem(r)
    assert problem["code"] == "invalid_request"
    by_path = {e["path"]: e for e in problem["errors"]}
    assert by_path["body.reason"]["where"] == "请求内容 › reason"
    assert by_path["body.reason"]["message"] == "应为文字"
    assert "13812345678" not in r.text  # an unknown key that is a phone number, masked
    assert any("138****5678" in e["path"] for e in problem["errors"])


def test_broken_json_says_where(client: TestClient) -> None:
    r = client.post("/api/auth/login", content=b'{"username": "a",',
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    (error,) = _problem(r)["errors"]
    assert error["path"] == "body"
    assert error["message"] == "不是有效的 JSON（第 18 个字符附近）"


def test_unknown_addresses_and_methods_answer_in_the_same_shape(client: TestClient) -> None:
    r = client.get("/api/no-such-thing")
    assert (r.status_code, _problem(r)["code"]) == (404, "not_found")
    r = client.delete("/api/queues")
    assert (r.status_code, _problem(r)["code"]) == (405, "method_not_allowed")
    assert r.headers["allow"] == "GET"  # the refusal keeps its header


def test_a_crash_is_a_500_problem_that_tells_nothing(
        sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(Settings(config=DEMO_CONFIG, database_url=sqlite_url, bus=False),
                     clock=clock)

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("secret path /etc/hall and 13812345678")

    monkeypatch.setattr(app.state.services.queues, "overview", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/queues")
    assert r.status_code == 500
    assert _problem(r)["code"] == "internal_error"
    assert "secret" not in r.text and "Traceback" not in r.text


def test_the_contract_check_catches_an_undeclared_status(client: TestClient) -> None:
    check = ContractCheck(client.app)  # type: ignore[arg-type]
    ok = httpx.Response(204, request=httpx.Request("POST", "http://t/api/auth/logout"))
    check.check(ok)
    undeclared = httpx.Response(404, json={"detail": {"code": "x", "message": "x",
                                                      "message_en": "x"}},
                                request=httpx.Request("POST", "http://t/api/auth/logout"))
    with pytest.raises(ContractBroken, match="not declared"):
        check.check(undeclared)
    not_a_problem = httpx.Response(404, json={"detail": "Not Found"},
                                   request=httpx.Request("GET", "http://t/api/windows/3"))
    with pytest.raises(ContractBroken, match="not a ProblemBody"):
        check.check(not_a_problem)
    assert check.checked == 3


# --- schemathesis, per role ---------------------------------------------------------------

ROLES = {"anonymous": None, "staff": "10001", "manager": "manager", "admin": "admin"}
# Not driven: logout ends the role's own session; the live stream never ends (tests/api and
# tests/web test both).
EXCLUDED = ("/api/auth/logout", "/api/events")
# A deeper search by hand: ONEWINDOW_CONTRACT_SCALE=10 multiplies the examples and draws new
# ones each run (CI runs the fixed, derandomized scale 1).
SCALE = int(os.environ.get("ONEWINDOW_CONTRACT_SCALE", "1"))
STATELESS_EXAMPLES = 6 * SCALE  # per operation and role
# The advisor simulates days of the hall per request (about 2 s): one example (it has its own
# tests, tests/api/test_advisor.py).
EXAMPLES = {"/api/advisor/what-if": 1}
STATEFUL = settings(max_examples=8 * SCALE, stateful_step_count=10, deadline=None,
                    derandomize=SCALE == 1,
                    database=None, suppress_health_check=list(HealthCheck))


class Hall:
    """A hall app for one role: its token, and what its requests met."""

    def __init__(self, role: str, record: Hall | None = None) -> None:
        self.role = role
        self.dir = Path(tempfile.mkdtemp(prefix=f"contract-{role}-"))
        self.clock = FakeClock(MONDAY_MORNING)
        # Rate limits off: the run is one client making many requests (429 is declared).
        self.app: FastAPI = create_app(
            Settings(config=DEMO_CONFIG, database_url=migrated_sqlite(self.dir), bus=False,
                     rate_limits=False), clock=self.clock)
        seed_users(self.app.state.services)
        self.headers: dict[str, str] = {}
        # What requests met, here or (`record`) in the role's first hall.
        self.statuses: Counter[int] = record.statuses if record else Counter()
        self.failures: dict[str, str] = record.failures if record else {}
        with TestClient(self.app) as c:
            user = ROLES[role]
            if user is not None:
                self.headers = login(c, user)
            for category in ("A", "B", "C"):  # something waiting, to call and to look up
                assert take(c, {"category": category}).status_code == 201
            if role == "staff":  # at window 1, so window actions meet a real state
                r = c.post("/api/windows/1/sign-in", json={"role": "A"}, headers=self.headers)
                assert r.status_code == 200, r.text

    def close(self) -> None:
        self.app.state.services.ctx.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)



_schema: list[Any] = []  # the document, loaded once (each call names its hall's app)


def _loaded(app: FastAPI) -> Any:
    if not _schema:
        loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
        _schema.append(loaded.exclude(path=list(EXCLUDED)))
    return _schema[0]


_halls: dict[str, Hall] = {}  # one per role: the stateless run's, and the role's record
_made: list[Hall] = []  # the stateful run's, one per example


@schemathesis.check
def schema_valid_input_passes_validation(_ctx: Any, response: Any, case: Any) -> bool | None:
    """A request the document says is valid is not refused by the request's own validation
    (a 422 `invalid_request` naming fields): the document and the models agree. (A 422 from a
    business rule, such as a slot that ends before it starts, has no `errors` and passes;
    schemathesis's stricter `positive_data_acceptance` counts those too.)"""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (
            400, 422):
        return None
    detail = json.loads(response.content).get("detail", {})
    assert response.status_code != 400, "a valid body could not be read"
    assert not (detail.get("code") == "invalid_request" and detail.get("errors")), \
        f"schema-valid input refused by validation: {detail['errors']}"
    return None


def validate(hall: Hall, case: Any, response: Any) -> None:
    """Every schemathesis check, with the positive-data one replaced by ours above. A
    failure is recorded, not raised: hypothesis would replay the example to shrink it, and
    the hall's state has moved on since (the test asserts on the record)."""
    hall.statuses[response.status_code] += 1
    try:
        case.validate_response(response, excluded_checks=[positive_data_acceptance],
                               additional_checks=[schema_valid_input_passes_validation])
    except Exception as exc:
        kinds = sorted({line.strip() for line in str(exc).splitlines()
                        if line.strip().startswith("- ")})
        hall.failures.setdefault(f"{case.method} {case.path} {kinds}", str(exc)[:3000])


def _hall(role: str) -> Hall:
    if role not in _halls:
        _halls[role] = Hall(role)
    return _halls[role]


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    lines = {role: {"requests": sum(h.statuses.values()),
                    "5xx": sum(n for s, n in h.statuses.items() if s >= 500),
                    "failures": len(h.failures),
                    "statuses": dict(sorted(h.statuses.items()))}
             for role, h in _halls.items()}
    print("\ncontract run:", json.dumps(lines, ensure_ascii=False))
    st_asgi.shutdown_lifespans()
    for h in (*_halls.values(), *_made):
        h.close()
    _halls.clear()
    _made.clear()


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_keeps_its_contract(role: str) -> None:
    """Every operation, a few generated requests each (valid and invalid), as this role."""
    hall = _hall(role)
    schema = _loaded(hall.app)
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES.get(operation.path, STATELESS_EXAMPLES),
                  deadline=None, derandomize=SCALE == 1, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            validate(hall, case, case.call(headers=hall.headers, app=hall.app))

        run()
    assert not hall.failures, "\n\n".join(hall.failures.values())
    assert sum(hall.statuses.values()) >= STATELESS_EXAMPLES * 10


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_chains_of_operations_keep_their_contract(role: str) -> None:
    """Stateful: sequences through the links schemathesis infers (logout excluded)."""
    hall = _hall(role)
    machine = _loaded(hall.app).as_state_machine()
    before = sum(hall.statuses.values())
    halls_made: list[Hall] = []  # closed with the module's (their lifespans run till then)

    class Driven(machine):  # type: ignore[misc,valid-type]
        """Each example on a hall of its own: the links carry values from one response into
        the next request, and on a shared hall the same draws would meet other data (which
        hypothesis reports as flaky generation)."""

        def setup(self) -> None:
            self.hall = Hall(role, record=hall)
            halls_made.append(self.hall)
            _made.append(self.hall)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": dict(self.hall.headers), "app": self.hall.app}

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            validate(hall, case, response)

    Driven.run(settings=STATEFUL)
    assert len(halls_made) >= STATEFUL.max_examples
    assert not hall.failures, "\n\n".join(hall.failures.values())
    assert sum(hall.statuses.values()) - before >= STATEFUL.max_examples
