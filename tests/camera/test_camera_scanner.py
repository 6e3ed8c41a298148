"""QrScanner: one report per presented code, pause/resume, the pass schedule, bounded stop,
and the whole chain from a (fake) camera through FrameReader."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from camera_support import WAIT, FreeCapture, Recorder, ScriptedFrames

from devices.camera import synth
from devices.camera.qr import PASSES, QUICK_PASSES, Image
from devices.camera.reader import FrameReader
from devices.camera.scanner import QrScanner
from devices.camera.synth import CHECKIN_CODE, RECEIPT_URL, TICKET_URL


@functools.cache
def _shown(text: str | None, jitter: int = 0) -> Image:
    """A camera frame with the code held a little differently each time (or no code)."""
    if text is None:
        image = synth.add_noise(synth.background(seed=40 + jitter), 3, seed=jitter)
    else:
        image = synth.scene(text, size=200 + 4 * jitter, angle=3 * jitter - 6,
                            center=(320 + 5 * jitter, 240), seed=jitter)
    frame = synth.to_bgr(image)
    frame.flags.writeable = False
    return frame


@pytest.fixture
def scanners() -> Iterator[list[QrScanner]]:
    made: list[QrScanner] = []
    yield made
    for scanner in made:
        scanner.stop(timeout=1.0)


def _scanner(scanners: list[QrScanner], frames: ScriptedFrames | FrameReader,
             reports: Recorder, **options: Any) -> QrScanner:
    scanner = QrScanner(frames, reports, max_rate=1000.0, **options)
    scanners.append(scanner)
    return scanner


def _play(frames: ScriptedFrames, shows: Sequence[tuple[float, str | None]]) -> None:
    """Push (capture time, text) frames and wait until the scanner decoded them all."""
    for i, (at, text) in enumerate(shows):
        frames.push(_shown(text, i % 4), at)
    assert frames.drained.wait(WAIT), "the scanner did not get through the frames"


def _eventually(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    stop = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return True
        stop.wait(0.02)
    return predicate()


# ---- once per presentation ------------------------------------------------------------------

def test_a_code_held_in_front_of_the_camera_is_reported_once(
        scanners: list[QrScanner]) -> None:
    frames, reports = ScriptedFrames(), Recorder()
    scanner = _scanner(scanners, frames, reports, thorough_every=1)
    scanner.start()
    _play(frames, [(100 + 0.1 * i, CHECKIN_CODE) for i in range(16)])
    assert reports.values == [CHECKIN_CODE]
    assert scanner.frames_decoded == 16


def test_another_code_is_reported_and_the_first_again_after_a_pause_in_view(
        scanners: list[QrScanner]) -> None:
    frames, reports = ScriptedFrames(), Recorder()
    scanner = _scanner(scanners, frames, reports, repeat_after=3.0)
    scanner.start()
    _play(frames, [
        (0.0, TICKET_URL), (0.5, TICKET_URL),
        (1.0, RECEIPT_URL), (1.5, RECEIPT_URL),     # the next citizen's receipt
        (2.0, None),
        (3.0, TICKET_URL),                          # 2.5 s after last seen: same presentation
        (4.0, None), (5.0, None),
        (7.0, TICKET_URL),                          # 4 s after last seen: shown again
    ])
    assert reports.values == [TICKET_URL, RECEIPT_URL, TICKET_URL]


def test_missed_frames_while_held_do_not_split_a_presentation(
        scanners: list[QrScanner]) -> None:
    frames, reports = ScriptedFrames(), Recorder()
    scanner = _scanner(scanners, frames, reports, repeat_after=2.0)
    scanner.start()
    # The decoder misses the code on some frames (here: no code at all in them).
    shows = [(0.1 * i, CHECKIN_CODE if i % 3 == 0 else None) for i in range(30)]
    _play(frames, shows)
    assert reports.values == [CHECKIN_CODE]


def test_forget_reports_a_code_still_in_view_again(scanners: list[QrScanner]) -> None:
    frames, reports = ScriptedFrames(), Recorder()
    scanner = _scanner(scanners, frames, reports)
    scanner.start()
    _play(frames, [(0.0, CHECKIN_CODE), (0.1, CHECKIN_CODE)])
    scanner.forget()
    _play(frames, [(0.2, CHECKIN_CODE)])
    assert reports.values == [CHECKIN_CODE, CHECKIN_CODE]


# ---- pause and resume ---------------------------------------------------------------------

def test_pause_stops_reporting_and_resume_ignores_frames_from_the_pause(
        scanners: list[QrScanner]) -> None:
    frames, reports = ScriptedFrames(), Recorder()
    scanner: QrScanner

    def leave_scan_screen(text: str) -> None:
        reports(text)
        scanner.pause()  # what the kiosk does once a code was read

    scanner = QrScanner(frames, leave_scan_screen, max_rate=1000.0)
    scanners.append(scanner)
    scanner.start()
    frames.push(_shown(TICKET_URL), 0.0)
    assert reports.wait_for(lambda v: v == [TICKET_URL])
    assert scanner.paused
    frames.push(_shown(RECEIPT_URL), 1.0)  # shown while the screen does not scan
    threading.Event().wait(0.3)  # plenty of time to decode it, were the scanner running
    assert scanner.frames_decoded == 1
    assert reports.values == [TICKET_URL]
    scanner.resume()
    frames.push(_shown(CHECKIN_CODE), 2.0)
    assert reports.wait_for(lambda v: len(v) == 2)
    assert reports.values == [TICKET_URL, CHECKIN_CODE]
    assert scanner.frames_decoded == 2  # the paused-time frame was skipped, not decoded


def test_a_scanner_created_paused_decodes_nothing_until_resumed(
        scanners: list[QrScanner]) -> None:
    frames, reports = ScriptedFrames(), Recorder()
    scanner = _scanner(scanners, frames, reports, paused=True)
    scanner.start()
    frames.push(_shown(TICKET_URL), 0.0)
    threading.Event().wait(0.3)
    assert scanner.frames_decoded == 0
    scanner.resume()
    frames.push(_shown(TICKET_URL, 1), 0.1)
    assert reports.wait_for(lambda v: v == [TICKET_URL])


# ---- pass schedule, failures, stop ----------------------------------------------------------

class _FakeDecoder:
    def __init__(self, answer: str | None = None) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.answer = answer
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def __call__(self, image: Image, *, passes: Sequence[str]) -> str | None:
        self.calls.append(tuple(passes))
        self.entered.set()
        self.gate.wait()
        if self.answer == "raise":
            raise RuntimeError("decoder bug")
        return self.answer


def test_costly_passes_run_on_every_nth_frame(scanners: list[QrScanner]) -> None:
    frames, reports = ScriptedFrames(), Recorder()
    decoder = _FakeDecoder()
    scanner = _scanner(scanners, frames, reports, decode=decoder, thorough_every=3)
    scanner.start()
    _play(frames, [(0.1 * i, None) for i in range(7)])
    quick, full = tuple(QUICK_PASSES), tuple(PASSES)
    assert decoder.calls == [quick, quick, full, quick, quick, full, quick]


def test_failing_callbacks_and_decoder_do_not_stop_scanning(
        scanners: list[QrScanner]) -> None:
    frames = ScriptedFrames()
    seen: list[str] = []

    def flaky(text: str) -> None:
        seen.append(text)
        if len(seen) == 1:
            raise RuntimeError("kiosk handler bug")

    decoder = _FakeDecoder("raise")
    scanner = QrScanner(frames, flaky, max_rate=1000.0, decode=decoder)
    scanners.append(scanner)
    scanner.start()
    _play(frames, [(0.0, None)])
    decoder.answer = TICKET_URL
    _play(frames, [(1.0, None)])
    decoder.answer = CHECKIN_CODE
    _play(frames, [(2.0, None)])
    assert seen == [TICKET_URL, CHECKIN_CODE]
    assert len(decoder.calls) == 3


def test_stop_is_bounded_while_a_decode_runs(scanners: list[QrScanner]) -> None:
    frames, reports = ScriptedFrames(), Recorder()
    decoder = _FakeDecoder(TICKET_URL)
    decoder.gate.clear()
    scanner = _scanner(scanners, frames, reports, decode=decoder)
    scanner.start()
    frames.push(_shown(None), 0.0)
    assert decoder.entered.wait(WAIT)
    assert scanner.stop(timeout=0.2) is False  # still inside the decoder
    decoder.gate.set()
    assert scanner.stop(timeout=WAIT) is True
    assert reports.values == []  # the code decoded after stop() is not reported


@pytest.mark.parametrize("paused", [False, True])
def test_stop_of_an_idle_scanner(scanners: list[QrScanner], paused: bool) -> None:
    scanner = _scanner(scanners, ScriptedFrames(), Recorder(), paused=paused)
    scanner.start()
    assert scanner.stop(timeout=WAIT)
    with pytest.raises(RuntimeError):
        scanner.start()


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="thorough_every"):
        QrScanner(ScriptedFrames(), print, thorough_every=0)


# ---- the chain: camera, reader, scanner ---------------------------------------------------

def test_camera_to_report_through_the_frame_reader(scanners: list[QrScanner]) -> None:
    shown = {"image": _shown(CHECKIN_CODE)}
    camera = FreeCapture(make=lambda i: shown["image"].copy(), pace=0.02)
    reader = FrameReader(lambda: camera, backoff_initial=0.01)
    reports = Recorder()
    scanner = _scanner(scanners, reader, reports, repeat_after=60.0)
    with reader:
        scanner.start()
        assert reports.wait_for(lambda v: v == [CHECKIN_CODE])
        held_from = scanner.frames_decoded
        # The citizen keeps holding it for ten more decoded frames.
        assert _eventually(lambda: scanner.frames_decoded >= held_from + 10)
        assert reports.values == [CHECKIN_CODE]
        shown["image"] = _shown(TICKET_URL, 2)
        assert reports.wait_for(lambda v: len(v) == 2)
        assert reports.values == [CHECKIN_CODE, TICKET_URL]
