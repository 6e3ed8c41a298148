"""Masking of personal data (PIPL) before it reaches any screen, topic, log or error.

What counts as a number is read the way people write one, not as one regular expression:
a run of digit groups (ASCII or full-width digits) joined by at most three separators
(spaces, the ideographic space, dashes of every width, dots, middle dots, underscores,
slashes), with an optional `+` in front and an `X` at the end of a group. Within a run,
consecutive groups whose digits make a resident ID (18 digits, the last may be X; or the
legacy 15) or a mainland mobile (11 digits from 13x-19x, optionally after 86 / +86) are
masked, the longest first, and the groups left over are kept: `13812345678 2份` keeps `2份`.
Letters around a number do not protect it (`ID110101199003071234abc`). Masking too much is
the safe side: a run of other numbers that happens to look like a phone number is masked.
"""

from __future__ import annotations

import logging
import re
import unicodedata

_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_DIGIT = "0-9\uff10-\uff19"
_SEPARATOR = " \u00a0\u3000\\-\u2010-\u2015\u2212\uff0d.\uff0e\u00b7\u30fb_/\uff0f"
_X = "Xx\uff38\uff58"
_GROUP = rf"[{_DIGIT}]+(?:[{_X}](?![{_DIGIT}]))?"
_RUN = re.compile(  # a check digit X may stand apart: 110101 19900307 123 X
    rf"(?<![{_DIGIT}])[+\uff0b]?{_GROUP}(?:[{_SEPARATOR}]{{1,3}}(?:{_GROUP}|[{_X}]))*")
_GROUPS = re.compile(rf"{_GROUP}|[{_X}]")


_LENGTHS = (18, 15, 13, 11)  # the longest number first


def _masked(digits: str) -> str | None:
    """The masked form of one number's digits, or None when they are no ID or mobile."""
    n = len(digits)
    if n not in _LENGTHS:
        return None
    body, last = digits[:-1], digits[-1]
    if n == 18 and body.isdigit() and (last.isdigit() or last in "Xx"):
        return f"{digits[:6]}{'*' * 8}{digits[14:]}"
    if not digits.isdigit():
        return None
    if n == 15:
        return f"{digits[:6]}{'*' * 6}{digits[12:]}"
    if n == 11 and digits[0] == "1" and digits[1] in "3456789":
        return f"{digits[:3]}****{digits[7:]}"
    if n == 13 and digits.startswith("86") and digits[2] == "1" and digits[3] in "3456789":
        return f"86 {digits[2:5]}****{digits[9:]}"
    return None


def _mask_run(run: str) -> str:
    groups = [(m.start(), m.end(), m.group().translate(_FULL_WIDTH))
              for m in _GROUPS.finditer(run)]
    out: list[str] = []
    kept_to = 0  # run[:kept_to] is in `out` already
    i = 0
    while i < len(groups):
        digits = ""
        candidates: dict[int, tuple[int, int, str]] = {}  # length -> (group, end, masked)
        for j in range(i, len(groups)):
            digits += groups[j][2]
            if len(digits) > max(_LENGTHS) + 1:
                break
            # An X ending a group may be the ID's check digit or a letter after a number.
            for number, end in ((digits, groups[j][1]), (digits[:-1], groups[j][1] - 1)):
                masked = _masked(number)
                if masked is not None and len(number) not in candidates:
                    candidates[len(number)] = (j, end, masked)
                if not digits.endswith(("X", "x")):
                    break
        found = next((candidates[n] for n in _LENGTHS if n in candidates), None)
        if found is None:
            i += 1
            continue
        j, end, masked = found
        start = groups[i][0]
        if start > 0 and run[start - 1] in "+\uff0b" and masked.startswith("86 "):
            start -= 1
            masked = "+" + masked
        out.append(run[kept_to:start])
        out.append(masked)
        kept_to = end
        i = j + 1
    out.append(run[kept_to:])
    return "".join(out)


def mask_personal(text: str) -> str:
    """Replace ID-card and mobile numbers in free text by masked forms (110101********1234,
    138****5678), however they are spaced, dashed, dotted or written in full-width digits."""
    return _RUN.sub(lambda m: _mask_run(m.group()), text)


def one_line(text: str) -> str:
    """Text with its line breaks and other control or invisible characters written as
    escapes (\\n, \\x1b, \\u202e): what a client typed cannot start a forged log line,
    move the cursor of a terminal or turn the text around."""
    return "".join(ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else
                   ch.encode("unicode_escape").decode("ascii") for ch in text)


class MaskingFormatter(logging.Formatter):
    """A log formatter that masks the whole line, tracebacks included: whatever a message,
    an argument or an exception carries, no ID or mobile number reaches a log file. The
    message itself is kept to one line (`one_line`): one record, one line, then its
    traceback."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        """The message part, on one line."""
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, masked."""
        return mask_personal(super().format(record))
