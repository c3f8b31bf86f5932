"""Audit review benchmark: the managers' filtered, paginated pages over a year of events.

Fills a throw-away SQLite database file (in a temporary directory) with a year of synthetic
events, inserted in bulk with real MACs, then times what the review pages ask the database
for: a page of events with its total and highlight tags, by client, staff member, action,
date range and highlight; the home page's 30-day counts; a CSV export of a month; the chain
check; and archiving the oldest month. Prints a table; asserts nothing.

    .venv/bin/python bench/audit_bench.py [--events 300000]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_TMP = tempfile.TemporaryDirectory(prefix="audit-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP.name}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from practice.audit import services  # noqa: E402
from practice.audit.models import AuditEvent, AuditHead  # noqa: E402

PAGE_SIZE = 50

# (action, weight, data maker): roughly what a practice of 40 staff does in a year.
ROUTES = ["allocated"] * 940 + ["supervisor"] * 20 + ["manager"] * 25 + ["break_glass"] * 10
ROUTES += ["executor"] * 5


def _via() -> dict[str, Any]:
    return {"via": random.choice(ROUTES), "view": "detail"}


ACTIONS: list[tuple[str, int, Callable[[], dict[str, Any]]]] = [
    ("note.viewed", 3500, _via),
    ("identity.viewed", 2000, _via),
    ("auth.login.succeeded", 800, lambda: {"factor": "totp"}),
    ("auth.login.password_accepted", 800, dict),
    ("note.created", 500, lambda: {"kind": "factual"}),
    ("note.updated", 400, dict),
    ("note.signed", 400, dict),
    ("consent.viewed", 300, _via),
    ("disclosure.viewed", 200, lambda: {"view": "detail", "sealed": random.random() < 0.03}),
    ("supervision.points_viewed", 200, dict),
    ("auth.logout", 500, dict),
    ("auth.login.failed", 60, lambda: {"username_known": True}),
    ("auth.otp.failed", 30, dict),
    ("auth.lockout", 3, lambda: {"username_known": True}),
    ("disclosure.downloaded", 10, lambda: {"category": "court_order", "sealed": False}),
    ("consent.evidence.downloaded", 10, _via),
    ("access.break_glass", 3, lambda: {"minutes": 60}),
    ("executor.activated", 1, lambda: {"reason": "death", "counsellor_id": 3}),
    ("crypto.decrypt.failed", 1, lambda: {"field": "text"}),
]


COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "target_kind",
    "target_id",
    "client_ref",
    "ip",
    "data",
    "prev_mac",
    "mac",
)


def populate(count: int, *, start: datetime.datetime) -> None:
    """A year of events with real MACs, inserted with executemany (the ORM's bulk_create
    spends most of its time preparing values; this is a throw-away database)."""
    random.seed(7)
    staff = [(pk, f"staff{pk:02d}") for pk in range(1, 41)]
    clients = [f"C-{n:04X}" for n in range(1, 1501)]
    names, weights, makers = zip(*ACTIONS, strict=True)
    makers_by_name = dict(zip(names, makers, strict=True))
    step = datetime.timedelta(days=365) / count
    key = settings.AUDIT_HMAC_KEY
    prev_mac = services.GENESIS_MAC
    table = AuditEvent._meta.db_table
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    batch: list[tuple[Any, ...]] = []
    actions = random.choices(names, weights=weights, k=count)
    with transaction.atomic(), connection.cursor() as cursor:
        for n, action in enumerate(actions, start=1):
            actor_id, username = random.choice(staff)
            event = AuditEvent(
                seq=n,
                at=start + step * n,
                actor_id=actor_id,
                actor_username=username,
                action=action,
                target_kind="notes.sessionnote" if action.startswith("note.") else "",
                target_id=str(random.randint(1, 90_000)),
                client_ref="" if action.startswith("auth.") else random.choice(clients),
                ip=f"10.0.0.{random.randint(1, 250)}",
                data=makers_by_name[action](),
                prev_mac=prev_mac,
            )
            event.mac = event.compute_mac(key)
            prev_mac = event.mac
            row = [getattr(event, name) for name in COLUMNS]
            row[1] = connection.ops.adapt_datetimefield_value(event.at)
            row[9] = json.dumps(event.data)
            batch.append(tuple(row))
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                batch = []
        cursor.executemany(sql, batch)
    AuditHead.objects.update_or_create(id=1, defaults={"seq": count, "mac": prev_mac})


def timed(label: str, fn: Callable[[], Any], repeat: int = 3) -> Any:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<58} {best * 1000:9.1f} ms")
    return result


def page_of(wanted: services.EventFilter, number: int = 1) -> tuple[int, int]:
    """What the events page does: the total, one page, and the page's highlight tags."""
    page = Paginator(services.events_matching(wanted), PAGE_SIZE).get_page(number)
    rows = services.tag_highlights(list(page.object_list))
    return page.paginator.count, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    now = timezone.now()
    start = now - datetime.timedelta(days=365)
    began = time.perf_counter()
    populate(args.events, start=start)
    print(
        f"{args.events} events over a year, 40 staff, 1500 clients (SQLite file); "
        f"inserted with MACs in {time.perf_counter() - began:.1f} s\n"
    )
    busy = AuditEvent.objects.filter(client_ref="C-0001").count()
    print(
        f"(client C-0001 has {busy} events; each staff member has about "
        f"{args.events // 40} events)\n"
    )
    today = timezone.localdate()
    month = services.EventFilter(
        start=today - datetime.timedelta(days=60), end=today - datetime.timedelta(days=30)
    )
    cases: list[tuple[str, services.EventFilter, int]] = [
        ("first page, no filter", services.EventFilter(), 1),
        ("page 3000, no filter", services.EventFilter(), 3000),
        ("one client", services.EventFilter(client_ref="C-0001"), 1),
        ("one staff member", services.EventFilter(username="staff07"), 1),
        ("one staff member, page 100", services.EventFilter(username="staff07"), 100),
        ("one action (auth.otp.failed)", services.EventFilter(action="auth.otp.failed"), 1),
        ("action prefix (note.)", services.EventFilter(action="note."), 1),
        ("a 30-day date range", month, 1),
        (
            "staff member within a 30-day range",
            services.EventFilter(username="staff07", start=month.start, end=month.end),
            1,
        ),
    ]
    cases += [
        (f"highlight {h.code}, whole year", services.EventFilter(highlight=h.code), 1)
        for h in services.HIGHLIGHTS
    ]
    cases.append(
        (
            "highlight outside_allocation, 30 days",
            services.EventFilter(highlight="outside_allocation", start=month.start, end=month.end),
            1,
        )
    )
    print(f"{'events page (total + page of 50 + highlight tags)':<58} {'best of 3':>12}")
    for label, wanted, number in cases:
        total, _ = timed(f"  {label}", lambda w=wanted, n=number: page_of(w, n))
        print(f"{'':<60}({total} matching)")
    print()
    since = services.day_start(today - datetime.timedelta(days=30))
    timed("home page: highlight counts, last 30 days", lambda: services.highlight_counts(since))
    timed("home page: manager_summary()", services.manager_summary)
    timed(
        "highlight counts, whole year",
        lambda: services.highlight_counts(services.day_start(today - datetime.timedelta(days=366))),
    )
    timed("action suggestions (distinct actions)", services.known_actions)

    def export_month() -> int:
        return sum(1 for _ in services.csv_lines(services.export_rows(month)))

    rows = timed("CSV export, 30 days (all rows, streamed)", export_month, repeat=1)
    print(f"{'':<60}({rows - 1} rows)")
    problem = timed("verify_chain(), whole table", services.verify_chain, repeat=1)
    print(f"{'':<60}({'intact' if problem is None else problem})")

    output = Path(_TMP.name) / "archive.jsonl"
    archived = timed(
        "archive the oldest 30 days (verify, write, delete)",
        lambda: services.archive_events(output=output, cutoff=start + datetime.timedelta(days=30)),
        repeat=1,
    )
    print(f"{'':<60}({archived.count} events, {output.stat().st_size // 1024} KB file)")
    with transaction.atomic():
        problem = services.verify_chain()
    print(f"{'verify_chain() after archiving':<58} {'intact' if problem is None else problem}")
    print(f"\nSQLite {connection.Database.sqlite_version}")


if __name__ == "__main__":
    main()
