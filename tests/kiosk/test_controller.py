"""The kiosk and terminal controller, driven without widgets or a network."""

from __future__ import annotations

import pytest
from kiosk_support import AT, catalog, issued, kiosk_state, make, ready, reply

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, state
from kiosk.controller import HARD_WAIT_S, RESEND_S, SOFT_WAIT_S, token_of
from kiosk.model import Page


def take(ctl, link, category: str = "qiye", item: str | None = "QY-001") -> str:
    ctl.open_category(category)
    if item:
        ctl.open_item(item)
    ctl.take_number()
    return link.last("ticket-request").request_id


def test_asks_for_the_catalog_once_connected_and_caches_it() -> None:
    saved: list[m.ServiceCatalog] = []
    ctl, link, _p, clock = make()
    ctl.save_catalog = saved.append
    ctl.tick()
    assert link.names() == ["catalog-request"]
    assert link.last("catalog-request").have_version is None
    ctl.tick()
    assert link.names() == ["catalog-request"]  # not again before the retry interval
    reply(ctl, "catalog", catalog())
    assert [c.code for c in ctl.view.categories] == ["qiye", "shebao"]
    assert saved and saved[0].version == 3
    # The server's layout moved on: the kiosk asks again.
    ctl.on_message(state("demo", DeviceType.KIOSK, "kiosk-a1"),
                   m.KioskState(version=2, accepting=True, catalog_version=4))
    clock.now += 11
    ctl.tick()
    assert link.last("catalog-request").have_version == 3


def test_take_a_number_shows_it_only_once_committed_and_prints_once() -> None:
    ctl, link, printer, _c = make()
    ready(ctl)
    ctl.set_priority(True)
    request_id = take(ctl, link)
    sent = link.last("ticket-request")
    assert (sent.category, sent.item, sent.priority) == ("qiye", "QY-001", True)
    assert ctl.view.page is Page.ISSUING and ctl.view.ticket is None
    reply(ctl, "ticket-issued", issued(request_id))
    v = ctl.view
    assert v.page is Page.TICKET and v.ticket is not None and v.ticket.number == "A012"
    assert v.qr_url == "http://hall/t/Xq3v9kPz2LwR8sT1"
    assert [j.document.number for j in printer.jobs] == ["A012"]  # type: ignore[union-attr]
    assert printer.jobs[0].reprint is False
    assert v.print_state == "printing"
    printer.finish()
    assert ctl.view.print_state == "printed"
    # A redelivered reply changes nothing and prints nothing.
    reply(ctl, "ticket-issued", issued(request_id, replayed=True))
    assert len(printer.jobs) == 1


def test_one_request_at_a_time() -> None:
    ctl, link, _p, _c = make()
    ready(ctl)
    take(ctl, link)
    ctl.take_number()
    ctl.open_check_in()  # ignored? no: check-in page opens but cannot submit
    ctl.type_key("7")
    ctl.submit_code()
    assert link.names().count("ticket-request") == 1
    assert "check-in" not in link.names()


def test_server_unreachable_pauses_and_shows_no_number() -> None:
    ctl, link, _p, _c = make()
    ready(ctl)
    link.server = False
    ctl.tick()
    assert not ctl.view.accepting
    assert "暂停取号" in ctl.view.paused.zh  # type: ignore[union-attr]
    ctl.open_category("qiye")
    ctl.take_number()
    assert ctl.view.page is Page.PAUSED
    assert "ticket-request" not in link.names()
    link.server = True
    ctl.tick()
    assert ctl.view.accepting


def test_outside_hours_and_daily_cap() -> None:
    ctl, link, _p, _c = make()
    ready(ctl)
    ctl.on_message(state("demo", DeviceType.KIOSK, "kiosk-a1"), m.KioskState(
        version=5, accepting=False, catalog_version=3,
        reason=m.Text(zh="今日取号已结束", en="issuing has ended")))
    assert ctl.view.paused is not None and "今日取号已结束" in ctl.view.paused.zh
    ctl.on_message(state("demo", DeviceType.KIOSK, "kiosk-a1"),
                   kiosk_state(version=6, full=["qiye"]))
    assert ctl.view.accepting and ctl.view.full == frozenset({"qiye"})
    ctl.open_category("qiye")
    ctl.take_number()
    assert ctl.view.page is Page.REFUSED and "限号" in ctl.view.refusal.zh  # type: ignore[union-attr]
    assert "ticket-request" not in link.names()


def test_a_category_nobody_serves_today_is_refused_at_the_kiosk() -> None:
    ctl, link, _p, _c = make()
    ready(ctl)
    ctl.on_message(state("demo", DeviceType.KIOSK, "kiosk-a1"),
                   kiosk_state(version=6, unserved=["qiye"]))
    assert ctl.view.unserved == frozenset({"qiye"}) and not ctl.view.full
    ctl.open_category("qiye")
    ctl.take_number()
    assert ctl.view.page is Page.REFUSED
    assert "今日无人办理" in ctl.view.refusal.zh  # type: ignore[union-attr]
    assert "ticket-request" not in link.names()


def test_server_refusal_is_shown_in_both_languages() -> None:
    ctl, link, _p, _c = make()
    ready(ctl)
    rid = take(ctl, link)
    reply(ctl, "ticket-refused", m.TicketRefused(request_id=rid, code="daily_cap",
                                                 message="今日号已取完", message_en="gone"))
    assert ctl.view.page is Page.REFUSED
    ctl.toggle_language()
    assert ctl.view.say(ctl.view.refusal) == "gone"


def test_slow_server_then_give_up_then_late_reply_for_the_same_citizen() -> None:
    ctl, link, printer, clock = make()
    ready(ctl)
    rid = take(ctl, link)
    clock.now += SOFT_WAIT_S
    ctl.tick()
    assert ctl.view.page is Page.ISSUING and ctl.view.banner is not None
    clock.now += HARD_WAIT_S
    ctl.tick()
    assert ctl.view.page is Page.PAUSED and ctl.view.ticket is None
    reply(ctl, "ticket-issued", issued(rid))  # the same citizen is still there
    assert ctl.view.page is Page.TICKET and len(printer.jobs) == 1


def test_a_late_reply_after_the_citizen_left_is_neither_shown_nor_printed() -> None:
    ctl, link, printer, clock = make()
    ready(ctl)
    rid = take(ctl, link)
    clock.now += HARD_WAIT_S + 1
    ctl.tick()
    clock.now += 31
    ctl.tick()  # idle: back home, a new session
    assert ctl.view.page is Page.HOME
    reply(ctl, "ticket-issued", issued(rid))
    assert ctl.view.page is Page.HOME and ctl.view.ticket is None
    assert printer.jobs == [] and ctl.orphans == ["A012"]


def test_idle_returns_home_and_forgets_the_choice() -> None:
    ctl, _link, _p, clock = make()
    ready(ctl)
    ctl.open_category("qiye")
    ctl.set_priority(True)
    clock.now += 29
    ctl.tick()
    assert ctl.view.page is Page.ITEMS
    clock.now += 2
    ctl.tick()
    assert (ctl.view.page, ctl.view.category, ctl.view.priority) == (Page.HOME, None, False)


def test_paper_out_keeps_the_number_on_screen_and_pages_staff_once() -> None:
    ctl, link, printer, _c = make()
    ready(ctl)
    rid = take(ctl, link)
    reply(ctl, "ticket-issued", issued(rid))
    printer.finish(ok=False, error=m.PrintError.PAPER_OUT)
    v = ctl.view
    assert v.page is Page.TICKET and v.ticket is not None and v.qr_url
    assert v.print_state == "failed" and "缺纸" in v.printer_warning.zh  # type: ignore[union-attr]
    helpers = [msg for n, msg in link.sent if n == "helper-request"]
    assert len(helpers) == 1 and helpers[0].reason == "device-fault"
    assert "paper_out" in (helpers[0].note or "")
    printer.status = m.PrinterStatus(paper=m.PaperState.OUT)
    ctl.tick()
    assert link.names().count("helper-request") == 1  # the same fault episode
    printer.status = m.PrinterStatus(paper=m.PaperState.OK)
    ctl.tick()
    assert ctl.view.printer_warning is None
    printer.status = m.PrinterStatus(paper=m.PaperState.OK, online=False)
    ctl.tick()
    assert link.names().count("helper-request") == 2  # a new fault: paged again
    assert "offline" in link.last("helper-request").note  # type: ignore[attr-defined]


def test_check_in_by_typed_code_and_a_repeat_prints_a_copy() -> None:
    ctl, link, printer, _c = make()
    ready(ctl)
    ctl.open_check_in()
    for ch in "7k3m0q9txw2p5rba":
        ctl.type_key(ch)
    ctl.type_key("I")  # not a code character: ignored
    ctl.type_key("9")  # a 17th character: ignored
    assert ctl.view.code_input == "7K3M-0Q9T-XW2P-5RBA"
    ctl.erase()
    ctl.type_key("A")
    ctl.submit_code()
    sent = link.last("check-in")
    assert sent.code == "7K3M-0Q9T-XW2P-5RBA"
    reply(ctl, "ticket-issued", issued(sent.request_id, appointment_at=AT))
    assert ctl.view.page is Page.TICKET and printer.jobs[-1].reprint is False
    ctl.home()
    ctl.scanned("OWA:7K3M-0Q9T-XW2P-5RBA")  # the camera reads the same code again
    again = link.last("check-in")
    reply(ctl, "ticket-issued", issued(again.request_id, appointment_at=AT, replayed=True))
    assert ctl.view.reprint is True
    assert printer.jobs[-1].reprint is True
    assert printer.jobs[-1].job_id != printer.jobs[0].job_id


def test_terminal_scans_a_ticket_and_a_receipt() -> None:
    ctl, link, printer, _c = make("terminal")
    ready(ctl, "terminal")
    ctl.open_scan()
    ctl.scanned("http://hall.example:8080/t/Xq3v9kPz2LwR8sT1")
    q = link.last("query")
    assert (q.kind, q.token, q.purpose) == ("ticket", "Xq3v9kPz2LwR8sT1", "view")
    reply(ctl, "query-result", m.QueryResult(request_id=q.request_id, found=True,
                                             ticket=m.TicketView(
        number="A012", state="waiting", category_name=m.Text(zh="企业开办", en="Business"),
        people_ahead=2, predicted_wait_min=6, about_to_be_called=True, issued_at=AT)),
        "terminal")
    assert ctl.view.page is Page.TICKET_STATUS and ctl.view.query_ticket.people_ahead == 2  # type: ignore[union-attr]
    ctl.home()
    ctl.open_scan()
    ctl.scanned("http://hall.example:8080/c/Kp4sV9wQ2xR7tY1z")
    q = link.last("query")
    assert (q.kind, q.token) == ("case", "Kp4sV9wQ2xR7tY1z")
    case = m.CaseView(case_no="DEMO-20261123-0001", status="accepted",
                      status_name=m.Text(zh="已受理", en="accepted"), items=[],
                      accepted_at=AT, promised_by=AT, working_days_left=2, window=5,
                      owner="王芳 (0105)")
    reply(ctl, "query-result", m.QueryResult(request_id=q.request_id, found=True, case=case),
          "terminal")
    assert ctl.view.page is Page.CASE_STATUS
    ctl.reprint_receipt()
    r = link.last("query")
    assert (r.kind, r.token, r.purpose) == ("case", "Kp4sV9wQ2xR7tY1z", "reprint")
    doc = m.ReceiptDocument(case_no=case.case_no, items=[], materials=[], promised_by=AT,
                            window=5, owner=case.owner, qr_url="http://h/c/Kp4sV9wQ2xR7tY1z",
                            accepted_at=AT)
    reply(ctl, "query-result", m.QueryResult(request_id=r.request_id, found=True, case=case,
                                             document=doc), "terminal")
    assert printer.jobs[-1].reprint is True
    assert printer.jobs[-1].document.kind == "receipt"


def test_terminal_not_found_and_a_foreign_qr() -> None:
    ctl, link, _p, _c = make("terminal")
    ready(ctl, "terminal")
    ctl.open_scan()
    ctl.scanned("https://example.com/some/page")
    assert ctl.view.page is Page.REFUSED and "query" not in link.names()
    ctl.open_scan()
    ctl.scanned("http://hall/t/Xq3v9kPz2LwR8sT1")
    q = link.last("query")
    reply(ctl, "query-result", m.QueryResult(request_id=q.request_id, found=False,
                                             code="not_found", message="号票不存在",
                                             message_en="no such ticket"), "terminal")
    assert ctl.view.page is Page.REFUSED and ctl.view.refusal.zh == "号票不存在"  # type: ignore[union-attr]


def test_kiosk_offers_its_configured_categories_in_order() -> None:
    ctl, _link, _p, _c = make(categories=("shebao", "qiye", "gone"))
    ready(ctl)
    assert [c.code for c in ctl.view.categories] == ["shebao", "qiye"]
    ctl2, _l, _p2, _c2 = make(zone="zone-b")
    ready(ctl2)
    assert [c.code for c in ctl2.view.categories] == ["shebao"]


def test_helper_language_and_elderly() -> None:
    ctl, link, _p, _c = make()
    ready(ctl)
    ctl.call_helper("elderly")
    assert ctl.view.page is Page.HELP_SENT
    assert link.last("helper-request").reason == "elderly"
    ctl.toggle_language()
    assert ctl.view.language == "en"
    ctl.toggle_language()
    assert ctl.view.language == "zh"
    ctl.toggle_elderly()
    assert ctl.view.elderly


@pytest.mark.parametrize(("text", "expected"), [
    ("http://h:8080/t/Xq3v9kPz2LwR8sT1", ("ticket", "Xq3v9kPz2LwR8sT1")),
    ("https://hall.gov.cn/c/Kp4sV9wQ2xR7tY1z?x=1", ("case", "Kp4sV9wQ2xR7tY1z")),
    ("/t/shorttok", ("ticket", "shorttok")),
    ("http://h/t/abc", None),
    ("7K3M-0Q9T-XW2P-5RBA", None),
    ("http://h/x/Xq3v9kPz2LwR8sT1", None),
])
def test_token_of(text: str, expected: object) -> None:
    assert token_of(text) == expected


def test_an_unanswered_request_is_resent_with_the_same_id_only_while_connected() -> None:

    ctl, link, _p, clock = make()
    ready(ctl)
    rid = take(ctl, link)
    link.connected = False
    clock.now += RESEND_S
    ctl.tick()
    assert link.names().count("ticket-request") == 1
    link.connected = True
    ctl.tick()
    sent = [msg for n, msg in link.sent if n == "ticket-request"]
    assert [s.request_id for s in sent] == [rid, rid]
    assert sent[0] == sent[1]  # the very same message (msg_id too): the server dedups it


def test_a_resent_check_in_answered_as_replayed_is_not_a_copy() -> None:

    ctl, link, printer, clock = make()
    ready(ctl)
    ctl.open_check_in()
    ctl.scanned("7K3M-0Q9T-XW2P-5RBA")
    clock.now += RESEND_S
    ctl.tick()
    sent = link.last("check-in")
    reply(ctl, "ticket-issued", issued(sent.request_id, replayed=True, appointment_at=AT))
    assert ctl.view.reprint is False and printer.jobs[-1].reprint is False
