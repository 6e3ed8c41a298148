"""Staff photos for 亮证 on the window's pad: JPEG files named in the roster, relative to
the hall's config directory, read once and cached by modification time."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from hallserver.config.models import HallConfig

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 36 * 1024  # base64 must fit the 48 KiB field of `cmd/photo`


@dataclass(frozen=True)
class Photo:
    """A staff photo and its content hash (what pads cache it by)."""

    digest: str
    jpeg: bytes


class StaffPhotos:
    """Looks up the photo of a member of staff in the roster."""

    def __init__(self, config_dir: Path | None) -> None:
        self.config_dir = config_dir
        self._cache: dict[Path, tuple[float, Photo | None]] = {}
        self._lock = threading.Lock()

    def get(self, cfg: HallConfig, staff_id: str) -> Photo | None:
        """The photo on file, or None (no photo configured, missing, too large, not JPEG)."""
        seed = next((s for s in cfg.staff if s.id == staff_id), None)
        if seed is None or seed.photo is None or self.config_dir is None:
            return None
        path = (self.config_dir / seed.photo).resolve()
        if not path.is_relative_to(self.config_dir.resolve()):
            logger.error("photo of staff %s is outside the config directory", staff_id)
            return None
        try:
            mtime = path.stat().st_mtime
        except OSError:
            logger.warning("photo of staff %s not found: %s", staff_id, path.name)
            return None
        with self._lock:
            cached = self._cache.get(path)
            if cached is not None and cached[0] == mtime:
                return cached[1]
        data = path.read_bytes()
        photo = None
        if len(data) > MAX_PHOTO_BYTES:
            logger.error("photo of staff %s is %d bytes (max %d): not sent to pads",
                         staff_id, len(data), MAX_PHOTO_BYTES)
        elif not data.startswith(b"\xff\xd8"):
            logger.error("photo of staff %s is not a JPEG", staff_id)
        else:
            photo = Photo(hashlib.sha256(data).hexdigest()[:16], data)
        with self._lock:
            self._cache[path] = (mtime, photo)
        return photo
