"""FrameReader: only the latest frame, offline/online with reopen, bounded stop, and a real
OpenCV capture over files OpenCV wrote."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from camera_support import (
    WAIT,
    FreeCapture,
    GatedCapture,
    Recorder,
    ScriptedOpens,
    image_index,
)

from devices.camera import synth
from devices.camera.qr import decode_qr
from devices.camera.reader import (
    CameraUnavailable,
    Frame,
    FrameReader,
    camera_factory,
    describe_source,
    open_camera,
)
from devices.camera.synth import CHECKIN_CODE, TICKET_URL
from devices.config.links import Camera


@pytest.fixture
def readers() -> Iterator[list[FrameReader]]:
    """Readers created by a test; stopped afterwards even when the test fails."""
    made: list[FrameReader] = []
    yield made
    for reader in made:
        reader.stop(timeout=1.0)


def _fast(readers: list[FrameReader], factory: ScriptedOpens | GatedCapture | FreeCapture,
          **options: Any) -> FrameReader:
    """A reader with short backoffs; a bare capture is opened again as the same object."""
    opener = factory if isinstance(factory, ScriptedOpens) else (lambda: factory)
    reader = FrameReader(opener, backoff_initial=0.01, backoff_max=0.05, **options)
    readers.append(reader)
    return reader


def _wait_seq(reader: FrameReader, seq: int) -> Frame:
    frame = reader.wait_newer(seq - 1, timeout=WAIT)
    assert frame is not None, f"no frame {seq}"
    return frame


# ---- latest frame only ---------------------------------------------------------------------

def test_a_slow_consumer_gets_the_newest_frame_not_a_backlog(readers: list[FrameReader]) -> None:
    cap = GatedCapture()
    reader = _fast(readers, cap)
    reader.start()
    cap.allow(1)
    first = _wait_seq(reader, 1)
    assert image_index(first.image) == 0
    delivered = 1
    for burst in (5, 1, 12, 3):
        # The camera delivers `burst` frames while the consumer is busy elsewhere; the
        # next read has begun, so every delivered frame has been handed over.
        cap.allow(burst)
        delivered += burst
        assert cap.wait_reads_started(delivered + 1)
        frame = reader.wait_newer(first.seq, timeout=0)
        assert frame is not None
        assert frame.seq == first.seq + burst, "a queue would give the oldest waiting frame"
        assert image_index(frame.image) == delivered - 1
        assert reader.latest() is frame
        assert reader.wait_newer(frame.seq, timeout=0) is None  # nothing newer than newest
        first = frame
    cap.finish()


def test_only_one_frame_is_kept_in_memory(readers: list[FrameReader]) -> None:
    cap = GatedCapture()
    reader = _fast(readers, cap)
    reader.start()
    cap.allow(40)
    assert cap.wait_reads_started(41)
    cap.finish()
    assert reader.stop()
    gc.collect()
    alive = [ref() for ref in cap.images if ref() is not None]
    assert len(cap.images) == 40
    latest = reader.latest()
    assert latest is not None
    assert len(alive) == 1
    assert alive[0] is latest.image


def test_free_running_camera_never_hands_out_an_older_frame(
        readers: list[FrameReader]) -> None:
    cap = FreeCapture()
    reader = _fast(readers, cap)
    reader.start()
    seq, index = 0, -1
    for _ in range(30):
        reads_before = cap.reads
        frame = reader.wait_newer(seq, timeout=WAIT)
        assert frame is not None
        assert frame.seq > seq
        assert image_index(frame.image) > index
        # The worker read frame k only after publishing frame k - 1.
        assert image_index(frame.image) >= reads_before - 2
        assert frame.seq == image_index(frame.image) + 1  # every read was published
        seq, index = frame.seq, image_index(frame.image)
        threading.Event().wait(0.005)  # a consumer slower than the camera
    assert cap.delivered > 30


def test_frames_are_read_only_and_timestamped(readers: list[FrameReader]) -> None:
    cap = FreeCapture()
    reader = _fast(readers, cap)
    before = time.monotonic()
    reader.start()
    frame = _wait_seq(reader, 1)
    second = _wait_seq(reader, frame.seq + 1)
    assert before <= frame.captured <= second.captured <= time.monotonic()
    with pytest.raises(ValueError, match="read-only"):
        frame.image[0, 0, 0] = 1


# ---- offline, reopen, online --------------------------------------------------------------

def test_a_failing_camera_goes_offline_and_comes_back(readers: list[FrameReader]) -> None:
    unplugged = FreeCapture(limit=3)
    replugged = FreeCapture()
    opens = ScriptedOpens(unplugged, CameraUnavailable("no /dev/video0"), replugged)
    events = Recorder()
    reader = _fast(readers, opens, on_online=events)
    assert not reader.online
    reader.start()
    assert events.wait_for(lambda v: len(v) >= 3), events.values
    assert events.values[:3] == [True, False, True]
    assert reader.online
    assert unplugged.released.is_set()
    assert opens.calls == 3
    assert reader.opens == 2
    frame = reader.latest()
    assert frame is not None
    assert frame.seq > 3  # sequence numbers keep growing across reopens
    assert reader.stop()
    assert events.values == [True, False, True, False]
    assert not reader.online
    assert replugged.released.is_set()


def test_a_camera_that_never_opens_stays_offline_and_retries(
        readers: list[FrameReader], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="devices.camera.reader")
    opens = ScriptedOpens(*[CameraUnavailable("no /dev/video0")] * 4, FreeCapture())
    events = Recorder()
    reader = _fast(readers, opens, on_online=events)
    reader.start()
    assert events.wait_for(lambda v: v == [True])
    assert opens.calls == 5
    failures = [r for r in caplog.records if "no /dev/video0" in r.getMessage()]
    assert [r.levelno for r in failures] == [logging.WARNING] + [logging.DEBUG] * 3


def test_a_stalled_read_goes_offline_and_reopens_only_after_it_returns(
        readers: list[FrameReader]) -> None:
    stuck = FreeCapture(block_after=2)
    healthy = FreeCapture()
    opens = ScriptedOpens(stuck, healthy)
    events = Recorder()
    reader = _fast(readers, opens, on_online=events, stall_timeout=0.2)
    reader.start()
    assert events.wait_for(lambda v: v == [True, False]), events.values
    assert stuck.blocked.is_set()
    threading.Event().wait(0.6)  # three stall timeouts: no second open meanwhile
    assert opens.calls == 1, "the device was opened again while a read still held it"
    assert not reader.online
    stuck.unblock.set()
    assert events.wait_for(lambda v: v[:3] == [True, False, True]), events.values
    assert stuck.released.is_set()
    assert opens.calls == 2


def test_a_raising_on_online_callback_does_not_stop_the_reader(
        readers: list[FrameReader]) -> None:
    calls = Recorder()

    def broken(online: bool) -> None:
        calls(online)
        raise RuntimeError("UI gone")

    reader = _fast(readers, ScriptedOpens(FreeCapture(limit=2), FreeCapture()),
                   on_online=broken)
    reader.start()
    assert calls.wait_for(lambda v: v[:3] == [True, False, True]), calls.values


# ---- bounded stop ---------------------------------------------------------------------------

def test_stop_returns_in_bounded_time_while_a_read_blocks(readers: list[FrameReader]) -> None:
    cap = FreeCapture(block_after=0)
    events = Recorder()
    reader = _fast(readers, cap, on_online=events)
    reader.start()
    assert cap.blocked.wait(WAIT)
    result: list[bool] = []
    stopper = threading.Thread(target=lambda: result.append(reader.stop(timeout=0.2)))
    stopper.start()
    stopper.join(WAIT)
    assert not stopper.is_alive(), "stop() hung on a blocked read"
    assert result == [False]  # the worker is still in read() and was left behind
    assert not cap.released.is_set()  # releasing under a running read crashes OpenCV
    assert reader.wait_newer(0, timeout=1.0) is None  # consumers are not kept waiting
    cap.unblock.set()
    assert cap.released.wait(WAIT), "the abandoned worker did not release the capture"


def test_stop_is_prompt_and_clean_with_a_working_camera(readers: list[FrameReader]) -> None:
    cap = FreeCapture()
    reader = _fast(readers, cap)
    reader.start()
    _wait_seq(reader, 1)
    assert reader.stop()
    assert cap.released.is_set()
    with pytest.raises(RuntimeError):
        reader.start()


def test_reader_checks_its_options() -> None:
    with pytest.raises(ValueError, match="positive"):
        FrameReader(FreeCapture, stall_timeout=0)
    with pytest.raises(ValueError, match="max_read_failures"):
        FrameReader(FreeCapture, max_read_failures=0)


# ---- a real cv2.VideoCapture over files written by OpenCV -----------------------------------

def _qr_frames(count: int) -> list[np.ndarray]:
    texts = [TICKET_URL] * (count // 2) + [CHECKIN_CODE] * (count - count // 2)
    return [synth.to_bgr(synth.scene(text, size=220, angle=5 * i, seed=i))
            for i, text in enumerate(texts)]


def _write_video(path: Path, frames: list[np.ndarray]) -> None:
    # MJPG in AVI: the headless wheel's FFMPEG writes and reads it (also mp4v, FFV1, XVID).
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 15, (640, 480))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()


def _write_images(folder: Path, frames: list[np.ndarray]) -> str:
    for i, frame in enumerate(frames):
        assert cv2.imwrite(str(folder / f"frame_{i:03d}.png"), frame)
    return str(folder / "frame_%03d.png")


@pytest.mark.parametrize("kind", ["video", "image sequence"])
def test_real_videocapture_feeds_the_reader(tmp_path: Path, kind: str,
                                            readers: list[FrameReader]) -> None:
    frames = _qr_frames(6)
    if kind == "video":
        source = str(tmp_path / "kiosk.avi")
        _write_video(tmp_path / "kiosk.avi", frames)
    else:
        source = _write_images(tmp_path, frames)
    events = Recorder()
    camera = Camera(device=source, width=640, height=480)
    reader = FrameReader.for_camera(camera, on_online=events, backoff_initial=0.01,
                                    backoff_max=0.05)
    readers.append(reader)
    reader.start()
    texts: set[str] = set()
    seq = 0
    # The file ends after 6 frames, the reader reopens it: offline, online, and again.
    while len(texts) < 2 or not events.wait_for(lambda v: v[:3] == [True, False, True], 0):
        frame = reader.wait_newer(seq, timeout=WAIT)
        assert frame is not None
        assert frame.image.shape == (480, 640, 3)
        seq = frame.seq
        text = decode_qr(frame.image)
        if text is not None:
            texts.add(text)
    assert texts == {TICKET_URL, CHECKIN_CODE}
    assert reader.opens >= 2


def test_open_camera_refuses_a_missing_source(tmp_path: Path) -> None:
    with pytest.raises(CameraUnavailable, match="cannot open camera"):
        open_camera(str(tmp_path / "absent.avi"), 640, 480)
    opener = camera_factory(Camera(device=str(tmp_path / "absent.avi")))
    with pytest.raises(CameraUnavailable):
        opener()


def test_stream_credentials_stay_out_of_messages() -> None:
    assert describe_source("rtsp://admin:s3cret@10.0.0.5:554/stream1") == \
        "rtsp://***@10.0.0.5:554/stream1"
    assert describe_source("/dev/video0") == "/dev/video0"
    assert describe_source(2) == "#2"
