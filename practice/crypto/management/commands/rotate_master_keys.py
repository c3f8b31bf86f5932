"""Rewrap every client data key with the current (first) master key of its domain.

Procedure: put the new key first in IDENTITY_MASTER_KEYS / CLINICAL_MASTER_KEYS, keep the old
one after it, restart, run this command, then remove the old key. Safe to interrupt and run
again; a run with nothing to do changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from practice.crypto.keyring import CryptoError
from practice.crypto.rotation import master_rotation_pending, rotate_master_keys


class Command(BaseCommand):
    help = "Rewrap data keys that are not wrapped by the current master key (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=500, help="rows per transaction")
        parser.add_argument(
            "--dry-run", action="store_true", help="only count the data keys to rewrap"
        )

    def handle(self, *args: Any, chunk_size: int, dry_run: bool, **options: Any) -> None:
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        try:
            pending = master_rotation_pending()
            if dry_run:
                for domain, (key_id, count) in pending.items():
                    self.stdout.write(f"{domain}: {count} data keys to rewrap with {key_id!r}.")
                return
            done = rotate_master_keys(chunk_size=chunk_size, stream=self.stderr)
        except CryptoError as exc:
            raise CommandError(str(exc)) from exc
        for domain, count in done.items():
            key_id = pending[domain][0]
            if count:
                self.stdout.write(
                    self.style.SUCCESS(f"{domain}: rewrapped {count} data keys with {key_id!r}.")
                )
            else:
                self.stdout.write(f"{domain}: every data key is already wrapped with {key_id!r}.")
