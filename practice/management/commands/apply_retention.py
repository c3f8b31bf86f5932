"""Apply the retention rules (for cron, e.g. nightly): see clients/retention.py.

    manage.py apply_retention            # destroy what is due and approved
    manage.py apply_retention --dry-run  # say what would be destroyed and why; change nothing

It destroys due process notes, carries out destruction batches and erasures a service manager
approved (and finishes any destruction that was interrupted), and lists the closed cases now
due that wait for a manager's approval: it never destroys a closed case without one. Nothing
is destroyed while a legal hold stands. Output holds references, dates and rule codes only.
Exit status 1 when a destruction failed (rerunning finishes it).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.retention import apply_retention
from practice.crypto.cache import key_cache

_WORDS = {
    "destroyed": "Destroyed",
    "would_destroy": "Would destroy",
    "held": "Kept (legal hold)",
    "kept_for_access": "Kept (their request for their records is open)",
    "failed": "FAILED (will be finished by the next run)",
    "awaiting_approval": "Due, waiting for a manager's approval",
    "needs_birth_date": "Cannot work out when it is due (no date of birth)",
}
_KINDS = {"process_notes": "process notes of", "case": "case"}


class Command(BaseCommand):
    help = (
        "Destroy due process notes and approved cases (crypto-shredding, then deletion, "
        "leaving a tombstone); list closed cases waiting for approval. Use --dry-run to see "
        "what would happen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be destroyed and why; change nothing.",
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Run as of this date (YYYY-MM-DD), for checking; defaults to today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        with key_cache():
            report = apply_retention(dry_run=dry_run, today=options["today"])
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        if not report.outcomes:
            self.stdout.write("Nothing is due.")
        for outcome in report.outcomes:
            self.stdout.write(
                f"{_WORDS.get(outcome.action, outcome.action)}: "
                f"{_KINDS.get(outcome.kind, outcome.kind)} {outcome.reference} ({outcome.detail})"
            )
        counts = {action: len(report.of(action)) for action in _WORDS}
        self.stdout.write(
            "Summary: "
            + ", ".join(f"{action.replace('_', ' ')} {n}" for action, n in counts.items() if n)
            if any(counts.values())
            else "Summary: nothing to do."
        )
        if report.failures:
            raise CommandError(
                f"{len(report.failures)} destruction(s) failed; run apply_retention again to "
                "finish them (see the log)."
            )
