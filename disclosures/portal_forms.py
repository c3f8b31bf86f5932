"""The shape of what a client types in the portal. The rules live in the services (a weak
password, a username that is the client's name, a typed name that does not match): the page
shows the service's message in the error summary."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

MAX_USERNAME = 150
MAX_PASSWORD = 4096
MAX_TYPED_NAME = 200
MAX_DETAILS = 4000


class InvitationForm(forms.Form):
    username = forms.CharField(
        label=_("Choose a username"),
        max_length=MAX_USERNAME,
        help_text=_(
            "You will use it to sign in. Do not use your name or your e-mail address: choose "
            "something only you would connect with you. Letters, numbers and @ . + - _ only."
        ),
        validators=[UnicodeUsernameValidator()],
        error_messages={"required": _("Choose a username.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Choose a password"),
        max_length=MAX_PASSWORD,
        strip=False,
        help_text=_(
            "At least 12 characters. A few unrelated words together make a strong password "
            "that is easy to remember."
        ),
        error_messages={"required": _("Choose a password.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Type the password again"),
        max_length=MAX_PASSWORD,
        strip=False,
        error_messages={"required": _("Type the password again.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password"), cleaned.get("password_again")
        if first and second and first != second:
            self.add_error("password_again", _("The two passwords are not the same."))
        return cleaned


class SignConsentForm(forms.Form):
    typed_name = forms.CharField(
        label=_("Type your full name"),
        max_length=MAX_TYPED_NAME,
        help_text=_("Your first name and last name, as your counsellor has them."),
        error_messages={"required": _("Type your full name to sign.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    agreed = forms.BooleanField(
        label=_("I have read what this consent covers, and I agree to it."),
        error_messages={"required": _("Tick the box to say you agree.")},
    )


class AccessRequestForm(forms.Form):
    details = forms.CharField(
        label=_("Is there anything in particular you want?"),
        required=False,
        max_length=MAX_DETAILS,
        help_text=_(
            "You do not have to say. Your request covers everything we hold about you either "
            "way; this only helps us if something matters most to you."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
