"""Administration API: layout edits validated like hall.yaml, versions, refusals, logins."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import PASSWORD, FakeClock, login, take

from devices.protocol.topics import DeviceType
from hallserver.domain.errors import Conflict
from hallserver.services.admin import AdminService
from hallserver.services.admin_accounts import UpdateUser
from hallserver.services.devices import DeviceInfo
from hallserver.services.views import Principal
from hallserver.store.models import AdminAuditRow, HallLayoutRow, UserRow

NEW_PASSWORD = "Hall-2026-new"


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return login(client, "admin")


def load(client: TestClient, h: dict[str, str]) -> dict[str, Any]:
    r = client.get("/api/admin/layout", headers=h)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def save(client: TestClient, h: dict[str, str], version: int, document: dict[str, Any],
         expect: int = 200) -> dict[str, Any]:
    r = client.put("/api/admin/layout", json={"version": version, "document": document},
                   headers=h)
    assert r.status_code == expect, r.text
    body: dict[str, Any] = r.json()
    return body


def window(document: dict[str, Any], number: int) -> dict[str, Any]:
    found: dict[str, Any] = next(w for w in document["windows"] if w["number"] == number)
    return found


def errors_of(body: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {e["path"]: e for e in body["detail"]["errors"]}


def test_layout_document_has_version_roster_and_who_saved_it(client: TestClient,
                                                            admin: dict[str, str]) -> None:
    body = load(client, admin)
    assert body["version"] == 1
    assert body["created_by"] == "config-file"
    assert len(body["document"]["windows"]) == 24
    assert body["document"]["staff"][0]["id"] == "10001"  # the roster is part of it


def test_skill_change_takes_effect_for_the_next_call(client: TestClient, clock: FakeClock,
                                                    admin: dict[str, str]) -> None:
    a = take(client, {"category": "A"}).json()  # qiye, window 3's primary
    clock.advance(minutes=10)
    c = take(client, {"category": "C"}).json()  # shebao: not at window 3
    staff = login(client, "10003")
    assert client.post("/api/windows/3/sign-in", json={"role": "A"},
                       headers=staff).status_code == 200
    body = load(client, admin)
    doc = body["document"]
    window(doc, 3).update(primary="shebao", secondary=[])
    saved = save(client, admin, body["version"], doc)
    assert saved["version"] == 2 and saved["changed"] is True
    assert saved["created_by"] == "admin"
    assert saved["changes"] == ["windows: 3 (primary, secondary)"]
    # The public layout and the window view follow at once.
    assert window(client.get("/api/layout").json(), 3)["primary"] == "shebao"
    r = client.post("/api/windows/3/call-next", headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["called"]["number"] == c["number"]  # C001, though A001 waited longer
    assert a["number"] == "A001"


def test_unchanged_document_is_no_new_version(client: TestClient,
                                              admin: dict[str, str]) -> None:
    body = load(client, admin)
    saved = save(client, admin, body["version"], body["document"])
    assert (saved["version"], saved["changed"], saved["changes"]) == (1, False, [])


def test_bad_reference_is_refused_naming_the_field_in_both_languages(
        client: TestClient, admin: dict[str, str]) -> None:
    body = load(client, admin)
    doc = body["document"]
    window(doc, 3)["primary"] = "nosuch"
    doc["staff"][0]["role_b"] = [99]
    r = save(client, admin, body["version"], doc, expect=422)
    detail = r["detail"]
    assert detail["code"] == "layout_invalid"
    errors = errors_of(r)
    primary = errors["windows[2].primary"]
    assert primary["message"] == "没有业务类别 'nosuch'"
    assert primary["message_en"] == "unknown category 'nosuch'"
    assert primary["where"] == "窗口 第3行（3） › 主办类别"
    assert primary["where_en"] == "windows[2] (3) › primary"
    assert errors["staff[0].role_b[0]"]["message"] == "没有 99 号窗口"
    assert "窗口 第3行（3） › 主办类别" in detail["message"] and "(2 problems)" in \
        detail["message_en"]
    assert load(client, admin)["version"] == 1  # nothing stored


def test_duplicate_codes_are_refused(client: TestClient, admin: dict[str, str]) -> None:
    body = load(client, admin)
    doc = body["document"]
    doc["categories"][1]["code"] = "qiye"  # budongchan renamed onto qiye
    doc["categories"][2]["prefix"] = "A"
    errors = errors_of(save(client, admin, body["version"], doc, expect=422))
    assert errors["categories[1].code"]["message"] == "业务类别代码重复：'qiye'"
    assert errors["categories[1].code"]["message_en"] == "duplicate category code 'qiye'"
    assert errors["categories[2].prefix"]["message"] == "号码前缀重复：'A'"


def test_field_rules_are_the_yaml_rules(client: TestClient, admin: dict[str, str]) -> None:
    # Field errors come first; the cross-reference pass runs once the fields are valid
    # (as for hall.yaml).
    body = load(client, admin)
    doc = body["document"]
    doc["categories"][3]["daily_cap"] = 0
    doc["items"][0]["promised_limit_days"] = 400
    doc["windows"][0]["colour"] = "red"
    doc["windows"][1]["number"] = "two"
    errors = errors_of(save(client, admin, body["version"], doc, expect=422))
    assert errors["categories[3].daily_cap"]["message"] == "不能小于 1"
    assert errors["categories[3].daily_cap"]["message_en"] == \
        "Input should be greater than or equal to 1"
    assert errors["items[0].promised_limit_days"]["message"] == "不能大于 365"
    assert errors["windows[0].colour"]["message"].startswith("未知字段")
    assert errors["windows[1].number"]["message"] == "应为整数"
    assert errors["windows[1].number"]["where"] == "窗口 第2行（two） › 窗口号"


def test_cross_field_rule_of_an_item(client: TestClient, admin: dict[str, str]) -> None:
    body = load(client, admin)
    doc = body["document"]
    doc["items"][0].update(legal_limit_days=1, promised_limit_days=5)
    errors = errors_of(save(client, admin, body["version"], doc, expect=422))
    assert errors["items[0]"]["message"] == "承诺时限不得超过法定时限"


def test_stale_version_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    body = load(client, admin)
    first, second = body["document"], load(client, admin)["document"]
    window(first, 1)["name"] = {"zh": "1号窗口（企业）", "en": "Window 1 (Business)"}
    assert save(client, admin, 1, first)["version"] == 2
    window(second, 2)["express"] = True
    r = save(client, admin, 1, second, expect=409)
    assert r["detail"]["code"] == "stale_version"
    assert "第 1 版" in r["detail"]["message"] and "version 1" in r["detail"]["message_en"]
    assert window(load(client, admin)["document"], 2)["express"] is False


def test_removing_what_the_hall_uses_is_refused(client: TestClient,
                                                admin: dict[str, str]) -> None:
    take(client, {"category": "F"})  # gongjijin: one waiting
    staff = login(client, "10001")
    client.post("/api/windows/1/sign-in", json={"role": "A"}, headers=staff)
    services = client.app.state.services  # type: ignore[attr-defined]
    services.devices.known["pad-24"] = DeviceInfo("pad-24", DeviceType.PAD, window=24, zone="b")
    body = load(client, admin)
    doc = body["document"]
    doc["categories"] = [c for c in doc["categories"] if c["code"] != "gongjijin"]
    doc["items"] = [i for i in doc["items"] if i["category"] != "gongjijin"]
    for w in doc["windows"]:
        w["secondary"] = [s for s in w["secondary"] if s != "gongjijin"]
        if w["primary"] == "gongjijin":
            w["primary"], w["secondary"] = "shebao", []
    doc["windows"] = [w for w in doc["windows"] if w["number"] not in (1, 24)]
    for s in doc["staff"]:
        s["role_a"] = [n for n in s["role_a"] if n not in (1, 24)]
        s["role_b"] = [n for n in s["role_b"] if n not in (1, 24)]
    r = save(client, admin, body["version"], doc, expect=409)
    assert r["detail"]["code"] == "layout_in_use"
    messages = [e["message"] for e in r["detail"]["errors"]]
    assert any("gongjijin" in m and "1 张未办结" in m for m in messages), messages
    assert any("1 号窗口有人在岗" in m for m in messages), messages
    assert any("pad-24" in m and "24 号窗口" in m for m in messages), messages
    assert load(client, admin)["version"] == 1


def test_prefix_is_fixed_for_the_day_once_numbers_were_issued(
        client: TestClient, admin: dict[str, str]) -> None:
    take(client, {"category": "A"})
    body = load(client, admin)
    doc = body["document"]
    doc["categories"][0]["prefix"] = "Q"
    r = save(client, admin, body["version"], doc, expect=409)
    assert errors_of(r)["categories[0].prefix"]["message_en"].startswith("category 'qiye'")
    doc["categories"][1]["prefix"] = "R"  # budongchan issued nothing today: fine
    doc["categories"][0]["prefix"] = "A"
    assert save(client, admin, body["version"], doc)["version"] == 2


def test_hall_id_cannot_change(client: TestClient, admin: dict[str, str]) -> None:
    body = load(client, admin)
    body["document"]["hall"]["id"] = "other"
    r = save(client, admin, body["version"], body["document"], expect=422)
    assert list(errors_of(r)) == ["hall.id"]


def test_new_roster_member_gets_a_login_without_password_and_audit(
        client: TestClient, admin: dict[str, str]) -> None:
    body = load(client, admin)
    doc = body["document"]
    doc["staff"].append({"id": "20001", "name": "新同事", "role_a": [], "role_b": [3]})
    save(client, admin, body["version"], doc)
    users = {u["username"]: u for u in client.get("/api/admin/users", headers=admin).json()}
    assert users["20001"]["on_roster"] and not users["20001"]["has_password"]
    assert users["20001"]["role"] == "staff"
    services = client.app.state.services  # type: ignore[attr-defined]
    with services.ctx.db.read() as s:
        rows = list(s.scalars(select(HallLayoutRow).order_by(HallLayoutRow.version)))
        entry = s.scalar(select(AdminAuditRow))
        assert [r.created_by for r in rows] == ["config-file", "admin"]
        assert (entry.actor, entry.action, entry.target) == ("admin", "layout.save", "v2")
        assert "added 20001" in entry.detail
    versions = client.get("/api/admin/layout/versions", headers=admin).json()
    assert [v["version"] for v in versions] == [2, 1]
    audit = client.get("/api/admin/audit", headers=admin).json()
    assert audit[0]["action"] == "layout.save"


def test_admin_routes_are_for_admins_only(client: TestClient) -> None:
    for who in ("10001", "manager"):
        h = login(client, who)
        for method, path in (("GET", "/api/admin/layout"), ("GET", "/api/admin/users"),
                             ("PUT", "/api/admin/layout")):
            r = client.request(method, path, headers=h, json={"version": 1, "document": {}})
            assert r.status_code == 403, (who, path, r.text)
    assert client.get("/api/admin/layout").status_code == 401


# ---- logins ---------------------------------------------------------------------------


def try_login(client: TestClient, username: str, password: str) -> int:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    client.cookies.clear()
    return r.status_code


def test_create_user_never_returns_the_password(client: TestClient,
                                                admin: dict[str, str]) -> None:
    r = client.post("/api/admin/users", headers=admin, json={
        "username": "duty2", "display_name": "值班主任二", "role": "manager",
        "password": NEW_PASSWORD})
    assert r.status_code == 201, r.text
    assert NEW_PASSWORD not in r.text and "scrypt" not in r.text
    assert r.json()["role"] == "manager" and r.json()["has_password"]
    assert try_login(client, "duty2", NEW_PASSWORD) == 200
    listed = client.get("/api/admin/users", headers=admin)
    assert "scrypt" not in listed.text and "password_hash" not in listed.text
    again = client.post("/api/admin/users", headers=admin, json={
        "username": "duty2", "display_name": "x", "role": "staff", "password": NEW_PASSWORD})
    assert again.status_code == 409 and again.json()["detail"]["message"] == "用户名 duty2 已存在"
    weak = client.post("/api/admin/users", headers=admin, json={
        "username": "duty3", "display_name": "x", "role": "staff", "password": "aaaaaaaa"})
    assert weak.status_code == 422 and "密码太简单" in weak.json()["detail"]["message"]
    short = client.post("/api/admin/users", headers=admin, json={
        "username": "duty3", "display_name": "x", "role": "staff", "password": "short"})
    assert short.status_code == 422
    services = client.app.state.services  # type: ignore[attr-defined]
    with services.ctx.db.read() as s:
        stored = s.scalar(select(UserRow).where(UserRow.username == "duty2"))
        assert stored.password_hash.startswith("scrypt$")


def test_reset_password_disable_enable_and_role(client: TestClient,
                                                admin: dict[str, str]) -> None:
    staff = login(client, "10002")
    r = client.patch("/api/admin/users/10002", headers=admin, json={"password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    assert client.get("/api/auth/me", headers=staff).status_code == 401  # sessions ended
    assert try_login(client, "10002", PASSWORD) == 401
    assert try_login(client, "10002", NEW_PASSWORD) == 200
    staff = login_with(client, "10002", NEW_PASSWORD)
    assert client.patch("/api/admin/users/10002", headers=admin,
                        json={"active": False}).json()["active"] is False
    assert client.get("/api/auth/me", headers=staff).status_code == 401
    assert try_login(client, "10002", NEW_PASSWORD) == 401
    client.patch("/api/admin/users/10002", headers=admin, json={"active": True})
    assert try_login(client, "10002", NEW_PASSWORD) == 200
    promoted = client.patch("/api/admin/users/10002", headers=admin, json={"role": "manager"})
    assert promoted.json()["role"] == "manager"
    h = login_with(client, "10002", NEW_PASSWORD)
    assert client.get("/api/devices", headers=h).status_code == 200  # a manager now
    missing = client.patch("/api/admin/users/nobody", headers=admin, json={"active": False})
    assert missing.status_code == 404
    trail = client.get("/api/admin/audit", headers=admin).json()
    # The two refused logins (old password, disabled account) are in the trail too.
    assert [a["actor"] for a in trail if a["action"] == "login.failed"] == ["10002", "10002"]
    actions = [(a["action"], a["target"], a["detail"])
               for a in trail if a["action"].startswith("user.")]
    assert actions[:4] == [("user.update", "10002", "role staff -> manager"),
                           ("user.update", "10002", "enabled"),
                           ("user.update", "10002", "disabled"),
                           ("user.update", "10002", "password reset")]


def login_with(client: TestClient, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_admin_cannot_disable_or_demote_themselves_nor_the_last_admin(
        client: TestClient, admin: dict[str, str]) -> None:
    r = client.patch("/api/admin/users/admin", headers=admin, json={"active": False})
    assert r.status_code == 403 and r.json()["detail"]["message"] == "不能停用自己的账号"
    r = client.patch("/api/admin/users/admin", headers=admin, json={"role": "manager"})
    assert r.status_code == 403
    client.post("/api/admin/users", headers=admin, json={
        "username": "admin2", "display_name": "第二管理员", "role": "admin",
        "password": NEW_PASSWORD})
    other = login_with(client, "admin2", NEW_PASSWORD)
    # Another admin may demote admin while admin2 remains.
    r = client.patch("/api/admin/users/admin", headers=other, json={"role": "manager"})
    assert r.status_code == 200, r.text
    assert client.get("/api/admin/users", headers=admin).status_code == 403
    # Through the API the last admin is always the caller (refused above); the rule also
    # holds for any other caller of the service (a script, a future CLI).
    services = client.app.state.services  # type: ignore[attr-defined]
    accounts = AdminService.build(services.ctx, services.devices, services.auth).accounts
    outsider = Principal(username="script", display_name="script", role="admin")
    with pytest.raises(Conflict, match="last active admin"):
        accounts.update("admin2", UpdateUser(active=False), outsider)
    with pytest.raises(Conflict, match="last active admin"):
        accounts.update("admin2", UpdateUser(role="staff"), outsider)
