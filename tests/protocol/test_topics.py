"""The topic grammar: build and parse agree, every malformed topic is refused with a short
message naming the bad part, and subscriptions and broker ACLs reach exactly the intended
topics."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.protocol import topics as t
from devices.protocol.topics import AclRule, DeviceType, Kind, Topic, TopicError

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-"
ids = st.text(alphabet=ID_ALPHABET, min_size=1, max_size=32)
HALL = "demo"


def build(kind: Kind, hall: str, device_type: DeviceType, device_id: str, name: str) -> Topic:
    """A topic of `kind` through its public builder (`name` only where the kind has one)."""
    match kind:
        case Kind.STATUS:
            return t.status(hall, device_type, device_id)
        case Kind.STATE:
            return t.state(hall, device_type, device_id)
        case Kind.EVT:
            return t.evt(hall, device_type, device_id, name)
        case Kind.CMD:
            return t.cmd(hall, device_type, device_id, name)
    raise AssertionError(kind)


def expected_string(kind: Kind, hall: str, device_type: DeviceType, device_id: str,
                    name: str) -> str:
    tail = f"/{name}" if kind in {Kind.EVT, Kind.CMD} else ""
    return f"hall/{hall}/{device_type.value}/{device_id}/{kind.value}{tail}"


# ---- build -> str -> parse ------------------------------------------------------------------

@pytest.mark.parametrize("device_type", list(DeviceType))
@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_and_device_type_round_trips(kind: Kind, device_type: DeviceType) -> None:
    topic = build(kind, "hall-1", device_type, "dev-01", "some-name")
    text = str(topic)
    assert text == expected_string(kind, "hall-1", device_type, "dev-01", "some-name")
    parsed = t.parse(text)
    assert parsed == topic
    assert parsed.kind is kind
    assert parsed.device_type is device_type
    assert parsed.name == ("some-name" if kind in {Kind.EVT, Kind.CMD} else None)
    assert not parsed.is_server


@given(hall=ids, device_type=st.sampled_from(DeviceType), device_id=ids,
       kind=st.sampled_from(Kind), name=ids)
def test_round_trip_for_any_valid_ids(hall: str, device_type: DeviceType, device_id: str,
                                      kind: Kind, name: str) -> None:
    topic = build(kind, hall, device_type, device_id, name)
    text = str(topic)
    assert text == expected_string(kind, hall, device_type, device_id, name)
    parsed = t.parse(text)
    assert parsed == topic
    assert str(parsed) == text
    assert parsed.device_key == f"{device_type.value}/{device_id}"


@given(hall=ids)
def test_server_status_round_trips(hall: str) -> None:
    topic = t.server_status(hall)
    assert str(topic) == f"hall/{hall}/server/status"
    parsed = t.parse(str(topic))
    assert parsed == topic
    assert parsed.is_server
    assert parsed.device_type is None
    assert parsed.device_id is None
    assert parsed.kind is Kind.STATUS


@given(value=ids)
def test_valid_id_accepts_the_alphabet(value: str) -> None:
    assert t.valid_id(value)


# ---- parse refuses ------------------------------------------------------------------------

BAD_IDS = {
    "uppercase": "Kiosk-1",
    "underscore": "kiosk_1",
    "empty": "",
    "33 chars": "a" * 33,
    "plus wildcard": "+",
    "hash wildcard": "#",
    "embedded wildcard": "k+1",
    "unicode": "窗口一",
    "fullwidth digit": "k１",
    "dotless i": "kıosk",
    "space": "k 1",
    "trailing newline": "k1\n",
    "dot": "k.1",
}


@pytest.mark.parametrize("bad", list(BAD_IDS.values()), ids=list(BAD_IDS))
def test_valid_id_refuses(bad: str) -> None:
    assert not t.valid_id(bad)


@pytest.mark.parametrize("bad", list(BAD_IDS.values()), ids=list(BAD_IDS))
@pytest.mark.parametrize(("template", "part"), [
    ("hall/{}/kiosk/k1/status", "hall id"),
    ("hall/{}/server/status", "hall id"),
    ("hall/demo/kiosk/{}/status", "device id"),
    ("hall/demo/printer/{}/state", "device id"),
    ("hall/demo/kiosk/k1/evt/{}", "evt name"),
    ("hall/demo/pad/k1/cmd/{}", "cmd name"),
])
def test_parse_refuses_bad_ids(template: str, part: str, bad: str) -> None:
    with pytest.raises(TopicError, match=part):
        t.parse(template.format(bad))


@pytest.mark.parametrize("bad", list(BAD_IDS.values()), ids=list(BAD_IDS))
def test_builders_refuse_bad_ids(bad: str) -> None:
    with pytest.raises(TopicError, match="hall id"):
        t.server_status(bad)
    with pytest.raises(TopicError, match="hall id"):
        t.status(bad, DeviceType.KIOSK, "k1")
    with pytest.raises(TopicError, match="device id"):
        t.state(HALL, DeviceType.LED, bad)
    with pytest.raises(TopicError, match="evt name"):
        t.evt(HALL, DeviceType.KIOSK, "k1", bad)
    with pytest.raises(TopicError, match="cmd name"):
        t.cmd(HALL, DeviceType.KIOSK, "k1", bad)
    with pytest.raises(TopicError, match="device id"):
        t.device_subscriptions(HALL, DeviceType.KIOSK, bad)
    with pytest.raises(TopicError, match="hall id"):
        t.device_acl(bad)
    with pytest.raises(TopicError, match="hall id"):
        t.server_acl(bad)
    with pytest.raises(TopicError, match="hall id"):
        t.server_subscriptions(bad)


@pytest.mark.parametrize(("topic", "fragment"), [
    ("", "not a hall topic"),
    ("hall", "not a hall topic"),
    ("hall/demo", "not a hall topic"),
    ("house/demo/kiosk/k1/status", "not a hall topic"),
    ("Hall/demo/kiosk/k1/status", "not a hall topic"),
    ("/hall/demo/kiosk/k1/status", "not a hall topic"),
    ("hall/demo/robot/k1/status", "unknown device type 'robot'"),
    ("hall/demo/Kiosk/k1/status", "unknown device type 'Kiosk'"),
    ("hall/demo/kiosk/k1", "no kind segment"),
    ("hall/demo/kiosk/k1/event/x", "unknown kind 'event'"),
    ("hall/demo/kiosk/k1/STATUS", "unknown kind 'STATUS'"),
    ("hall/demo/kiosk/k1/+", "unknown kind '\\+'"),
    ("hall/demo/kiosk/k1/evt", "evt topic without a name"),
    ("hall/demo/kiosk/k1/cmd", "cmd topic without a name"),
    ("hall/demo/kiosk/k1/evt/a/b", "not a hall topic"),
    ("hall/demo/kiosk/k1/status/extra/more", "not a hall topic"),
    ("hall/demo/kiosk/k1/status/x", "status topics have no name"),
    ("hall/demo/kiosk/k1/status/", "status topics have no name"),
    ("hall/demo/led/k1/state/x", "state topics have no name"),
    ("hall/demo/server/state", "unknown server topic"),
    ("hall/demo/server/evt/x", "unknown server topic"),
    ("hall/demo/server/cmd/x", "unknown server topic"),
    ("hall/demo/server/status/x", "unknown server topic"),
    ("hall/demo/server/x/status", "unknown server topic"),
])
def test_parse_refuses_malformed_topics(topic: str, fragment: str) -> None:
    with pytest.raises(TopicError, match=fragment):
        t.parse(topic)


def test_topic_constructor_enforces_the_grammar() -> None:
    with pytest.raises(TopicError, match="server has only a status topic"):
        Topic(HALL, None, None, Kind.STATE)
    with pytest.raises(TopicError, match="server has only a status topic"):
        Topic(HALL, None, "k1", Kind.STATUS)
    with pytest.raises(TopicError, match="server has only a status topic"):
        Topic(HALL, None, None, Kind.STATUS, "x")
    with pytest.raises(TopicError, match="device id"):
        Topic(HALL, DeviceType.KIOSK, None, Kind.STATUS)
    with pytest.raises(TopicError, match="status topics have no name"):
        Topic(HALL, DeviceType.KIOSK, "k1", Kind.STATUS, "x")
    with pytest.raises(TopicError, match="evt name"):
        Topic(HALL, DeviceType.KIOSK, "k1", Kind.EVT)


HUGE = 10_000


@pytest.mark.parametrize("template", [
    "{}/demo/kiosk/k1/status",
    "hall/{}/kiosk/k1/status",
    "hall/{}/server/status",
    "hall/demo/server/{}",
    "hall/demo/{}/k1/status",
    "hall/demo/kiosk/{}/status",
    "hall/demo/kiosk/k1/{}",
    "hall/demo/kiosk/k1/evt/{}",
    "hall/demo/kiosk/k1/status/{}",
    "hall/demo/kiosk/k1/evt/x/{}",
])
@pytest.mark.parametrize("char", ["X", "设", "/"])
def test_errors_quote_at_most_80_chars_of_a_huge_topic(template: str, char: str) -> None:
    topic = template.format(char * HUGE)
    with pytest.raises(TopicError) as info:
        t.parse(topic)
    message = str(info.value)
    assert message.count(char) <= 80 + template.count(char)
    assert len(message) < 200


def test_errors_quote_control_characters_escaped_and_bounded() -> None:
    with pytest.raises(TopicError) as info:
        t.parse("hall/demo/kiosk/" + "\x00" * HUGE + "/status")
    message = str(info.value)
    assert "\x00" not in message
    assert message.count("\\x00") <= 80


# ---- device_key -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(Kind))
def test_device_key_is_type_and_id(kind: Kind) -> None:
    topic = build(kind, HALL, DeviceType.PRINTER, "printer-2", "print")
    assert topic.device_key == "printer/printer-2"
    assert t.parse(str(topic)).device_key == "printer/printer-2"


def test_server_topic_has_no_device_key() -> None:
    with pytest.raises(TopicError, match="names no device"):
        _ = t.server_status(HALL).device_key


# ---- topic_matches --------------------------------------------------------------------------

@pytest.mark.parametrize(("topic_filter", "topic", "expected"), [
    ("a/b/c", "a/b/c", True),
    ("a/b/c", "a/b/d", False),
    ("a/+/c", "a/b/c", True),
    ("a/+/c", "a/b/d", False),
    ("a/+/c", "a//c", True),
    ("+/+", "a/b", True),
    ("+", "a/b", False),
    ("a/+", "a", False),
    ("a/+", "a/b/c", False),
    ("a/b", "a/b/c", False),
    ("a/b/c", "a/b", False),
    ("a/b/", "a/b", False),
    ("#", "a/b/c", True),
    ("a/#", "a", True),
    ("a/#", "a/b/c", True),
    ("a/#", "b/c", False),
    ("a/+/#", "a/b", True),
    ("a/+/#", "a/b/c/d", True),
    ("a/+/#", "x/b/c", False),
    ("hall/demo/+/+/status", "hall/demo/server/status", False),
    ("hall/demo/+/+/status", "hall/demo/kiosk/k1/status", True),
])
def test_topic_matches(topic_filter: str, topic: str, expected: bool) -> None:
    assert t.topic_matches(topic_filter, topic) is expected


def test_wildcards_do_not_match_dollar_topics() -> None:
    assert not t.topic_matches("#", "$SYS/broker/uptime")
    assert not t.topic_matches("+/broker/uptime", "$SYS/broker/uptime")


# ---- subscriptions --------------------------------------------------------------------------

NAMES = ("print", "ticket-request", "x")


def universe(device_ids: tuple[str, ...]) -> list[str]:
    """Concrete topics of two halls, every device type and kind, the given ids."""
    out: list[str] = []
    for hall in (HALL, "other-hall"):
        out.append(str(t.server_status(hall)))
        for device_type, device_id in itertools.product(DeviceType, device_ids):
            for kind in Kind:
                names = NAMES if kind in {Kind.EVT, Kind.CMD} else ("",)
                out.extend(str(build(kind, hall, device_type, device_id, name))
                           for name in names)
    assert len(out) == len(set(out))
    return out


def matched(filters: list[str], topics: list[str]) -> set[str]:
    return {topic for topic in topics if any(t.topic_matches(f, topic) for f in filters)}


def test_server_subscriptions_match_every_status_and_event_of_its_hall_only() -> None:
    topics = universe(("k1", "k2"))
    expected = {
        topic for topic in topics
        if topic.startswith(f"hall/{HALL}/")
        and (p := t.parse(topic)).kind in {Kind.STATUS, Kind.EVT} and not p.is_server
    }
    assert len(expected) == len(DeviceType) * 2 * (1 + len(NAMES))
    assert matched(t.server_subscriptions(HALL), topics) == expected


@pytest.mark.parametrize("device_type", list(DeviceType))
def test_device_subscriptions_match_its_cmd_state_and_server_status(
        device_type: DeviceType) -> None:
    topics = universe(("k1", "k2"))
    expected = {str(t.cmd(HALL, device_type, "k1", name)) for name in NAMES}
    expected |= {str(t.state(HALL, device_type, "k1")), str(t.server_status(HALL))}
    got = matched(t.device_subscriptions(HALL, device_type, "k1"), topics)
    assert got == expected
    assert str(t.cmd(HALL, device_type, "k2", "print")) not in got
    assert str(t.status(HALL, device_type, "k1")) not in got
    assert str(t.evt(HALL, device_type, "k1", "x")) not in got


@given(device_id=ids, other_id=ids, device_type=st.sampled_from(DeviceType))
def test_device_subscriptions_never_reach_another_device(
        device_id: str, other_id: str, device_type: DeviceType) -> None:
    filters = t.device_subscriptions(HALL, device_type, device_id)
    own = str(t.cmd(HALL, device_type, device_id, "print"))
    assert any(t.topic_matches(f, own) for f in filters)
    if other_id != device_id:
        for kind in Kind:
            other = str(build(kind, HALL, device_type, other_id, "print"))
            assert not any(t.topic_matches(f, other) for f in filters), (filters, other)


# ---- broker ACL -----------------------------------------------------------------------------

def acl_for(device_id: str, hall: str = HALL) -> list[AclRule]:
    return [AclRule(rule.access, rule.pattern.replace("%u", device_id))
            for rule in t.device_acl(hall)]


def allowed(rules: list[AclRule], access: str, topic: str) -> bool:
    return any(rule.access in {access, "readwrite"} and t.topic_matches(rule.pattern, topic)
               for rule in rules)


def test_device_acl_uses_the_username_placeholder_in_the_device_segment() -> None:
    rules = t.device_acl(HALL)
    assert {rule.access for rule in rules} == {"read", "write"}
    for rule in rules:
        assert rule.pattern.startswith(f"hall/{HALL}/")
        segments = rule.pattern.split("/")
        if segments[2] != "server":
            assert segments[3] == "%u", rule
        assert "#" not in segments, rule


@given(device_id=ids, other_id=ids, device_type=st.sampled_from(DeviceType),
       other_type=st.sampled_from(DeviceType))
def test_device_acl_write(device_id: str, other_id: str, device_type: DeviceType,
                          other_type: DeviceType) -> None:
    rules = acl_for(device_id)
    assert allowed(rules, "write", str(t.status(HALL, device_type, device_id)))
    assert allowed(rules, "write", str(t.evt(HALL, device_type, device_id, "rating")))
    assert not allowed(rules, "write", str(t.state(HALL, device_type, device_id)))
    assert not allowed(rules, "write", str(t.cmd(HALL, device_type, device_id, "print")))
    assert not allowed(rules, "write", str(t.server_status(HALL)))
    assert not allowed(rules, "write", str(t.evt("other-hall", device_type, device_id, "x")))
    if other_id != device_id:
        assert not allowed(rules, "write", str(t.evt(HALL, other_type, other_id, "rating")))
        assert not allowed(rules, "write", str(t.status(HALL, other_type, other_id)))


@given(device_id=ids, other_id=ids, device_type=st.sampled_from(DeviceType),
       other_type=st.sampled_from(DeviceType))
def test_device_acl_read(device_id: str, other_id: str, device_type: DeviceType,
                         other_type: DeviceType) -> None:
    rules = acl_for(device_id)
    assert allowed(rules, "read", str(t.cmd(HALL, device_type, device_id, "print")))
    assert allowed(rules, "read", str(t.state(HALL, device_type, device_id)))
    assert allowed(rules, "read", str(t.status(HALL, device_type, device_id)))
    assert allowed(rules, "read", str(t.server_status(HALL)))
    assert not allowed(rules, "read", str(t.evt(HALL, device_type, device_id, "rating")))
    assert not allowed(rules, "read", str(t.server_status("other-hall")))
    assert not allowed(rules, "read", str(t.cmd("other-hall", device_type, device_id, "x")))
    if other_id != device_id:
        for topic in (t.cmd(HALL, other_type, other_id, "print"),
                      t.state(HALL, other_type, other_id),
                      t.status(HALL, other_type, other_id),
                      t.evt(HALL, other_type, other_id, "rating")):
            assert not allowed(rules, "read", str(topic)), topic


@pytest.mark.parametrize("device_type", list(DeviceType))
def test_device_acl_grants_what_the_device_must_do(device_type: DeviceType) -> None:
    """Everything a device subscribes to is readable; its birth/will is writable."""
    rules = acl_for("k1")
    topics = universe(("k1", "k2"))
    subscribed = matched(t.device_subscriptions(HALL, device_type, "k1"), topics)
    assert subscribed
    assert all(allowed(rules, "read", topic) for topic in subscribed)
    assert allowed(rules, "write", str(t.status(HALL, device_type, "k1")))


def test_device_acl_reach_over_the_universe() -> None:
    topics = universe(("k1", "k2"))
    rules = acl_for("k1")
    writable = {topic for topic in topics if allowed(rules, "write", topic)}
    readable = {topic for topic in topics if allowed(rules, "read", topic)}
    own = [p for p in map(t.parse, topics) if p.hall == HALL and p.device_id == "k1"]
    assert writable == {str(p) for p in own if p.kind in {Kind.STATUS, Kind.EVT}}
    assert readable == ({str(p) for p in own if p.kind in {Kind.STATUS, Kind.STATE, Kind.CMD}}
                        | {str(t.server_status(HALL))})


def test_server_acl_covers_its_hall_only() -> None:
    rules = t.server_acl(HALL)
    for topic in universe(("k1", "k2")):
        in_hall = topic.startswith(f"hall/{HALL}/")
        assert allowed(rules, "read", topic) is in_hall, topic
        assert allowed(rules, "write", topic) is in_hall, topic
