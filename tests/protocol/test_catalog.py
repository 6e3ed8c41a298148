"""Which message goes where, and how payloads are refused: every route decodes its own
example and refuses every other model's; bad payloads get a counter-friendly reason and
never an echo of personal data."""

from __future__ import annotations

import inspect
import json
import re
import traceback
from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from devices.protocol import catalog
from devices.protocol import messages as m
from devices.protocol.catalog import ROUTES, DecodeError, Route, decode, encode, route_for
from devices.protocol.docgen import EXAMPLES
from devices.protocol.topics import DeviceType, Kind, Topic, evt, server_status, status

HALL = "demo"
DEVICE = "dev-1"
ID_CARD = "110101199003071234"  # 18-digit resident ID number (fictional)
MOBILE = "13812345678"
MSG_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def topic_of(route: Route, device_type: DeviceType) -> Topic:
    return Topic(HALL, device_type, DEVICE, route.kind, route.name)


ROUTE_TOPICS = [
    pytest.param(route, device_type, id=f"{route.model.__name__}@{device_type.value}")
    for route in ROUTES for device_type in sorted(route.device_types)
]

MESSAGE_MODELS: list[type[m.Message]] = sorted(
    (obj for _, obj in inspect.getmembers(m, inspect.isclass)
     if issubclass(obj, m.Message) and obj is not m.Message),
    key=lambda cls: cls.__name__)

PAYLOAD_MODELS: list[type[BaseModel]] = sorted(
    (obj for _, obj in inspect.getmembers(m, inspect.isclass)
     if issubclass(obj, BaseModel) and obj.__module__ == m.__name__),
    key=lambda cls: cls.__name__)


def payload(model: type[m.Message], **changes: Any) -> dict[str, Any]:
    """The model's example as a JSON object, with `changes` applied (None deletes)."""
    data: dict[str, Any] = json.loads(encode(EXAMPLES[model]))
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    return data


def as_bytes(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def refused(topic: Topic, raw: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode(topic, raw)
    return info.value


STATUS_TOPIC = status(HALL, DeviceType.KIOSK, "kiosk-a1")


# ---- round trips ----------------------------------------------------------------------------

@pytest.mark.parametrize(("route", "device_type"), ROUTE_TOPICS)
def test_every_route_decodes_its_example(route: Route, device_type: DeviceType) -> None:
    example = EXAMPLES[route.model]
    decoded = decode(topic_of(route, device_type), encode(example))
    assert type(decoded) is route.model
    assert decoded == example
    assert encode(decoded) == encode(example)


def test_server_status_decodes_its_example() -> None:
    example = EXAMPLES[m.ServerStatus]
    decoded = decode(server_status(HALL), encode(example))
    assert type(decoded) is m.ServerStatus
    assert decoded == example


def test_encode_is_compact_utf8_json() -> None:
    raw = encode(EXAMPLES[m.TicketRefused])
    text = raw.decode("utf-8")
    assert "今日" in text  # not \u-escaped
    assert ": " not in text
    assert ", " not in text
    assert json.loads(raw)["v"] == 1


# ---- one model per topic --------------------------------------------------------------------

# A server birth/will has exactly the required fields of a device birth/will (both are
# presence), so it is a valid DeviceStatus by design; every other pair must be refused.
SAME_SHAPE = {(m.ServerStatus, m.DeviceStatus)}


@pytest.mark.parametrize(("route", "device_type"), ROUTE_TOPICS)
def test_other_models_are_refused_on_a_route(route: Route, device_type: DeviceType) -> None:
    topic = topic_of(route, device_type)
    reasons: dict[type[m.Message], str] = {}
    for model, example in EXAMPLES.items():
        if model is route.model:
            continue
        try:
            decode(topic, encode(example))
        except DecodeError as exc:
            reasons[model] = exc.reason
        else:
            reasons[model] = "accepted"
    accepted = {(model, route.model) for model, reason in reasons.items()
                if reason == "accepted"}
    assert accepted == {pair for pair in SAME_SHAPE if pair[1] is route.model}
    assert set(reasons.values()) <= {"invalid", "accepted"}, reasons


def test_other_models_are_refused_on_the_server_topic() -> None:
    for model, example in EXAMPLES.items():
        if model is not m.ServerStatus:
            assert refused(server_status(HALL), encode(example)).reason == "invalid", model


def test_route_for_is_unambiguous() -> None:
    shapes = Counter((route.kind, route.name, device_type)
                     for route in ROUTES for device_type in route.device_types)
    assert [shape for shape, n in shapes.items() if n > 1] == []
    names = {route.name for route in ROUTES} | {None, "nothing-here"}
    for kind in Kind:
        for name in names:
            for device_type in DeviceType:
                owners = [r for r in ROUTES if r.kind is kind and r.name == name
                          and device_type in r.device_types]
                if kind in {Kind.EVT, Kind.CMD} and name is None:
                    continue  # not a topic
                if kind in {Kind.STATUS, Kind.STATE} and name is not None:
                    continue  # not a topic
                topic = Topic(HALL, device_type, DEVICE, kind, name)
                assert route_for(topic) == (owners[0] if owners else None)


def test_route_for_server_topic_is_none() -> None:
    assert route_for(server_status(HALL)) is None


def test_every_device_type_has_status_and_config() -> None:
    for device_type in DeviceType:
        found = route_for(status(HALL, device_type, DEVICE))
        assert found is not None
        assert found.model is m.DeviceStatus
        config = route_for(Topic(HALL, device_type, DEVICE, Kind.CMD, "config"))
        assert config is not None
        assert config.model is m.ConfigPush


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.kind.value}/{r.name}")
def test_routes_follow_the_topic_grammar(route: Route) -> None:
    """Events come from devices, commands and state from the server; status and state are
    retained, events and commands never."""
    sender = {Kind.STATUS: "device", Kind.EVT: "device", Kind.STATE: "server",
              Kind.CMD: "server"}
    assert route.sender == sender[route.kind]
    assert route.retained is (route.kind in {Kind.STATUS, Kind.STATE})
    assert (route.name is None) is (route.kind in {Kind.STATUS, Kind.STATE})
    assert route.device_types
    assert route.summary


# ---- decode errors --------------------------------------------------------------------------

def test_one_megabyte_is_too_large_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parsing(*args: object, **kwargs: object) -> object:
        raise AssertionError("parsed a payload that is too large")

    assert vars(catalog)["json"] is json  # decode() parses with json.loads
    monkeypatch.setattr(json, "loads", no_parsing)
    one_mb = 1024 * 1024
    for raw in (b"\xff" * one_mb, b"[" * one_mb,
                b'{"state":"online","epoch":1,"software":"' + b"a" * one_mb + b'"}'):
        exc = refused(STATUS_TOPIC, raw)
        assert exc.reason == "too-large"
        assert exc.detail.startswith(f"{len(raw)} bytes")


def test_size_limit_boundary() -> None:
    body = as_bytes(payload(m.DeviceStatus))
    assert len(body) < m.MAX_PAYLOAD_BYTES
    exact = body + b" " * (m.MAX_PAYLOAD_BYTES - len(body))
    assert len(exact) == 64 * 1024
    assert decode(STATUS_TOPIC, exact) == EXAMPLES[m.DeviceStatus]
    assert refused(STATUS_TOPIC, exact + b" ").reason == "too-large"


@pytest.mark.parametrize("raw", [
    b"",
    b"   ",
    b"{",
    b'{"state": "online",}',
    b"{'state': 'online'}",
    b"\xff\xfe\xfd",
    b'{"state": "online", "epoch": 1, "software": "\xff"}',
    b'{"state": "online", "epoch": 1, "software": "\xe7\xaa"}',  # truncated UTF-8
    b"\x00\x00\x00",
], ids=["empty", "blank", "open", "trailing-comma", "single-quotes", "non-utf8",
        "non-utf8-in-string", "truncated-utf8", "nul"])
def test_bad_bytes_and_bad_json_are_malformed(raw: bytes) -> None:
    exc = refused(STATUS_TOPIC, raw)
    assert exc.reason == "malformed-json"
    assert str(exc).startswith("malformed-json: ")


@pytest.mark.parametrize("raw", [b"[]", b'[{"state": "online", "epoch": 1}]', b"1", b"-2.5",
                                 b'"online"', b"true", b"null"])
def test_json_that_is_not_an_object_is_malformed(raw: bytes) -> None:
    exc = refused(STATUS_TOPIC, raw)
    assert exc.reason == "malformed-json"
    assert "not a JSON object" in exc.detail


def test_deeply_nested_json_is_malformed() -> None:
    assert refused(STATUS_TOPIC, b"[" * 60_000).reason == "malformed-json"


def test_huge_integer_literal_is_refused_as_decode_error() -> None:
    raw = b'{"state": "online", "epoch": ' + b"9" * 5000 + b"}"
    exc = refused(STATUS_TOPIC, raw)
    assert exc.reason in {"malformed-json", "invalid"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_non_utf8_encodings_are_malformed(encoding: str) -> None:
    raw = json.dumps(payload(m.DeviceStatus)).encode(encoding)
    assert refused(STATUS_TOPIC, raw).reason == "malformed-json"


def assert_no_personal_data(exc: DecodeError) -> None:
    shown = [str(exc), repr(exc), exc.detail, *map(str, exc.args),
             "".join(traceback.format_exception(exc))]
    for text in shown:
        assert ID_CARD not in text
        assert MOBILE not in text


@pytest.mark.parametrize(("model", "changes", "where"), [
    # wrong types
    (m.TicketRequest, {"category": f"{ID_CARD} {MOBILE}"}, "category"),
    (m.TicketRequest, {"request_id": [ID_CARD, MOBILE]}, "request_id"),
    (m.TicketRequest, {"priority": f"{ID_CARD}{MOBILE}"}, "priority"),
    (m.Rating, {"level": f"{ID_CARD}{MOBILE}"}, "level"),
    (m.Rating, {"level": int(MOBILE)}, "level"),
    (m.Rating, {"reasons": [f"{ID_CARD} {MOBILE}"]}, "reasons.0"),
    (m.HelperRequest, {"note": f"身份证{ID_CARD} 手机{MOBILE} " * 10}, "note"),
    (m.HelperRequest, {"reason": f"{ID_CARD}/{MOBILE}"}, "reason"),
    (m.DeviceStatus, {"epoch": f"{ID_CARD}-{MOBILE}"}, "epoch"),
    (m.DeviceStatus, {"software": {"id": ID_CARD, "phone": MOBILE}}, "software"),
    (m.CallerKey, {"reason": {"id": ID_CARD}, "key": MOBILE}, "key"),
    # unknown field
    (m.TicketRequest, {"id_card": ID_CARD, "phone": MOBILE}, "id_card"),
    (m.HelperRequest, {"extra": {"id": ID_CARD, "phone": MOBILE}}, "extra"),
    # missing required (alongside a personal value elsewhere)
    (m.TicketRequest, {"category": None, "phone": MOBILE}, "category"),
    (m.Rating, {"token": None, "level": ID_CARD}, "token"),
])
def test_invalid_payloads_name_the_field_but_never_the_value(
        model: type[m.Message], changes: dict[str, Any], where: str) -> None:
    route = next(r for r in ROUTES if r.model is model)
    topic = topic_of(route, sorted(route.device_types)[0])
    exc = refused(topic, as_bytes(payload(model, **changes)))
    assert exc.reason == "invalid"
    assert where in exc.detail
    assert_no_personal_data(exc)


def test_valid_note_with_personal_data_is_accepted_for_masking() -> None:
    """Free text is taken as is (the server masks it); only the size is limited."""
    topic = evt(HALL, DeviceType.KIOSK, "kiosk-a1", "helper-request")
    note = f"身份证{ID_CARD}"
    decoded = decode(topic, as_bytes(payload(m.HelperRequest, note=note)))
    assert isinstance(decoded, m.HelperRequest)
    assert decoded.note == note


def test_missing_required_says_missing() -> None:
    topic = evt(HALL, DeviceType.PAD, "pad-1", "rating")
    exc = refused(topic, as_bytes(payload(m.Rating, level=None)))
    assert exc.detail == "level: missing"


@pytest.mark.parametrize(("device_type", "kind", "name"), [
    (DeviceType.KIOSK, Kind.EVT, "no-such-event"),
    (DeviceType.KIOSK, Kind.CMD, "no-such-command"),
    (DeviceType.KIOSK, Kind.EVT, "rating"),          # a pad's event
    (DeviceType.PRINTER, Kind.EVT, "ticket-request"),  # a kiosk's event
    (DeviceType.KIOSK, Kind.EVT, "ticket-issued"),   # a command name as an event
    (DeviceType.KIOSK, Kind.CMD, "ticket-request"),  # an event name as a command
    (DeviceType.LED, Kind.CMD, "announce"),          # the screen's command
])
def test_unknown_topic(device_type: DeviceType, kind: Kind, name: str) -> None:
    topic = Topic(HALL, device_type, DEVICE, kind, name)
    exc = refused(topic, as_bytes(payload(m.TicketRequest)))
    assert exc.reason == "unknown-topic"
    assert str(topic) in exc.detail


def test_unknown_topic_wins_over_size() -> None:
    topic = evt(HALL, DeviceType.KIOSK, "kiosk-a1", "no-such-event")
    assert refused(topic, b"x" * (m.MAX_PAYLOAD_BYTES + 1)).reason == "unknown-topic"


# ---- envelope -------------------------------------------------------------------------------

@pytest.mark.parametrize("version", [2, 0, -1, "1", "v1", None, [1]])
def test_other_protocol_versions_are_refused(version: object) -> None:
    data = payload(m.DeviceStatus)
    data["v"] = version
    exc = refused(STATUS_TOPIC, as_bytes(data))
    assert exc.reason == "invalid"
    assert exc.detail.startswith("v: ")


@pytest.mark.parametrize("msg_id", [
    "abc1234",               # 7 characters
    "a" * 65,
    "",
    "has space",
    "with/slash1",
    "ünïcodé-id",
    "abcdefgh\n",
    "abcdefgh.ij",
    "编号一二三四五六七八",
])
def test_msg_id_pattern_is_enforced(msg_id: str) -> None:
    exc = refused(STATUS_TOPIC, as_bytes(payload(m.DeviceStatus, msg_id=msg_id)))
    assert exc.reason == "invalid"
    assert exc.detail.startswith("msg_id: ")


@pytest.mark.parametrize("msg_id", ["abcd1234", "A" * 64, "a_b-C_d-9", "--------"])
def test_msg_id_pattern_accepts(msg_id: str) -> None:
    decoded = decode(STATUS_TOPIC, as_bytes(payload(m.DeviceStatus, msg_id=msg_id)))
    assert decoded.msg_id == msg_id


@pytest.mark.parametrize("sent_at", ["2026-11-23T09:30:00", "2026-11-23 09:30:00",
                                     "2026-11-23", "yesterday", "2026-11-23T09:30:00+25:00"])
def test_sent_at_must_be_timezone_aware(sent_at: str) -> None:
    exc = refused(STATUS_TOPIC, as_bytes(payload(m.DeviceStatus, sent_at=sent_at)))
    assert exc.reason == "invalid"
    assert exc.detail.startswith("sent_at: ")


@pytest.mark.parametrize(("sent_at", "utc_hour"), [("2026-11-23T09:30:00+08:00", 1),
                                                   ("2026-11-23T01:30:00Z", 1),
                                                   ("2026-11-22T20:30:00-05:00", 1)])
def test_sent_at_with_offset_is_accepted(sent_at: str, utc_hour: int) -> None:
    decoded = decode(STATUS_TOPIC, as_bytes(payload(m.DeviceStatus, sent_at=sent_at)))
    assert decoded.sent_at.utcoffset() is not None
    assert decoded.sent_at == EXAMPLES[m.DeviceStatus].sent_at
    assert decoded.sent_at.utctimetuple().tm_hour == utc_hour


def test_nested_datetimes_must_be_timezone_aware() -> None:
    topic = Topic(HALL, DeviceType.PAD, "pad-1", Kind.CMD, "arm")
    exc = refused(topic, as_bytes(payload(m.PadArm, expires_at="2026-11-23T09:30:00")))
    assert exc.reason == "invalid"
    assert "expires_at" in exc.detail


_DEFAULTED = ("has a default, so decode() accepts a payload that omits it although the "
              "protocol page says every payload has `v`, `msg_id` and `sent_at`")


@pytest.mark.parametrize("field", [
    pytest.param("msg_id"),
    pytest.param("sent_at"),
    pytest.param("v"),
])
def test_envelope_fields_are_required_on_the_wire(field: str) -> None:
    topic = evt(HALL, DeviceType.KIOSK, "kiosk-a1", "helper-request")
    raw = as_bytes(payload(m.HelperRequest, **{field: None}))
    exc = refused(topic, raw)
    assert exc.reason == "invalid"
    assert exc.detail.startswith(f"{field}: ")


@pytest.mark.parametrize("model", MESSAGE_MODELS, ids=lambda cls: cls.__name__)
def test_every_message_has_the_envelope_and_forbids_extra(model: type[m.Message]) -> None:
    for field in ("v", "msg_id", "sent_at"):
        assert field in model.model_fields, field
    assert model.model_config.get("extra") == "forbid"
    example = EXAMPLES[model]
    assert example.v == m.PROTOCOL_VERSION == 1
    assert MSG_ID_RE.fullmatch(example.msg_id)
    assert example.sent_at.utcoffset() is not None
    data = payload(model, unexpected_field=1)
    with pytest.raises(ValidationError, match="unexpected_field"):
        model.model_validate(data)


@pytest.mark.parametrize("model", PAYLOAD_MODELS, ids=lambda cls: cls.__name__)
def test_every_payload_part_forbids_extra(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("frozen") is True


def test_new_id_is_unique_and_valid() -> None:
    adapter: TypeAdapter[str] = TypeAdapter(m.MsgId)
    values = [m.new_id() for _ in range(2000)]
    assert len(set(values)) == len(values)
    for value in values:
        assert MSG_ID_RE.fullmatch(value)
        assert adapter.validate_python(value) == value
    defaults = {m.RatingAck(token="t" * 8, accepted=True).msg_id for _ in range(200)}
    assert len(defaults) == 200


def test_utc_now_is_aware() -> None:
    assert m.utc_now().utcoffset() is not None
    assert m.RatingAck(token="t" * 8, accepted=True).sent_at.utcoffset() is not None
