"""Staff photos (亮证) cached on disk by their content hash, and initials for no photo."""

from __future__ import annotations

import logging
import re
from pathlib import Path

logger = logging.getLogger(__name__)

_HASH = re.compile(r"^[0-9a-f]{16}$")
_JPEG_MAGIC = b"\xff\xd8\xff"
MAX_BYTES = 36 * 1024  # the protocol's base64 limit is 48 KiB


class PhotoCache:
    """JPEG files named `<hash>.jpg` in one directory; a write is atomic."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, photo_hash: str) -> Path | None:
        """The cached file of a hash, or None."""
        if not _HASH.fullmatch(photo_hash):
            return None
        file = self.directory / f"{photo_hash}.jpg"
        return file if file.is_file() else None

    def save(self, photo_hash: str, jpeg: bytes) -> Path | None:
        """Store a JPEG under its hash; None (logged) if it is not a JPEG or cannot be written."""
        if not _HASH.fullmatch(photo_hash):
            logger.warning("photo hash %r is not 16 hex digits", photo_hash[:20])
            return None
        if not jpeg.startswith(_JPEG_MAGIC) or len(jpeg) > MAX_BYTES:
            logger.warning("photo %s is not a JPEG of at most %d bytes", photo_hash, MAX_BYTES)
            return None
        file = self.directory / f"{photo_hash}.jpg"
        tmp = file.with_suffix(".tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(jpeg)
            tmp.replace(file)
        except OSError:
            logger.exception("could not cache photo %s", photo_hash)
            return None
        return file


def initials(name: str) -> str:
    """What an avatar without a photo shows: the last two characters of a Chinese name
    (as Chinese apps do), else the first letters of two words."""
    name = name.strip()
    if not name:
        return "?"
    if any(ord(ch) > 0x2E80 for ch in name):
        return name[-2:] if len(name) > 2 else name
    words = name.split()
    return "".join(w[0] for w in words[:2]).upper()
