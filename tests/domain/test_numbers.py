"""Number normalisation and the inventory's ranges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringway.domain.numbers import DEFAULT_INVENTORY, country_of, normalize_msisdn


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("447700900000", "447700900000"),
        ("+44 7700 900000", "447700900000"),
        ("0044-7700-900000", "447700900000"),
        ("+1 (415) 555-0100", "14155550100"),
        (" 33.1.99.00.00.00 ", "33199000000"),
    ],
)
def test_normalisation_to_e164_digits(raw: str, e164: str) -> None:
    assert normalize_msisdn(raw) == e164


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("07700900000", "country code"),
        ("4477OO900000", "only digits"),
        ("123456", "7 to 15"),
        ("1234567890123456", "7 to 15"),
        ("", "empty"),
        ("+", "empty"),
        ("٤٤٧٧٠٠٩٠٠٠٠٠", "only digits"),
    ],
)
def test_malformed_numbers_say_why(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_msisdn(raw)


@given(st.from_regex(r"\A[1-9][0-9]{6,14}\Z"))
def test_normalisation_is_idempotent_on_e164(number: str) -> None:
    assert normalize_msisdn(normalize_msisdn(f"+{number}")) == number


def test_every_inventory_range_is_in_its_country_and_the_ranges_do_not_overlap() -> None:
    seen: set[str] = set()
    for number_range in DEFAULT_INVENTORY:
        numbers = number_range.numbers()
        assert all(country_of(n) == number_range.country for n in numbers)
        assert all(normalize_msisdn(n) == n for n in numbers)
        assert not seen & set(numbers)
        seen |= set(numbers)
    assert {r.country for r in DEFAULT_INVENTORY} == {"GB", "US", "DE", "FR", "ES", "AU"}
    assert {r.type for r in DEFAULT_INVENTORY} == {"landline", "mobile-lvn", "landline-toll-free"}
