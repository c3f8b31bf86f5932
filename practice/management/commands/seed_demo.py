"""Create (or refresh) the demo practice. Idempotent; refuses to run with DEBUG off."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from practice.crypto.cache import key_cache
from practice.demo import seed


class Command(BaseCommand):
    help = "Create a demo practice with staff in every role and a caseload, and print sign-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with published passwords, so it only runs with "
                "DJANGO_DEBUG on. Never run it against a real practice's database."
            )
        with key_cache():
            result = seed()
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(self.style.SUCCESS("Demo practice ready. Sign in at /accounts/login/"))
        for entry in result["users"]:
            self.stdout.write("")
            if "client_reference" in entry:
                self.stdout.write(
                    f"  {entry['username']} (client portal, case {entry['client_reference']})"
                )
            else:
                self.stdout.write(f"  {entry['username']:<8} roles: {', '.join(entry['roles'])}")
            self.stdout.write(f"           password:     {entry['password']}")
            self.stdout.write(f"           TOTP secret:  {entry['totp_secret']}")
            self.stdout.write(f"           backup codes: {', '.join(entry['backup_codes'][:3])}")
        self.stdout.write("")
        self.stdout.write(
            f"  {len(result['clients'])} demo clients (fictional); the client-… sign-ins open "
            "the client portal at /portal/."
        )
        self.stdout.write(
            "\nAdd a TOTP secret to an authenticator app, or print the current code with:\n"
            "  .venv/bin/python manage.py demo_totp USERNAME"
        )
