"""Rotate client data keys: a new key version per client and domain, rows re-encrypted.

Always finishes interrupted rotations first. Without --force only keys older than
--older-than-days are rotated, so running it again at once changes nothing.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from practice.crypto.cache import key_cache
from practice.crypto.keyring import CryptoError
from practice.crypto.progress import Progress
from practice.crypto.rotation import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_GRACE_SECONDS,
    DataKeyRotation,
    due_for_rotation,
    interrupted_rotations,
    owner_domains,
    rotate_data_key,
)
from practice.crypto.services import DEFAULT_OWNER_MODEL

# Patched in tests; waiting for the grace period is real time otherwise.
sleep = time.sleep


class Command(BaseCommand):
    help = "Rotate client data keys and re-encrypt their rows (resumable, idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", metavar="REF", help="only this client (reference)")
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=365,
            metavar="N",
            help="rotate keys whose newest version is older than N days (default 365)",
        )
        parser.add_argument(
            "--force", action="store_true", help="with --client: rotate regardless of age"
        )
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
        parser.add_argument(
            "--grace-seconds",
            type=float,
            default=None,
            help="wait this long after a new key version before deleting the old one "
            f"(default CRYPTO_ROTATION_GRACE_SECONDS or {DEFAULT_GRACE_SECONDS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client_ref: str | None = options["client"]
        days: int = options["older_than_days"]
        force: bool = options["force"]
        chunk_size: int = options["chunk_size"]
        grace = options["grace_seconds"]
        if grace is None:
            grace = float(getattr(settings, "CRYPTO_ROTATION_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))
        if days < 1:
            raise CommandError("--older-than-days must be at least 1.")
        if force and not client_ref:
            raise CommandError("--force rotates one client's keys: give --client REF too.")
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        if grace < 0:
            raise CommandError("--grace-seconds cannot be negative.")
        owners = [owner_for_reference(client_ref)] if client_ref else None
        options_ = {"chunk_size": chunk_size, "grace_seconds": grace}
        try:
            with key_cache():
                resumed = self._run(interrupted_rotations(owners), "Finishing", False, options_)
                if force and owners:
                    due = owner_domains(owners[0])
                else:
                    due = due_for_rotation(days, owners)
                rotated = self._run(due, "Rotating", True, options_)
                results = resumed + rotated
                self._wait_and_finish(results, options_)
        except CryptoError as exc:
            raise CommandError(str(exc)) from exc
        self._summary(resumed, rotated)

    def _run(
        self, pairs: list[tuple[uuid.UUID, str]], verb: str, start: bool, options: dict[str, Any]
    ) -> list[DataKeyRotation]:
        results: list[DataKeyRotation] = []
        if not pairs:
            return results
        with Progress(self.stderr, f"{verb} client data keys", len(pairs)) as progress:
            for owner, domain in pairs:
                results.append(rotate_data_key(owner, domain, start=start, **options))
                progress.advance()
        return results

    def _wait_and_finish(self, results: list[DataKeyRotation], options: dict[str, Any]) -> None:
        waiting = [r for r in results if r.pending_until is not None and not r.rows_failed]
        if not waiting:
            return
        until = max(r.pending_until for r in waiting if r.pending_until is not None)
        delay = max((until - timezone.now()).total_seconds(), 0.0)
        self.stderr.write(
            f"Waiting {delay:.0f}s for requests that may still use the old keys, then "
            "deleting the old key versions."
        )
        sleep(delay)
        for index, result in enumerate(results):
            if result in waiting:
                results[index] = rotate_data_key(
                    result.owner, result.domain, start=False, **options
                )

    def _summary(self, resumed: list[DataKeyRotation], rotated: list[DataKeyRotation]) -> None:
        everything = resumed + rotated
        if not everything:
            self.stdout.write("No client data keys were due for rotation.")
            return
        rows = sum(r.rows_reencrypted for r in everything)
        self.stdout.write(
            f"Finished {len(resumed)} interrupted and ran {len(rotated)} new rotations; "
            f"re-encrypted {rows} rows."
        )
        for r in everything:
            if r.rows_failed:
                self.stderr.write(
                    self.style.ERROR(
                        f"Owner {r.owner} ({r.domain}): {r.rows_failed} rows could not be "
                        "decrypted (see the audit trail, crypto.decrypt.failed); their old key "
                        "versions were kept."
                    )
                )
            elif r.pending_until is not None:
                self.stderr.write(
                    f"Owner {r.owner} ({r.domain}): old key versions are kept until "
                    f"{r.pending_until:%Y-%m-%d %H:%M:%S}; run the command again after that."
                )


def owner_for_reference(reference: str) -> uuid.UUID:
    """The owner id of the client with this reference (the model named by CRYPTO_OWNER_MODEL)."""
    label = getattr(settings, "CRYPTO_OWNER_MODEL", DEFAULT_OWNER_MODEL)
    try:
        owner_model = apps.get_model(label)
    except (LookupError, ValueError):
        raise CommandError(f"CRYPTO_OWNER_MODEL {label!r} is not an installed model.") from None
    try:
        pk = owner_model._base_manager.values_list("pk", flat=True).get(reference=reference.strip())
    except owner_model.DoesNotExist:
        raise CommandError(f"There is no client with reference {reference!r}.") from None
    return pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
