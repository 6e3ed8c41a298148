"""Writes docs/protocol.md from the message models and the topic catalogue.

`python -m devices.protocol.docgen docs/protocol.md` regenerates it; a test fails when the
committed page differs, so the page is always the protocol the code speaks."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from devices.protocol import messages as m
from devices.protocol.catalog import ROUTES, Route
from devices.protocol.topics import DeviceType, Kind

AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
MSG = "3f2a9c1e6b7d4e0f8a1b2c3d4e5f6a7b"
REQ = "9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e"
ENVELOPE = {"msg_id": MSG, "sent_at": AT}

_WINDOW = m.WindowDisplayState(
    version=1795397400123, window=5, window_name=m.Text(zh="5号窗口", en="Window 5"),
    mode=m.WindowMode.OPEN, number="A012", ticket_state="called",
    staff=[m.StaffOnDuty(role="A", staff_id="10005", name="王芳")], **ENVELOPE)
_CALL = m.CallAnnouncement(
    call_id=REQ, number="A012", window=5,
    text=m.Text(zh="请 A012 号到 5 号窗口办理", en="Ticket A012, please go to window 5"),
    speech="请A零一二号，到五号窗口办理", repeat=2, **ENVELOPE)

EXAMPLES: dict[type[m.Message], m.Message] = {
    m.DeviceStatus: m.DeviceStatus(state=m.Presence.ONLINE, epoch=1795397400000,
                                   config_version=1, software="onewindow-kiosk 0.1",
                                   **ENVELOPE),
    m.ServerStatus: m.ServerStatus(state=m.Presence.ONLINE, epoch=1795397300000, **ENVELOPE),
    m.TicketRequest: m.TicketRequest(request_id=REQ, category="qiye", item=None,
                                     priority=False, **ENVELOPE),
    m.TicketIssued: m.TicketIssued(
        request_id=REQ, number="A012", category="qiye",
        category_name=m.Text(zh="企业开办", en="Business registration"), people_ahead=3,
        predicted_wait_min=9, zone=m.Text(zh="一楼综合受理区", en="Floor 1"),
        windows=[1, 2, 3, 14], status_path="/t/Xq3v9kPz2LwR8sT1", issued_at=AT, **ENVELOPE),
    m.CheckIn: m.CheckIn(request_id=REQ, code="7K3M-0Q9T-XW2P-5RBA", **ENVELOPE),
    m.CatalogRequest: m.CatalogRequest(request_id=REQ, have_version=2, **ENVELOPE),
    m.ServiceCatalog: m.ServiceCatalog(
        request_id=REQ, version=3, hall_name=m.Text(zh="示范政务服务中心",
                                                    en="Demo Service Hall"),
        categories=[m.CatalogCategory(
            code="qiye", prefix="A", name=m.Text(zh="企业开办", en="Business registration"),
            zone="zone-a", zone_name=m.Text(zh="综合受理A区", en="Zone A"), floor=1,
            windows=[1, 2], items=[m.CatalogItem(
                code="QY-001", name=m.Text(zh="有限责任公司设立登记",
                                           en="Limited company registration"),
                promised_limit_days=1, legal_limit_days=3,
                materials=[m.CatalogMaterial(name="公司登记申请书", copies=1)],
                expected_minutes=18)])],
        **ENVELOPE),
    m.Query: m.Query(request_id=REQ, kind="case", token="Kp4sV9wQ2xR7tY1z",  # noqa: S106
                     **ENVELOPE),
    m.QueryResult: m.QueryResult(
        request_id=REQ, found=True, case=m.CaseView(
            case_no="DEMO-20261121-0007", status="accepted",
            status_name=m.Text(zh="已受理", en="accepted"),
            items=[m.Text(zh="有限责任公司设立登记", en="Limited company registration")],
            accepted_at=AT, promised_by=AT, working_days_left=3, window=5,
            owner="王芳 (0105)"), **ENVELOPE),
    m.TicketRefused: m.TicketRefused(request_id=REQ, code="daily_cap",
                                     message="今日企业开办号票已取完",
                                     message_en="today's tickets for this category are gone",
                                     **ENVELOPE),
    m.PrintJob: m.PrintJob(job_id=REQ, document=m.TicketDocument(
        number="A012", category_name=m.Text(zh="企业开办", en="Business registration"),
        people_ahead=3, predicted_wait_min=9, zone=m.Text(zh="一楼", en="Floor 1"),
        windows=[1, 2], qr_url="http://hall.example/t/Xq3v9kPz2LwR8sT1", issued_at=AT),
        **ENVELOPE),
    m.PrintResult: m.PrintResult(job_id=REQ, ok=False, error=m.PrintError.PAPER_OUT,
                                 **ENVELOPE),
    m.PrinterStatus: m.PrinterStatus(paper=m.PaperState.NEAR_END, cover_open=False,
                                     online=True, **ENVELOPE),
    m.WindowDisplayState: _WINDOW,
    m.ScreenState: m.ScreenState(
        version=1795397400456,
        windows=[m.ScreenWindow(window=5, mode=m.WindowMode.OPEN, number="A012")],
        queues=[m.ScreenQueue(category="qiye", name=m.Text(zh="企业开办",
                              en="Business registration"), waiting=7)],
        latest=_CALL, **ENVELOPE),
    m.KioskState: m.KioskState(version=1795397400789, accepting=True,
                               waiting={"qiye": 7, "shebao": 2}, **ENVELOPE),
    m.CallAnnouncement: _CALL,
    m.CallerKey: m.CallerKey(request_id=REQ, key=m.CallerKeyName.CALL, **ENVELOPE),
    m.KeyResult: m.KeyResult(request_id=REQ, ok=True, number="A012",
                             message="请 A012 号到 5 号窗口办理", **ENVELOPE),
    m.PadArm: m.PadArm(token=REQ, number="A012", window=5, expires_at=AT,
                       category_name=m.Text(zh="企业开办", en="Business registration"),
                       staff=m.StaffOnDuty(role="A", staff_id="S001", name="张敏",
                                           photo="3f2a9c0d11e4b7a5"), **ENVELOPE),
    m.Rating: m.Rating(token=REQ, level=2, reasons=["wait-too-long"], **ENVELOPE),
    m.PhotoRequest: m.PhotoRequest(request_id=REQ, staff_id="S001", **ENVELOPE),
    m.StaffPhoto: m.StaffPhoto(request_id=REQ, staff_id="S001", found=True,
                               photo="3f2a9c0d11e4b7a5", jpeg_b64="/9j/4AAQSkZJRgABAQ...",
                               **ENVELOPE),
    m.RatingAck: m.RatingAck(token=REQ, accepted=True, **ENVELOPE),
    m.HardwareStatus: m.HardwareStatus(ok=False, detail="serial-down", **ENVELOPE),
    m.HelperRequest: m.HelperRequest(request_id=REQ, reason="elderly", **ENVELOPE),
    m.ConfigPush: m.ConfigPush(config_version=2, config={"idle_return_s": 60}, **ENVELOPE),
}

INTRO = """\
# OneWindow device protocol (一窗通设备协议) v1

Generated from `devices/protocol/` by `python -m devices.protocol.docgen docs/protocol.md`;
a test keeps it equal to the code. Everything a device needs is on this page.

## Connecting
- MQTT 3.1.1 (MQTT 5 brokers accept it too), TCP port 1883 by default (TLS where configured).
- **Username = client id = the device id** from its config file (`^[a-z0-9-]{1,32}$`,
  unique within a hall); the password is the device's own secret. A client id different
  from the username is refused (embedded broker) or replaced by it (Mosquitto).
- Keepalive: the device config's `mqtt.keepalive` (15 s by default). The broker declares a
  device lost after 1.5 x keepalive without traffic and publishes its will.
- Will (set before every connect): topic `hall/{hall}/{type}/{id}/status`, QoS 1,
  **retained**, payload `DeviceStatus` with `state: "offline"` and this connection's
  `epoch`.
- After CONNACK: subscribe (QoS 1) to `hall/{hall}/{type}/{id}/cmd/+`,
  `hall/{hall}/{type}/{id}/state` and `hall/{hall}/server/status`; then publish the birth:
  the same status topic, retained, `state: "online"`, the same `epoch`. On a clean shutdown
  publish `offline` (retained) yourself before DISCONNECT.
- `epoch` must grow with every connection, across restarts too (milliseconds since 1970
  at connect time work). The server ignores a status whose epoch is older than the newest
  it has seen, so a will that arrives after you already reconnected cannot mark you offline.
- Reconnect with exponential backoff and jitter (0.5 s doubling, capped at 30 s).

## Access rules (enforced by the broker)
A device may publish only `hall/{hall}/+/{id}/status` and `hall/{hall}/+/{id}/evt/+`, and
receive only its own `status`, `state` and `cmd/+` topics plus `hall/{hall}/server/status`.
Anything else is silently dropped by the broker.

## Topics
```
hall/{hall}/{type}/{id}/status        retained  online|offline + epoch (birth / will)
hall/{hall}/{type}/{id}/state         retained  versioned snapshot (server -> display)
hall/{hall}/{type}/{id}/evt/{name}    device -> server, never retained
hall/{hall}/{type}/{id}/cmd/{name}    server -> device, never retained
hall/{hall}/server/status             retained  the server's birth / will
```
Device types: {types}.

## Payloads
- UTF-8 JSON objects, at most {max_kb} KiB. Unknown fields are refused.
- Every payload has `v` (protocol version, `1`), `msg_id` (8-64 characters `A-Za-z0-9_-`,
  unique per message; keep it when you resend the same message) and `sent_at`
  (ISO 8601 with offset).
- **Events are applied once**: the server stores each event's `msg_id` in the same
  transaction as its effect. Publish events at QoS 1 and resend until PUBACK, keeping
  the `msg_id`; duplicates are harmless. Keep unsent events on disk across restarts.
- **Requests and replies**: a request carries `request_id`; the reply on your `cmd/...`
  echoes it. Resending a ticket request with the same `request_id` returns the same
  ticket (`replayed: true`), never a second one. Show a ticket only after `ticket-issued`.
- **Never retain an event.** The server refuses retained events and deletes them.
  **Ignore a retained command** (it would replay a key press on every reconnect).
- **State** topics are retained and carry `version`; show a state only if its version is
  higher than the one shown. The server republishes every state when it (re)connects and
  when a device comes online.
- The server refuses bad messages (malformed JSON, wrong types, unknown fields, too large,
  unknown device, wrong direction) and counts them; it does not answer them.

## Example: take a number with mosquitto-clients
One connection, as a real device has (a second connection under the same username would
take the first one over): `mosquitto_rr` publishes the request and waits for the reply.
```sh
mosquitto_rr -h 127.0.0.1 -p 1883 -V mqttv311 -q 1 -i kiosk-a1 -u kiosk-a1 -P "$PASSWORD" \\
    -t hall/demo/kiosk/kiosk-a1/evt/ticket-request \\
    -e hall/demo/kiosk/kiosk-a1/cmd/ticket-issued \\
    -m '{"v":1,"msg_id":"m0000000001","sent_at":"2026-11-23T09:30:00+08:00",
         "request_id":"r0000000001","category":"qiye"}'
```
The reply is the `TicketIssued` below (a refusal comes on `cmd/ticket-refused` instead).
"""


def _example(model: type[m.Message]) -> str:
    return json.dumps(json.loads(EXAMPLES[model].model_dump_json()), ensure_ascii=False,
                      indent=2)


def _fields(model: type[BaseModel]) -> str:
    schema: dict[str, Any] = model.model_json_schema()
    required = set(schema.get("required", []))
    defs: dict[str, Any] = schema.get("$defs", {})
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        if name in {"v", "msg_id", "sent_at"}:
            continue
        rows.append(f"| `{name}` | {_type(prop, defs)} | {'yes' if name in required else 'no'} | "
                    f"{prop.get('description', '').replace('|', '/')} |")
    return "\n".join(rows)


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "anyOf" in prop:
        return " or ".join(_type(p, defs) for p in prop["anyOf"])
    if "oneOf" in prop:
        return " or ".join(_type(p, defs) for p in prop["oneOf"])
    if "$ref" in prop:
        name = str(prop["$ref"]).rsplit("/", 1)[-1]
        target = defs.get(name, {})
        return _type(target, defs) if "enum" in target else name
    if "enum" in prop:
        return " / ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if prop.get("type") == "array":
        return f"list of {_type(prop.get('items', {}), defs)}"
    kind = str(prop.get("type", "object"))
    if "format" in prop:
        kind += f" ({prop['format']})"
    if "pattern" in prop:
        kind += f" `{prop['pattern']}`"
    if "minimum" in prop or "maximum" in prop:
        kind += f" {prop.get('minimum', '')}..{prop.get('maximum', '')}"
    return kind


def _topic(route: Route) -> str:
    tail = route.kind.value if route.name is None else f"{route.kind.value}/{route.name}"
    return f"hall/{{hall}}/{{type}}/{{id}}/{tail}"


def render() -> str:
    """The whole page."""
    out = [INTRO.replace("{types}", ", ".join(f"`{t.value}`" for t in DeviceType))
           .replace("{max_kb}", str(m.MAX_PAYLOAD_BYTES // 1024))]
    out.append("## Topic table\n")
    out.append("| topic | sender | retained | device types | message | what |")
    out.append("|---|---|---|---|---|---|")
    out.append("| `hall/{hall}/server/status` | server | yes | (server) | ServerStatus | "
               "the server's birth / will |")
    for r in ROUTES:
        types = ", ".join(sorted(t.value for t in r.device_types))
        out.append(f"| `{_topic(r)}` | {r.sender} | {'yes' if r.retained else 'no'} | "
                   f"{types} | {r.model.__name__} | {r.summary} |")
    out.append("\n## Messages\n")
    models: list[type[m.Message]] = [m.ServerStatus]
    for r in ROUTES:
        if r.model not in models:
            models.append(r.model)
    for model in models:
        doc = " ".join((model.__doc__ or "").split())
        out.append(f"### {model.__name__}\n\n{doc}\n\n{_fields(model)}\n")
        out.append(f"```json\n{_example(model)}\n```\n")
    out.append("## Shared types\n")
    shared: list[type[BaseModel]] = [m.Text, m.StaffOnDuty, m.ScreenWindow, m.ScreenQueue,
                                     m.TicketDocument, m.ReceiptDocument]
    for part in shared:
        doc = " ".join((part.__doc__ or "").split())
        out.append(f"### {part.__name__}\n\n{doc}\n\n{_fields(part)}\n")
    kinds = ", ".join(k.value for k in Kind)
    out.append(f"Topic kinds: {kinds}.\n")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """Write the page to the given path (default docs/protocol.md)."""
    target = Path(argv[0] if argv else "docs/protocol.md")
    target.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
