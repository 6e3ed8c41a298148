"""Appointment codes: signed, typeable, verified only with the server's key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallserver.domain.appointments import ALPHABET, normalize, sign_code, verify_code
from hallserver.domain.errors import InvalidRequest, Refused

KEY = bytes(range(32))
NOW = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=2)


def test_a_code_is_four_groups_of_crockford_characters() -> None:
    code = sign_code(KEY, "demo", 42, EXPIRES)
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert all(ch in ALPHABET for ch in "".join(groups))
    claim = verify_code(KEY, "demo", code, NOW)
    assert claim.appointment_id == 42
    assert claim.expires_at == EXPIRES.replace(second=0, microsecond=0)


@given(st.integers(1, 2**24 - 1), st.integers(0, 10**6))
def test_every_id_and_expiry_round_trips(appointment_id: int, minutes: int) -> None:
    expires = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    code = sign_code(KEY, "demo", appointment_id, expires)
    claim = verify_code(KEY, "demo", code, expires - timedelta(minutes=1))
    assert (claim.appointment_id, claim.expires_at) == (appointment_id, expires)


@pytest.mark.parametrize("typed", [
    "{c}", "{lower}", "{plain}", " {spaced} ", "OWA:{c}", "{o_for_zero}",
])
def test_typing_variants_are_tolerated(typed: str) -> None:
    code = sign_code(KEY, "demo", 7, EXPIRES)
    text = typed.format(c=code, lower=code.lower(), plain=code.replace("-", ""),
                        spaced=code.replace("-", " "), o_for_zero=code.replace("0", "O"))
    assert verify_code(KEY, "demo", text, NOW).appointment_id == 7


def test_every_single_character_change_is_refused() -> None:
    code = sign_code(KEY, "demo", 1234, EXPIRES).replace("-", "")
    for i, ch in enumerate(code):
        other = ALPHABET[(ALPHABET.index(ch) + 1) % 32]
        forged = code[:i] + other + code[i + 1:]
        with pytest.raises((Refused, InvalidRequest)):
            verify_code(KEY, "demo", forged, NOW)


def test_another_key_or_hall_refuses_the_code() -> None:
    code = sign_code(KEY, "demo", 9, EXPIRES)
    with pytest.raises(Refused) as exc:
        verify_code(bytes(32), "demo", code, NOW)
    assert exc.value.code == "appointment_invalid"
    with pytest.raises(Refused):
        verify_code(KEY, "other-hall", code, NOW)


def test_an_expired_code_is_refused() -> None:
    code = sign_code(KEY, "demo", 9, EXPIRES)
    with pytest.raises(Refused) as exc:
        verify_code(KEY, "demo", code, EXPIRES + timedelta(minutes=1))
    assert exc.value.code == "appointment_expired"


@pytest.mark.parametrize("text", ["", "1234", "ABCD-EFGH-JKMN-PQRU", "x" * 80,
                                  "http://example/t/abc", "ZZZZ-ZZZZ-ZZZZ-ZZZZ-Z"])
def test_malformed_codes_get_a_clear_error(text: str) -> None:
    with pytest.raises(InvalidRequest) as exc:
        normalize(text)
    assert "预约码" in exc.value.message_zh
