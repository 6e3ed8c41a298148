"""The rating pad's behaviour, without widgets: taps, server commands and the clock in; a new
`PadView` out.

Rules it keeps:
- idle, it shows the window and who is on duty (亮证) from the newest retained
  `WindowDisplayState` (older versions are ignored); a photo it has not cached is asked for
  once (`evt/photo-request`) and kept on disk by its hash;
- `cmd/arm` opens the rating prompt for that token until min(expires_at, last touch +
  idle_timeout_s); a newer arm replaces it, a token seen before is ignored, an arm for
  another window is ignored and logged;
- levels 1 and 2 (差评) need at least one reason;
- a token is rated at most once: the rating goes to the outbox (`emit`: kept on disk while
  the broker is away) and thanks are shown at once; a refused `cmd/rating-ack` replaces the
  thanks with a short notice.

Thread-safety: events come from the UI thread, the MQTT dispatcher thread and the ticker;
one lock serialises them, and `on_view` gets each new view (the Kivy layer moves it to its
own thread).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from devices.protocol import messages as m
from devices.protocol.ratings import BAD_LEVELS, LEVELS, REASON_CODES, REASONS
from devices.protocol.topics import Kind, Topic
from kiosk.controller import HelperReason, Link, ViewController
from kiosk.pad import texts
from kiosk.pad.model import PadPage, PadView, StaffCard
from kiosk.pad.photos import PhotoCache, initials

logger = logging.getLogger(__name__)

THANKS_S = 5.0  # thanks stay this long, then the pad goes back to idle
REFUSED_S = 6.0  # a refusal notice stays this long
HELP_BANNER_S = 10.0
PHOTO_RETRY_S = 300.0  # an unanswered photo request is asked again after this
TOKENS_KEPT = 256  # tokens remembered for duplicate arms and double submits

_PROMPT = frozenset({PadPage.ARMED, PadPage.REASONS})
_AFTER = frozenset({PadPage.THANKS, PadPage.REFUSED})


@dataclass(frozen=True)
class PadSettings:
    """What the controller takes from the pad's device config."""

    device_id: str
    window: int
    idle_timeout_s: float
    languages: tuple[str, ...] = ("zh", "en")


class _Tokens:
    """A bounded set of tokens, oldest forgotten first."""

    def __init__(self, keep: int = TOKENS_KEPT) -> None:
        self._items: OrderedDict[str, None] = OrderedDict()
        self._keep = keep

    def add(self, token: str) -> None:
        self._items[token] = None
        while len(self._items) > self._keep:
            self._items.popitem(last=False)

    def __contains__(self, token: object) -> bool:
        return token in self._items


class PadController(ViewController[PadSettings, PadView]):
    """Rating pad behaviour; see the module docstring."""

    def __init__(self, settings: PadSettings, link: Link, *, photos: PhotoCache | None = None,
                 on_view: Callable[[PadView], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = m.utc_now,
                 new_id: Callable[[], str] = m.new_id) -> None:
        super().__init__(settings, link, on_view=on_view, clock=clock, new_id=new_id)
        self.photos = photos
        self.wall = wall
        self.window_state: m.WindowDisplayState | None = None
        self._arm: m.PadArm | None = None
        self._expires = 0.0  # the arm's expires_at on the monotonic clock
        self._deadline = 0.0  # when the prompt closes
        self._seen = _Tokens()  # every token armed
        self._submitted = _Tokens()  # every token rated
        self._shown: str | None = None  # the token whose thanks or refusal is on screen
        self._until = 0.0  # when thanks or a refusal go
        self._banner_until = 0.0
        self._asked: dict[str, float] = {}  # photo hash -> when asked
        self._requests: dict[str, str] = {}  # photo request_id -> hash asked
        self._no_photo: set[str] = set()  # hashes the server has no photo for
        self.view = PadView(window=settings.window, languages=settings.languages,
                            language=settings.languages[0])
        self._refresh()

    # ---- taps ---------------------------------------------------------------------------------

    def rate(self, level: int) -> None:
        """A level button (5 非常满意 … 1 非常不满意)."""
        with self._lock:
            arm = self._arm
            if self.view.page is not PadPage.ARMED or arm is None or level not in LEVELS:
                return
            self._touch()
            if level in BAD_LEVELS:
                self._show(page=PadPage.REASONS, level=level, reasons=frozenset(), banner=None)
                return
            self._submit(arm, level, ())

    def toggle_reason(self, code: str) -> None:
        """Pick or unpick a reason on the reasons page."""
        with self._lock:
            if self.view.page is not PadPage.REASONS or code not in REASON_CODES:
                return
            self._touch()
            self._show(reasons=self.view.reasons ^ {code}, banner=None)

    def submit_reasons(self) -> None:
        """Send a bad rating with its reasons (at least one)."""
        with self._lock:
            v, arm = self.view, self._arm
            if v.page is not PadPage.REASONS or arm is None or v.level is None:
                return
            self._touch()
            if not v.reasons:
                self._show(banner=texts.WHY_REQUIRED)
                self._banner_until = self.clock() + HELP_BANNER_S
                return
            self._submit(arm, v.level, tuple(r.code for r in REASONS if r.code in v.reasons))

    def back(self) -> None:
        """From the reasons back to the levels; from thanks or a notice back to idle."""
        with self._lock:
            page = self.view.page
            if page is PadPage.REASONS:
                self._touch()
                self._show(page=PadPage.ARMED, level=None, reasons=frozenset(), banner=None)
            elif page in _AFTER:
                self._idle()

    def call_helper(self, reason: HelperReason = "general") -> None:
        """Page hall staff to this window (帮办); the page stays."""
        with self._lock:
            self._page_helper(reason)
            self._banner_until = self.clock() + HELP_BANNER_S
            self._show(banner=texts.HELP_SENT)

    # ---- time ---------------------------------------------------------------------------------

    def tick(self) -> None:
        """Called about twice a second: link state, countdown, timeouts, photo retries."""
        with self._lock:
            now = self.clock()
            self._refresh()
            page = self.view.page
            if page in _PROMPT:
                left = self._deadline - now
                if left <= 0:
                    logger.info("rating prompt for %s timed out: no rating recorded",
                                self.view.number)
                    self._idle()
                else:
                    self._show(seconds_left=math.ceil(left))
            elif page in _AFTER and now >= self._until:
                self._idle()
            if self.view.banner is not None and now >= self._banner_until:
                self._show(banner=None)
            self._ask_photos(now)

    # ---- inbound ------------------------------------------------------------------------------

    def on_message(self, topic: Topic, message: m.Message) -> None:
        """A command or state from the server (DeviceClient's on_command)."""
        with self._lock:
            if topic.kind is Kind.STATE and isinstance(message, m.WindowDisplayState):
                self._state(message)
                return
            match message:
                case m.PadArm():
                    self._armed(message)
                case m.RatingAck():
                    self._acked(message)
                case m.StaffPhoto():
                    self._photo(message)
                case _:
                    logger.debug("ignored %s", type(message).__name__)

    # ---- internals ----------------------------------------------------------------------------

    def _touch(self) -> None:
        """A tap gives the citizen another idle_timeout_s, never past the arm's expiry."""
        if self.view.page in _PROMPT:
            now = self.clock()
            self._deadline = min(self._expires, now + self.settings.idle_timeout_s)
            self._show(seconds_left=max(0, math.ceil(self._deadline - now)))

    def _idle(self) -> None:
        self._arm = None
        self._shown = None
        self._show(page=PadPage.IDLE, number=None, category_name=None, served_by=None,
                   seconds_left=0, level=None, reasons=frozenset(), refusal=None)

    def _state(self, state: m.WindowDisplayState) -> None:
        old = self.window_state
        if old is not None and state.version <= old.version:
            logger.debug("ignored window state %d (showing %d)", state.version, old.version)
            return
        if state.window != self.settings.window:
            logger.warning("state for window %d on the pad of window %d", state.window,
                           self.settings.window)
        self.window_state = state
        self._show(window_name=state.window_name, mode=state.mode, note=state.note,
                   staff=self._cards(state.staff))
        self._ask_photos(self.clock())

    def _armed(self, arm: m.PadArm) -> None:
        if arm.window != self.settings.window:
            logger.warning("ignored an arm for window %d on the pad of window %d (token %s…)",
                           arm.window, self.settings.window, arm.token[:6])
            return
        if arm.token in self._seen:
            logger.info("ignored a repeated arm (token %s…)", arm.token[:6])
            return
        self._seen.add(arm.token)
        now = self.clock()
        remaining = (arm.expires_at - self.wall()).total_seconds()
        if remaining <= 0:
            logger.warning("ignored an arm that expired %.0fs ago (ticket %s)", -remaining,
                           arm.number)
            return
        if self._arm is not None and self.view.page in _PROMPT:
            logger.info("arm for %s replaces the unrated %s", arm.number, self._arm.number)
        self._arm = arm
        self._shown = None
        self._expires = now + remaining
        self._deadline = min(self._expires, now + self.settings.idle_timeout_s)
        self._show(page=PadPage.ARMED, number=arm.number, category_name=arm.category_name,
                   served_by=self._served(), seconds_left=math.ceil(self._deadline - now),
                   level=None, reasons=frozenset(), refusal=None)
        self._ask_photos(now)

    def _submit(self, arm: m.PadArm, level: int, reasons: tuple[str, ...]) -> None:
        if arm.token in self._submitted:
            return
        self._submitted.add(arm.token)
        self.link.emit("rating", m.Rating(token=arm.token, level=level, reasons=list(reasons)))
        logger.info("rating %d for %s queued", level, arm.number)
        self._arm = None
        self._shown = arm.token
        self._until = self.clock() + THANKS_S
        self._show(page=PadPage.THANKS, level=level, reasons=frozenset(reasons), seconds_left=0,
                   refusal=None)

    def _acked(self, ack: m.RatingAck) -> None:
        if ack.accepted:
            logger.debug("rating accepted (token %s…)", ack.token[:6])
            return
        logger.warning("rating refused: %s (token %s…)", ack.code, ack.token[:6])
        if self._shown == ack.token and self.view.page is PadPage.THANKS:
            self._until = self.clock() + REFUSED_S
            self._show(page=PadPage.REFUSED, refusal=texts.refusal(ack.code))

    # ---- photos -------------------------------------------------------------------------------

    def _cards(self, staff: list[m.StaffOnDuty]) -> tuple[StaffCard, ...]:
        ordered = sorted(staff, key=lambda s: s.role)  # A before B
        return tuple(StaffCard(role=s.role, staff_id=s.staff_id, name=s.name,
                               initials=initials(s.name), photo_path=self._photo_path(s.photo))
                     for s in ordered)

    def _served(self) -> StaffCard | None:
        """Who served: named by the arm, else the A role on duty."""
        arm = self._arm
        if arm is None:
            return None
        if arm.staff is not None:
            return self._cards([arm.staff])[0]
        return self.view.staff[0] if self.view.staff else None

    def _photo_path(self, photo: str | None) -> str | None:
        if photo is None or self.photos is None:
            return None
        path = self.photos.path(photo)
        return str(path) if path is not None else None

    def _wanted_photos(self) -> list[tuple[str, str]]:
        """(hash, staff_id) of photos on screen that are not cached."""
        people = list(self.window_state.staff) if self.window_state else []
        if self._arm is not None and self._arm.staff is not None:
            people.append(self._arm.staff)
        return [(s.photo, s.staff_id) for s in people
                if s.photo is not None and s.photo not in self._no_photo
                and self._photo_path(s.photo) is None]

    def _ask_photos(self, now: float) -> None:
        if self.photos is None or not self.view.online:
            return
        for photo, staff_id in self._wanted_photos():
            if now - self._asked.get(photo, -math.inf) < PHOTO_RETRY_S:
                continue
            self._asked[photo] = now
            request_id = self.new_id()
            self._requests[request_id] = photo
            self.link.send("photo-request", m.PhotoRequest(request_id=request_id,
                                                           staff_id=staff_id))

    def _photo(self, msg: m.StaffPhoto) -> None:
        asked = self._requests.pop(msg.request_id, None)
        if asked is None or self.photos is None:
            logger.debug("photo reply %s… not asked for", msg.request_id[:6])
            return
        if not msg.found or not msg.jpeg_b64:
            self._no_photo.add(asked)
            logger.info("no photo on file for staff %s: initials", msg.staff_id)
        else:
            try:
                jpeg = base64.b64decode(msg.jpeg_b64, validate=True)
            except (binascii.Error, ValueError):
                logger.warning("photo of staff %s is not base64", msg.staff_id)
                self._no_photo.add(asked)
                return
            # A photo changed since the state was sent is stored under its new hash; the
            # next state names it. The hash is the JPEG's sha256 (first 16 hex digits), as
            # the server computes it: a damaged copy is not cached (asked again later).
            name = msg.photo or asked
            if hashlib.sha256(jpeg).hexdigest()[:16] != name:
                logger.warning("photo of staff %s does not match its hash %s", msg.staff_id,
                               name)
                return
            if self.photos.save(name, jpeg) is None:
                self._no_photo.add(asked)
        state = self.window_state
        self._show(staff=self._cards(state.staff) if state else ())
        if self._arm is not None:
            self._show(served_by=self._served())

    def _refresh(self) -> None:
        connected, server = self.link.available()
        self._show(online=connected and server)
