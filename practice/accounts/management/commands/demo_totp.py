"""Print a demo account's current TOTP code (DEBUG only): try the demo without a phone."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.accounts.demo import DEMO_STAFF, demo_totp_key


class Command(BaseCommand):
    help = "Print the current 6-digit code for a demo account (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp only runs with DJANGO_DEBUG on.")
        # Demo staff, or an account seed_demo gave this installation's derived secret (the
        # demo clients' portal sign-ins).
        derived = TOTPDevice.objects.filter(
            user__username=options["username"],
            key=demo_totp_key(options["username"]),
            confirmed=True,
        ).exists()
        if options["username"] not in {s.username for s in DEMO_STAFF} and not derived:
            raise CommandError("That is not a demo account.")
        totp = TOTP(bytes.fromhex(demo_totp_key(options["username"])))
        totp.time = time.time()
        self.stdout.write(f"{totp.token():06d}")
