"""The rating pad controller, driven without widgets or a network."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pad_support import (
    JPEG,
    NOW,
    PHOTO_A,
    PHOTO_B,
    arm,
    command,
    make,
    photo_reply,
    send_state,
    staff,
    window_state,
)

from devices.protocol import messages as m
from devices.protocol.ratings import REASONS
from devices.protocol.topics import DeviceType
from devices.runtime.client import DeviceClient, DeviceIdentity
from kiosk.pad import texts
from kiosk.pad.controller import REFUSED_S, THANKS_S, PadController, PadSettings
from kiosk.pad.model import PadPage
from kiosk.runtime import ClientLink
from kiosk.testing import ManualClock, WallClock


def armed(ctl: PadController, token: str = "tok-0000000001", **kw: object) -> None:
    command(ctl, "arm", arm(token, **kw))  # type: ignore[arg-type]


# ---- idle: the window and who is on duty ------------------------------------------------------

def test_idle_shows_the_window_and_staff_from_state_a_role_first() -> None:
    ctl, _link, _clock = make()
    assert ctl.view.page is PadPage.IDLE and ctl.view.mode is None  # nothing yet
    b = staff("B", "10017", "王小红", photo=None)
    a = staff("A", "10005", "李明")
    send_state(ctl, window_state(people=[b, a]))
    v = ctl.view
    assert v.window == 5 and v.window_name is not None and v.window_name.zh == "5号综合窗口"
    assert v.mode is m.WindowMode.OPEN
    assert [(s.role, s.staff_id, s.name) for s in v.staff] == [("A", "10005", "李明"),
                                                               ("B", "10017", "王小红")]
    assert [s.initials for s in v.staff] == ["李明", "小红"]


def test_paused_window_shows_its_reason() -> None:
    ctl, _link, _clock = make()
    send_state(ctl, window_state(mode=m.WindowMode.PAUSED,
                                 note=m.Text(zh="业务培训", en="Staff training")))
    assert ctl.view.mode is m.WindowMode.PAUSED
    assert ctl.view.note is not None and ctl.view.note.zh == "业务培训"


def test_older_and_same_state_versions_are_ignored() -> None:
    ctl, _link, _clock = make()
    send_state(ctl, window_state(5, mode=m.WindowMode.AWAY))
    send_state(ctl, window_state(4, mode=m.WindowMode.OPEN))
    assert ctl.view.mode is m.WindowMode.AWAY
    send_state(ctl, window_state(5, mode=m.WindowMode.CLOSED))
    assert ctl.view.mode is m.WindowMode.AWAY
    send_state(ctl, window_state(6, mode=m.WindowMode.CLOSED))
    assert ctl.view.mode is m.WindowMode.CLOSED


# ---- arming -------------------------------------------------------------------------------

def test_arm_opens_the_prompt_with_ticket_and_who_served() -> None:
    ctl, _link, _clock = make()
    armed(ctl)
    v = ctl.view
    assert v.page is PadPage.ARMED and v.number == "A012"
    assert v.served_by is not None and v.served_by.name == "李明"
    assert v.category_name is not None and v.category_name.zh == "企业开办"
    assert v.seconds_left == 30  # idle_timeout_s, sooner than the expiry


def test_arm_without_staff_names_the_a_role_on_duty() -> None:
    ctl, _link, _clock = make()
    send_state(ctl, window_state(people=[staff("A", "10009", "赵强", photo=None)]))
    command(ctl, "arm", arm().model_copy(update={"staff": None}))
    assert ctl.view.served_by is not None and ctl.view.served_by.staff_id == "10009"


def test_a_newer_arm_replaces_the_current_one() -> None:
    ctl, link, _clock = make()
    armed(ctl, "tok-0000000001", number="A012")
    armed(ctl, "tok-0000000002", number="A013")
    assert ctl.view.number == "A013"
    ctl.rate(5)
    assert link.last("rating").token == "tok-0000000002"  # type: ignore[attr-defined]


def test_the_same_token_twice_is_ignored() -> None:
    ctl, link, _clock = make()
    armed(ctl)
    ctl.rate(4)
    armed(ctl)  # a redelivered arm after the rating
    assert ctl.view.page is PadPage.THANKS
    ctl.rate(4)
    assert link.names().count("rating") == 1


def test_an_arm_for_another_window_is_ignored_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    ctl, _link, _clock = make()
    with caplog.at_level(logging.WARNING, logger="kiosk.pad.controller"):
        armed(ctl, window=7)
    assert ctl.view.page is PadPage.IDLE
    assert "window 7" in caplog.text


def test_an_arm_already_expired_is_ignored() -> None:
    ctl, _link, _clock = make()
    armed(ctl, expires_in_s=-1)
    assert ctl.view.page is PadPage.IDLE


def test_prompt_times_out_at_idle_timeout_without_a_rating() -> None:
    ctl, link, clock = make(idle_timeout_s=30)
    armed(ctl, expires_in_s=120)
    clock.now += 29.5
    ctl.tick()
    assert ctl.view.page is PadPage.ARMED and ctl.view.seconds_left == 1
    clock.now += 0.5
    ctl.tick()
    assert ctl.view.page is PadPage.IDLE and ctl.view.number is None
    ctl.rate(5)  # too late: nothing is sent
    assert "rating" not in link.names()


def test_prompt_closes_at_the_arm_expiry_when_that_is_sooner() -> None:
    ctl, _link, clock = make(idle_timeout_s=60)
    armed(ctl, expires_in_s=10)
    assert ctl.view.seconds_left == 10
    clock.now += 8
    ctl.rate(1)  # a touch gives more time, but never past the expiry
    clock.now += 2
    ctl.tick()
    assert ctl.view.page is PadPage.IDLE


def test_a_touch_restarts_the_idle_countdown() -> None:
    ctl, _link, clock = make(idle_timeout_s=30)
    armed(ctl, expires_in_s=300)
    clock.now += 25
    ctl.rate(2)  # to the reasons page
    clock.now += 25
    ctl.tick()
    assert ctl.view.page is PadPage.REASONS and ctl.view.seconds_left == 5


# ---- rating -------------------------------------------------------------------------------

def test_good_level_is_sent_at_once_and_thanks_shown_then_idle() -> None:
    ctl, link, clock = make()
    armed(ctl)
    ctl.rate(5)
    sent = link.last("rating")
    assert isinstance(sent, m.Rating)
    assert (sent.token, sent.level, sent.reasons) == ("tok-0000000001", 5, [])
    assert ctl.view.page is PadPage.THANKS
    clock.now += THANKS_S
    ctl.tick()
    assert ctl.view.page is PadPage.IDLE


@pytest.mark.parametrize("level", [1, 2])
def test_bad_levels_need_at_least_one_reason(level: int) -> None:
    ctl, link, _clock = make()
    armed(ctl)
    ctl.rate(level)
    assert ctl.view.page is PadPage.REASONS and ctl.view.level == level
    ctl.submit_reasons()
    assert "rating" not in link.names()
    assert ctl.view.banner == texts.WHY_REQUIRED
    ctl.toggle_reason("attitude")
    ctl.toggle_reason("wait-too-long")
    ctl.toggle_reason("fees")
    ctl.toggle_reason("fees")  # unpicked again
    ctl.toggle_reason("no-such-reason")
    ctl.submit_reasons()
    sent = link.last("rating")
    assert isinstance(sent, m.Rating) and sent.level == level
    # In the order the pad shows them (REASONS), not the order tapped.
    assert sent.reasons == [r.code for r in REASONS if r.code in {"attitude", "wait-too-long"}]
    assert sent.reasons == ["wait-too-long", "attitude"]
    assert ctl.view.page is PadPage.THANKS


def test_back_from_reasons_returns_to_the_levels_for_the_same_token() -> None:
    ctl, link, _clock = make()
    armed(ctl)
    ctl.rate(1)
    ctl.toggle_reason("other")
    ctl.back()
    assert ctl.view.page is PadPage.ARMED and not ctl.view.reasons
    ctl.rate(3)
    assert link.last("rating").level == 3  # type: ignore[attr-defined]


def test_one_rating_per_token_even_on_double_tap() -> None:
    ctl, link, _clock = make()
    armed(ctl)
    ctl.rate(5)
    ctl.rate(5)
    ctl.rate(4)
    assert link.names().count("rating") == 1
    ctl.back()  # thanks -> idle
    ctl.rate(5)
    assert link.names().count("rating") == 1


def test_double_submit_of_reasons_sends_once() -> None:
    ctl, link, _clock = make()
    armed(ctl)
    ctl.rate(2)
    ctl.toggle_reason("attitude")
    ctl.submit_reasons()
    ctl.submit_reasons()
    assert link.names().count("rating") == 1


def test_offline_rating_is_emitted_to_the_outbox_and_thanks_shown() -> None:
    ctl, link, _clock = make()
    link.connected = False
    ctl.tick()
    assert not ctl.view.online
    armed(ctl)
    ctl.rate(4)
    assert link.names() == ["rating"]  # emit: the outbox keeps it until the broker is back
    assert ctl.view.page is PadPage.THANKS


def test_offline_rating_waits_in_the_device_outbox_on_disk(tmp_path: Path) -> None:
    # The real link over a DeviceClient that never reached its broker.
    client = DeviceClient(DeviceIdentity(hall="demo", type=DeviceType.PAD, id="pad-5",
                                         password="x", port=1), outbox=tmp_path / "o.db")
    link = ClientLink(client)
    clock = ManualClock()
    ctl = PadController(PadSettings(device_id="pad-5", window=5, idle_timeout_s=30), link,
                        clock=clock, wall=WallClock(clock, NOW))
    assert not ctl.view.online
    command(ctl, "arm", arm())
    ctl.rate(5)
    assert ctl.view.page is PadPage.THANKS
    pending = client.outbox.pending()
    assert len(pending) == 1
    topic, payload = pending[0][1], pending[0][2]
    assert topic == "hall/demo/pad/pad-5/evt/rating"
    assert m.Rating.model_validate_json(payload).token == "tok-0000000001"
    client.outbox.close()


@pytest.mark.parametrize(("code", "words"), [("expired", texts.REFUSED["expired"]),
                                             ("used", texts.REFUSED["used"]),
                                             ("not-armed", texts.REFUSED_OTHER)])
def test_a_refused_ack_shows_a_notice_instead_of_thanks(code: str, words: object) -> None:
    ctl, _link, clock = make()
    armed(ctl)
    ctl.rate(5)
    command(ctl, "rating-ack", m.RatingAck(token="tok-0000000001", accepted=False, code=code))
    assert ctl.view.page is PadPage.REFUSED and ctl.view.refusal == words
    clock.now += REFUSED_S
    ctl.tick()
    assert ctl.view.page is PadPage.IDLE


def test_acks_for_other_tokens_or_accepted_change_nothing() -> None:
    ctl, _link, _clock = make()
    armed(ctl)
    ctl.rate(5)
    command(ctl, "rating-ack", m.RatingAck(token="tok-0000000001", accepted=True))
    command(ctl, "rating-ack", m.RatingAck(token="tok-other-0001", accepted=False,
                                           code="used"))
    assert ctl.view.page is PadPage.THANKS


def test_a_late_refusal_after_idle_is_only_logged() -> None:
    ctl, _link, clock = make()
    armed(ctl)
    ctl.rate(5)
    clock.now += THANKS_S
    ctl.tick()
    command(ctl, "rating-ack", m.RatingAck(token="tok-0000000001", accepted=False,
                                           code="expired"))
    assert ctl.view.page is PadPage.IDLE


# ---- the rest of the screen -----------------------------------------------------------------

def test_language_elderly_and_call_staff() -> None:
    ctl, link, clock = make()
    armed(ctl)
    ctl.toggle_language()
    assert ctl.view.language == "en"
    ctl.toggle_elderly()
    assert ctl.view.elderly
    ctl.call_helper()
    assert isinstance(link.last("helper-request"), m.HelperRequest)
    assert ctl.view.banner == texts.HELP_SENT and ctl.view.page is PadPage.ARMED
    clock.now += 11
    ctl.tick()
    assert ctl.view.banner is None


def test_offline_badge_follows_the_link() -> None:
    ctl, link, _clock = make()
    assert ctl.view.online
    link.server = False
    ctl.tick()
    assert not ctl.view.online
    link.server = True
    ctl.tick()
    assert ctl.view.online


# ---- photos (亮证) --------------------------------------------------------------------------

def test_photo_is_asked_once_per_hash_and_cached_on_disk(tmp_path: Path) -> None:
    ctl, link, clock = make(tmp_path)
    send_state(ctl, window_state(1))
    send_state(ctl, window_state(2))
    ctl.tick()
    armed(ctl)  # the same person, the same hash
    asked = [msg for n, msg in link.sent if n == "photo-request"]
    assert len(asked) == 1
    request = asked[0]
    assert isinstance(request, m.PhotoRequest) and request.staff_id == "10005"
    assert ctl.view.staff[0].photo_path is None  # initials until it comes
    command(ctl, "photo", photo_reply(request.request_id))
    cached = tmp_path / "photos" / f"{PHOTO_A}.jpg"
    assert cached.read_bytes() == JPEG
    assert ctl.view.staff[0].photo_path == str(cached)
    assert ctl.view.served_by is not None and ctl.view.served_by.photo_path == str(cached)
    # A restarted pad finds it on disk and asks nothing.
    again, link2, _c = make(tmp_path)
    send_state(again, window_state(1))
    assert "photo-request" not in link2.names()
    assert again.view.staff[0].photo_path == str(cached)
    clock.now += 1000
    ctl.tick()
    assert link.names().count("photo-request") == 1


def test_no_photo_on_file_keeps_initials_and_is_not_asked_again(tmp_path: Path) -> None:
    ctl, link, clock = make(tmp_path)
    send_state(ctl, window_state(people=[staff(photo=PHOTO_B)]))
    request = link.last("photo-request")
    command(ctl, "photo", photo_reply(request.request_id, found=False))  # type: ignore[attr-defined]
    clock.now += 1000
    ctl.tick()
    assert link.names().count("photo-request") == 1
    assert ctl.view.staff[0].photo_path is None and ctl.view.staff[0].initials == "李明"


def test_photos_are_asked_only_while_online(tmp_path: Path) -> None:
    ctl, link, _clock = make(tmp_path)
    link.connected = False
    ctl.tick()
    send_state(ctl, window_state())
    assert "photo-request" not in link.names()
    link.connected = True
    ctl.tick()
    assert link.names() == ["photo-request"]


def test_a_reply_nobody_asked_for_or_not_a_jpeg_is_not_cached(tmp_path: Path) -> None:
    ctl, link, _clock = make(tmp_path)
    command(ctl, "photo", photo_reply("req-never-asked-01"))
    send_state(ctl, window_state())
    request = link.last("photo-request")
    bad = m.StaffPhoto(request_id=request.request_id, staff_id="10005",  # type: ignore[attr-defined]
                       found=True, photo=PHOTO_A, jpeg_b64="aGVsbG8=")  # "hello"
    command(ctl, "photo", bad)
    assert not (tmp_path / "photos" / f"{PHOTO_A}.jpg").exists()
    assert ctl.view.staff[0].photo_path is None


def test_a_photo_that_does_not_match_its_hash_is_not_cached(tmp_path: Path) -> None:
    ctl, link, _clock = make(tmp_path)
    send_state(ctl, window_state(people=[staff(photo=PHOTO_B)]))
    request = link.last("photo-request")
    command(ctl, "photo", photo_reply(request.request_id, PHOTO_B))  # type: ignore[attr-defined]
    assert not list((tmp_path / "photos").glob("*.jpg"))
    assert ctl.view.staff[0].photo_path is None
