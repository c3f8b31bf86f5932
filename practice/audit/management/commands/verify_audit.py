from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from practice.audit.models import AuditEvent, AuditHead
from practice.audit.services import mark_verified, verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's HMAC chain. Exits non-zero naming the first bad event."

    def handle(self, *args: Any, **options: Any) -> None:
        problem = verify_chain()
        mark_verified(problem is None, problem)
        if problem is not None:
            raise CommandError(f"Audit chain broken at event #{problem.seq}: {problem.reason}.")
        head = AuditHead.objects.filter(id=1).first()
        count = AuditEvent.objects.count()
        mac = head.mac if head else "-"
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {count} events, head #{head.seq if head else 0}."
            )
        )
        # Writing the head MAC somewhere outside the database (a ticket, a log service) lets a
        # later check also prove that no events were cut from the end.
        self.stdout.write(f"Head MAC: {mac}")
