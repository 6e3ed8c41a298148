"""Ticket numbers: prefix plus at least three digits, gapless, refused at the daily cap."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallserver.domain.errors import DomainError, Refused
from hallserver.domain.numbering import format_number, next_seq


@pytest.mark.parametrize(("prefix", "seq", "expected"), [
    ("A", 1, "A001"),
    ("A", 12, "A012"),
    ("A", 999, "A999"),
    ("A", 1000, "A1000"),
    ("Z", 9999, "Z9999"),
])
def test_format_number(prefix: str, seq: int, expected: str) -> None:
    assert format_number(prefix, seq) == expected


@pytest.mark.parametrize("seq", [0, -1])
def test_format_number_rejects_non_positive(seq: int) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        format_number("A", seq)


@given(st.sampled_from("ABCDXYZ"), st.integers(1, 99_999))
def test_format_number_round_trips(prefix: str, seq: int) -> None:
    text = format_number(prefix, seq)
    m = re.fullmatch(r"([A-Z])(\d{3,})", text)
    assert m is not None
    assert m.group(1) == prefix
    assert int(m.group(2)) == seq


@given(st.integers(1, 500), st.integers(1, 500))
def test_formatted_numbers_sort_by_sequence_up_to_999(a: int, b: int) -> None:
    # within the three-digit range the printed numbers sort like their sequence numbers
    assert (format_number("A", a) < format_number("A", b)) == (a < b)


def test_next_seq_counts_up_to_the_cap_without_gaps() -> None:
    cap = 5
    seen = []
    last = 0
    while True:
        try:
            last = next_seq(last, cap, "社保", "Social insurance")
        except Refused:
            break
        seen.append(last)
    assert seen == list(range(1, cap + 1))


def test_next_seq_refuses_at_the_cap() -> None:
    with pytest.raises(Refused) as info:
        next_seq(300, 300, "社保", "Social insurance")
    err = info.value
    assert isinstance(err, DomainError)
    assert err.code == "daily_cap_reached"
    assert "社保" in err.message_zh
    assert "300" in err.message_zh
    assert "号源已满" in err.message_zh
    assert "Social insurance" in err.message_en
    assert "300" in err.message_en
    assert err.as_dict() == {"code": "daily_cap_reached", "message": err.message_zh,
                             "message_en": err.message_en}


def test_next_seq_refuses_beyond_the_cap() -> None:
    # a cap lowered during the day must not let the counter run on
    with pytest.raises(Refused):
        next_seq(301, 300, "社保", "Social insurance")


@given(st.integers(0, 9998), st.integers(1, 9999))
def test_next_seq_is_last_plus_one_below_cap(last: int, cap: int) -> None:
    if last < cap:
        assert next_seq(last, cap, "x", "x") == last + 1
    else:
        with pytest.raises(Refused):
            next_seq(last, cap, "x", "x")
