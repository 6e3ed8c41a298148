"""Masking of personal data (PIPL) before it reaches any screen, topic, log or error."""

from __future__ import annotations

import re

# 18-digit resident ID (last may be X), 15-digit legacy ID, 11-digit mainland mobile, also
# written with +86 / 86 and with spaces or dashes (138 1234 5678, 138-1234-5678). Letters
# before a number do not protect it (ID110101199003071234 is still an ID number).
_ID18 = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<!\d)(\d{6})\d{6}(\d{3})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[ -]?)?1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")


def mask_personal(text: str) -> str:
    """Replace ID-card and mobile numbers in free text by masked forms (110101********1234)."""
    text = _ID18.sub(lambda m: f"{m[1]}{'*' * 8}{m[2]}", text)
    text = _ID15.sub(lambda m: f"{m[1]}{'*' * 6}{m[2]}", text)
    return _MOBILE.sub(lambda m: f"{m[1]}****{m[2]}", text)
