"""Subject access deadlines (UK GDPR Art. 12(3); ICO guidance).

One calendar month from receipt: the same day in the next month, or the last day of that
month when it has no such day (31 January -> 28 or 29 February; 31 March -> 30 April). It can
be extended by up to two further months, with a recorded reason and a notice to the client.
While identity or clarification is awaited the clock stops, and it restarts on the reply: the
deadline moves by the number of days the clock was stopped. When the wait began on receipt
(identity not yet proven), the clock never started: the month runs from the reply.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable

MAX_EXTENSION_MONTHS = 2


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the last day of that month if it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def paused_days(
    pauses: Iterable[tuple[datetime.date, datetime.date | None]], today: datetime.date
) -> int:
    """Days the clock was stopped; a pause still open counts up to today."""
    total = 0
    for started, ended in pauses:
        end = ended or today
        if end > started:
            total += (end - started).days
    return total


def due_date(
    received: datetime.date,
    *,
    extension_months: int = 0,
    pauses: Iterable[tuple[datetime.date, datetime.date | None]] = (),
    today: datetime.date | None = None,
) -> datetime.date:
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError("A subject access request can be extended by at most two months.")
    today = today or received
    start, spans = clock_start(received, pauses, today)
    base = add_months(start, 1 + extension_months)
    return base + datetime.timedelta(days=paused_days(spans, today))


def clock_start(
    received: datetime.date,
    pauses: Iterable[tuple[datetime.date, datetime.date | None]],
    today: datetime.date,
) -> tuple[datetime.date, list[tuple[datetime.date, datetime.date | None]]]:
    """When the month starts, and the pauses after that: a wait that began on receipt means
    the clock never started, so the month runs from the reply (or from today, while still
    waiting)."""
    spans = sorted(pauses)
    if spans and spans[0][0] <= received:
        return max(received, spans[0][1] or today), spans[1:]
    return received, spans
