"""Move audit events older than AUDIT_ARCHIVE_AFTER_YEARS out of the database, into a file.

    manage.py archive_audit --dry-run                 # how many events, which ones; no change
    manage.py archive_audit [--output FILE]           # write FILE, then delete those events
    manage.py archive_audit --check FILE [FILE ...]   # verify archive files, oldest first

The chain stays verifiable: the live trail starts where the archive ends, and each archive
file re-verifies from genesis (or from the end of the archive before it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from practice.audit.models import AuditHead
from practice.audit.services import (
    GENESIS_MAC,
    ArchiveError,
    archive_cutoff,
    archive_events,
    verify_archive,
)


class Command(BaseCommand):
    help = (
        "Archive audit events older than AUDIT_ARCHIVE_AFTER_YEARS to a JSON-lines file and "
        "remove them from the database, keeping the chain verifiable."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be archived; change nothing."
        )
        parser.add_argument(
            "--output",
            type=Path,
            help="The archive file to write (it must not exist yet). "
            "Default: audit-archive-<first>-<last>.jsonl in the current directory.",
        )
        parser.add_argument(
            "--check",
            type=Path,
            nargs="+",
            metavar="FILE",
            help="Verify archive files instead, oldest first, from genesis.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self._check(options["check"])
            return
        cutoff = archive_cutoff()
        try:
            result = archive_events(
                output=options["output"], dry_run=options["dry_run"], cutoff=cutoff
            )
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        except FileExistsError as error:
            raise CommandError(
                f"{error.filename} already exists: an archive is never overwritten. "
                "Choose another --output."
            ) from error
        before = cutoff.date().isoformat()
        if result.count == 0:
            self.stdout.write(f"Nothing to archive: no event before {before}.")
            return
        if result.dry_run:
            self.stdout.write(
                f"Would archive {result.count} events (#{result.first_seq} to "
                f"#{result.last_seq}), recorded before {before}. Nothing was changed."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Archived {result.count} events (#{result.first_seq} to #{result.last_seq}) "
                f"to {result.path}."
            )
        )
        self.stdout.write(f"SHA-256 of the archive: {result.sha256}")
        self.stdout.write(
            f"The live trail now starts after #{result.last_seq}, MAC {result.last_mac}"
        )
        self.stdout.write("Keep the file somewhere safe and separate from the database backups.")

    def _check(self, paths: list[Path]) -> None:
        after_seq, after_mac = 0, GENESIS_MAC
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
            checked = verify_archive(path, after_seq=after_seq, after_mac=after_mac)
            if checked.problem is not None:
                raise CommandError(
                    f"{path}: broken at event #{checked.problem.seq}: {checked.problem.reason}."
                )
            self.stdout.write(
                f"{path}: intact, {checked.count} events (#{checked.first_seq} to "
                f"#{checked.last_seq})."
            )
            after_seq, after_mac = checked.last_seq, checked.last_mac
        head = AuditHead.objects.filter(id=1).first()
        if head is not None and head.archived_seq == after_seq and head.archived_mac == after_mac:
            self.stdout.write("The live audit trail continues from the last file.")
        elif head is not None and head.archived_seq:
            self.stdout.write(
                f"The live audit trail starts after #{head.archived_seq}, not after "
                f"#{after_seq}: a later archive file is not in this check."
            )
