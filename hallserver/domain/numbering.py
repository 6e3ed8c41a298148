"""Ticket numbers: gapless per (category, service day), e.g. A001."""

from __future__ import annotations

from hallserver.domain.errors import Refused


def format_number(prefix: str, seq: int) -> str:
    """Printed ticket number: the prefix letter and at least three digits."""
    if seq < 1:
        raise ValueError(f"sequence numbers start at 1, got {seq}")
    return f"{prefix}{seq:03d}"


def next_seq(last_seq: int, daily_cap: int, category_name_zh: str, category_name_en: str) -> int:
    """The next sequence number of a category today, or a refusal once the cap is reached."""
    if last_seq >= daily_cap:
        raise Refused(
            "daily_cap_reached",
            f"{category_name_zh}今日号源已满（限{daily_cap}号），请改日办理或网上预约",
            f"{category_name_en}: today's {daily_cap} tickets are all taken; "
            "please come another day or book online",
        )
    return last_seq + 1
