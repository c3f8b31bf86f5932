"""Create a member of staff from the command line (the first administrator of a new practice)."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from practice.accounts.models import STAFF_ROLES, Role, User
from practice.audit.services import record


class Command(BaseCommand):
    help = (
        "Create a member of staff. The password is asked for twice (or read from "
        "PRACTICE_NEW_PASSWORD for automation); they enrol an authenticator at first sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=[str(role.value) for role in STAFF_ROLES],
            help="A role to hold; repeat for several.",
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"There is already an account called {username}.")
        password = os.environ.get("PRACTICE_NEW_PASSWORD") or self._ask_password()
        user = User(
            username=username, first_name=options["first_name"], last_name=options["last_name"]
        )
        user.set_roles(Role(role) for role in options["role"])
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user.set_password(password)
        with transaction.atomic():
            user.save()
            record("accounts.staff.created", target=user, data={"roles": options["role"]})
        self.stdout.write(self.style.SUCCESS(f"Created {username} ({', '.join(options['role'])})."))

    def _ask_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords did not match.")
        return first
