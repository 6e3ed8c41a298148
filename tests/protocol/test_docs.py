"""docs/protocol.md is the protocol the code speaks: generated, complete, and every example
on it is a valid message."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from devices.protocol import catalog, docgen
from devices.protocol import messages as m
from devices.protocol import topics as t
from devices.protocol.catalog import ROUTES, Route
from devices.protocol.topics import DeviceType, Kind

ROOT = Path(__file__).resolve().parents[2]
PAGE_PATH = ROOT / "docs" / "protocol.md"
REGENERATE = "python -m devices.protocol.docgen docs/protocol.md"


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE_PATH.read_text(encoding="utf-8")


def routed_models() -> list[type[m.Message]]:
    models: list[type[m.Message]] = [m.ServerStatus]
    models += [r.model for r in ROUTES if r.model not in models]
    return list(dict.fromkeys(models))


def section(page: str, title: str) -> str:
    """The text of `### title` up to the next heading of level 2 or 3."""
    match = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^##)", page + "\n## end",
                      re.MULTILINE | re.DOTALL)
    assert match is not None, f"no section ### {title}"
    return match.group(1)


def test_page_is_generated_from_the_code(page: str) -> None:
    assert page == docgen.render(), (
        f"docs/protocol.md is out of date with devices/protocol: run `{REGENERATE}`")


def test_render_is_deterministic() -> None:
    assert docgen.render() == docgen.render()


def route_shape(route: Route) -> str:
    tail = f"/{route.name}" if route.name is not None else ""
    return f"hall/{{hall}}/{{type}}/{{id}}/{route.kind.value}{tail}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.model.__name__}")
def test_page_lists_every_route(page: str, route: Route) -> None:
    rows = [line for line in page.splitlines()
            if line.startswith(f"| `{route_shape(route)}` |")
            and f"| {route.model.__name__} |" in line]
    assert len(rows) == 1, route
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert cells[1] == route.sender
    assert cells[2] == ("yes" if route.retained else "no")
    assert cells[3] == ", ".join(sorted(d.value for d in route.device_types))


def test_page_lists_the_server_topic_and_every_topic_kind(page: str) -> None:
    assert "| `hall/{hall}/server/status` | server | yes |" in page
    for kind in Kind:
        assert f"hall/{{hall}}/{{type}}/{{id}}/{kind.value}" in page, kind


def test_page_names_every_model(page: str) -> None:
    for model in routed_models():
        assert f"\n### {model.__name__}\n" in page, model.__name__
    for part in (m.Text, m.StaffOnDuty, m.ScreenWindow, m.ScreenQueue, m.TicketDocument,
                 m.ReceiptDocument):
        assert f"\n### {part.__name__}\n" in page, part.__name__


def test_page_names_every_device_type(page: str) -> None:
    line = next(line for line in page.splitlines() if line.startswith("Device types: "))
    listed = re.findall(r"`([a-z]+)`", line)
    assert listed == [d.value for d in DeviceType]


@pytest.mark.parametrize("model", routed_models(), ids=lambda cls: cls.__name__)
def test_page_documents_every_field(page: str, model: type[m.Message]) -> None:
    text = section(page, model.__name__)
    for name, field in model.model_fields.items():
        if name in {"v", "msg_id", "sent_at"}:
            continue
        rows = [line for line in text.splitlines() if line.startswith(f"| `{name}` |")]
        assert len(rows) == 1, name
        required = rows[0].split("|")[3].strip()
        assert required == ("yes" if field.is_required() else "no"), name


def test_page_states_the_size_limit_and_the_envelope(page: str) -> None:
    assert f"at most {m.MAX_PAYLOAD_BYTES // 1024} KiB" in page
    for field in ("`v`", "`msg_id`", "`sent_at`"):
        assert field in page


def test_page_subscriptions_and_acl_are_the_codes(page: str) -> None:
    """The Connecting and Access sections quote exactly what topics.py builds."""
    def placeholders(text: str) -> str:
        return (text.replace("hall-x", "{hall}").replace("kiosk-x", "{id}")
                .replace("%u", "{id}").replace("/kiosk/", "/{type}/"))

    for topic_filter in t.device_subscriptions("hall-x", DeviceType.KIOSK, "kiosk-x"):
        assert f"`{placeholders(topic_filter)}`" in page, topic_filter
    for rule in t.device_acl("hall-x"):
        if rule.access == "write":
            assert f"`{placeholders(rule.pattern)}`" in page, rule
    will = placeholders(str(t.status("hall-x", DeviceType.KIOSK, "kiosk-x")))
    assert f"`{will}`" in page


# ---- examples -------------------------------------------------------------------------------

def test_every_routed_model_has_an_example() -> None:
    missing = [model.__name__ for model in routed_models() if model not in docgen.EXAMPLES]
    assert missing == []


def test_every_message_model_is_routed_and_has_an_example() -> None:
    """No message class exists that the catalogue (and so the page) does not know."""
    declared = {obj for _, obj in inspect.getmembers(m, inspect.isclass)
                if issubclass(obj, m.Message) and obj is not m.Message}
    assert declared == set(routed_models())
    assert declared == set(docgen.EXAMPLES)


@pytest.mark.parametrize(("model", "example"), list(docgen.EXAMPLES.items()),
                         ids=lambda v: v.__name__ if isinstance(v, type) else "")
def test_every_example_validates(model: type[m.Message], example: m.Message) -> None:
    assert type(example) is model
    raw = example.model_dump_json()
    again = model.model_validate_json(raw)
    assert again == example
    assert model.model_validate(json.loads(raw)) == example


@pytest.mark.parametrize("model", routed_models(), ids=lambda cls: cls.__name__)
def test_every_example_on_the_page_validates(page: str, model: type[m.Message]) -> None:
    text = section(page, model.__name__)
    blocks = re.findall(r"```json\n(.*?)\n```", text, re.DOTALL)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["v"] == 1
    assert model.model_validate(data) == docgen.EXAMPLES[model]


def test_every_example_decodes_on_its_topics() -> None:
    for route in ROUTES:
        for device_type in route.device_types:
            topic = t.Topic("demo", device_type, "dev-1", route.kind, route.name)
            raw = catalog.encode(docgen.EXAMPLES[route.model])
            assert catalog.decode(topic, raw) == docgen.EXAMPLES[route.model]


def test_mosquitto_example_is_a_valid_ticket_request(page: str) -> None:
    topic_match = re.search(r"-t (hall/\S+/evt/\S+)", page)
    payload_match = re.search(r"-m '(\{.*?\})'", page, re.DOTALL)
    user_match = re.search(r"mosquitto_rr .*? -u (\S+)", page)
    assert topic_match and payload_match and user_match
    topic = t.parse(topic_match.group(1))
    assert topic.device_id == user_match.group(1)  # username = device id (ACL `%u`)
    message = catalog.decode(topic, payload_match.group(1).encode())
    assert isinstance(message, m.TicketRequest)
    assert message.category == "qiye"
