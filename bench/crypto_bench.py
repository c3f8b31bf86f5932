"""Encrypted-field benchmark: per-client AES-GCM against the ORM's own cost.

Runs on a throw-away in-memory SQLite database. Prints a table; asserts nothing (targets are
read by people, not by the test suite).

    .venv/bin/python bench/crypto_bench.py [--entries 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = "sqlite:///:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from clients.models import Client  # noqa: E402
from notes.models import NoteEntry, SessionNote  # noqa: E402
from practice.accounts.models import User  # noqa: E402
from practice.crypto.cache import key_cache  # noqa: E402

TEXT = ("The client spoke about work, sleep and their family. " * 40)[:2048]


def timed(label: str, count: int, fn) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:8.3f} s {elapsed / count * 1e6:10.1f} µs/row")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    author = User.objects.create(username="bench", is_counsellor=True)
    clients = [Client.objects.create(counsellor=author, status="active") for _ in range(20)]
    notes = [
        SessionNote.objects.create(
            client=client, kind="factual", session_date=timezone.localdate(), author=author
        )
        for client in clients
    ]
    n = args.entries
    print(f"{n} entries of 2 KB across {len(clients)} clients (SQLite in memory)\n")

    def write() -> None:
        with key_cache():
            for i in range(n):
                note = notes[i % len(notes)]
                NoteEntry.objects.create(note=note, about=note.client, position=i, text=TEXT)

    def read() -> None:
        with key_cache():
            for entry in NoteEntry.objects.all():
                assert entry.text == TEXT

    def read_no_cache() -> None:
        for entry in NoteEntry.objects.all()[:200]:
            assert entry.text == TEXT

    timed("save(): encrypt + insert + history row", n, write)
    timed("load all + decrypt (per-request key cache)", n, read)
    timed("load 200 + decrypt (no cache: unwrap per row)", 200, read_no_cache)


if __name__ == "__main__":
    main()
