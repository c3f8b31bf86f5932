"""The ICO's one-calendar-month rule, extensions and pauses."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosures.deadlines import add_months, due_date

D = datetime.date


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (D(2026, 1, 31), D(2026, 2, 28)),
        (D(2028, 1, 31), D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), D(2026, 4, 30)),
        (D(2026, 1, 15), D(2026, 2, 15)),
        (D(2026, 12, 31), D(2027, 1, 31)),
        (D(2026, 8, 31), D(2026, 9, 30)),
        (D(2026, 2, 28), D(2026, 3, 28)),
    ],
)
def test_one_calendar_month(received: datetime.date, due: datetime.date) -> None:
    assert due_date(received) == due


def test_extension_by_up_to_two_more_months() -> None:
    assert due_date(D(2026, 1, 31), extension_months=2) == D(2026, 4, 30)
    assert due_date(D(2026, 1, 31), extension_months=1) == D(2026, 3, 31)
    with pytest.raises(ValueError):
        due_date(D(2026, 1, 31), extension_months=3)


def test_a_pause_moves_the_deadline_by_its_length() -> None:
    received = D(2026, 3, 1)
    pauses = [(D(2026, 3, 5), D(2026, 3, 12))]  # waited 7 days for identity
    assert due_date(received, pauses=pauses) == D(2026, 4, 8)


def test_an_open_pause_counts_up_to_today() -> None:
    received = D(2026, 3, 1)
    pauses = [(D(2026, 3, 5), None)]
    assert due_date(received, pauses=pauses, today=D(2026, 3, 15)) == D(2026, 4, 11)


def test_waiting_for_identity_from_receipt_starts_the_month_on_the_reply() -> None:
    received = D(2025, 1, 30)
    verified = [(received, D(2025, 1, 31))]
    assert due_date(received, pauses=verified) == D(2025, 2, 28)  # not 1 March
    waiting = [(received, None)]
    assert due_date(received, pauses=waiting, today=D(2025, 2, 10)) == D(2025, 3, 10)
    # a later pause still adds its days
    later = [*verified, (D(2025, 2, 10), D(2025, 2, 13))]
    assert due_date(received, pauses=later, today=D(2025, 3, 1)) == D(2025, 3, 3)


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)), st.integers(0, 2))
def test_due_date_properties(received: datetime.date, extension: int) -> None:
    due = due_date(received, extension_months=extension)
    months_between = (due.year - received.year) * 12 + due.month - received.month
    assert months_between == 1 + extension
    assert due > received
    # the same day, or the last day of a shorter month
    assert due.day == received.day or (
        due.day < received.day and (due + datetime.timedelta(days=1)).day == 1
    )
    assert add_months(received, 0) == received
