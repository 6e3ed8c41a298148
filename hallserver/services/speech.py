"""Server-side speech: Mandarin call announcements as WAV audio, from espeak-ng.

The library comes from the `espeakng-loader` wheel (espeak-ng 1.52 with its data), or else
the system's `libespeak-ng` (Debian 1.51: its `cmn` voice reads tone numbers in English, use
`cmn-latn-pinyin`). It runs in this process through ctypes: one synthesis at a time (the
library keeps global state), a few milliseconds per call, and the results are cached by
text, so a call's audio is made once whichever screen asks.

Only call texts made by `hallserver.domain.announce` reach it: the public API never speaks
text it was given.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import logging
import threading
import wave
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CACHE_SIZE = 64  # calls kept (about 150 kB each): a busy hour's recalls are served from memory
RATE_WPM = 150  # a little slower than espeak's 175: a hall is noisy and echoes
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EE_OK = 0

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                  ctypes.c_void_p)


class SpeechUnavailable(RuntimeError):
    """No espeak-ng library, or it refused the voice."""


@dataclass(frozen=True)
class _Library:
    lib: ctypes.CDLL
    data: Path | None  # None: the library's built-in data path


def _find_library() -> _Library | None:
    try:
        import espeakng_loader  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        espeakng_loader = None
    if espeakng_loader is not None:
        try:
            return _Library(ctypes.CDLL(espeakng_loader.get_library_path()),
                            Path(espeakng_loader.get_data_path()))
        except (OSError, RuntimeError) as exc:
            logger.warning("espeakng-loader's library did not load: %s", exc)
    name = ctypes.util.find_library("espeak-ng")
    if name is None:
        return None
    try:
        return _Library(ctypes.CDLL(name), None)
    except OSError as exc:
        logger.warning("libespeak-ng did not load: %s", exc)
        return None


def wav_bytes(samples: bytes, rate: int) -> bytes:
    """16-bit mono PCM samples as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples)
    return out.getvalue()


class Speech:
    """Text to WAV with espeak-ng, one synthesis at a time, cached by (voice, text)."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self.cache_size = cache_size
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, int, str], bytes] = OrderedDict()
        self._lib: ctypes.CDLL | None = None
        self._rate = 0
        self._voice: str | None = None
        self._rate_wpm: int | None = None
        self._buffer = bytearray()
        self._callback = _SynthCallback(self._collect)  # held: the library keeps a pointer
        self._failed: str | None = None

    @property
    def available(self) -> bool:
        """Whether audio can be made (loads the library on first use)."""
        with self._lock:
            return self._load() is not None

    def wav(self, text: str, voice: str, rate_wpm: int = RATE_WPM) -> bytes:
        """The text read by `voice` at `rate_wpm` words per minute as a WAV file (cached)."""
        key = (voice, rate_wpm, text)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            audio = wav_bytes(self._synthesize(text, voice, rate_wpm), self._rate)
            self._cache[key] = audio
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
            return audio

    # ---- the library, under the lock ------------------------------------------------------

    def _load(self) -> ctypes.CDLL | None:
        if self._lib is not None or self._failed is not None:
            return self._lib
        found = _find_library()
        if found is None:
            self._failed = "no espeak-ng library (pip install espeakng-loader)"
            logger.warning("server speech unavailable: %s", self._failed)
            return None
        lib = found.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        data = str(found.data).encode() if found.data is not None else None
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if rate <= 0:
            self._failed = "espeak-ng did not initialise"
            logger.warning("server speech unavailable: %s", self._failed)
            return None
        lib.espeak_SetSynthCallback(self._callback)
        self._lib, self._rate = lib, rate
        logger.info("server speech ready: espeak-ng at %d Hz", rate)
        return lib

    def _collect(self, samples: ctypes._Pointer[ctypes.c_short], count: int,
                 _events: int | None) -> int:
        if count > 0:
            self._buffer.extend(ctypes.string_at(samples, count * 2))
        return 0  # go on

    def _synthesize(self, text: str, voice: str, rate_wpm: int) -> bytes:
        lib = self._load()
        if lib is None:
            raise SpeechUnavailable(self._failed or "espeak-ng unavailable")
        if voice != self._voice:
            if lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise SpeechUnavailable(f"espeak-ng has no voice {voice!r}")
            self._voice, self._rate_wpm = voice, None  # a voice starts at its own rate
        if rate_wpm != self._rate_wpm:
            lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0)
            self._rate_wpm = rate_wpm
        encoded = text.encode() + b"\0"
        self._buffer.clear()
        status = lib.espeak_Synth(encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8,
                                  None, None)
        lib.espeak_Synchronize()
        if status != _EE_OK:
            raise SpeechUnavailable(f"espeak-ng failed ({status})")
        return bytes(self._buffer)
