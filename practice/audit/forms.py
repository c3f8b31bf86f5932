"""Forms for the service managers' audit review pages.

The filters are ids and codes (a client reference, a staff username, an action, dates), so
they travel in the query string: pages can be linked, bookmarked and paged.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from practice.audit.services import HIGHLIGHTS, EventFilter
from practice.forms import DateInput

_ACTION = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$")
_REFERENCE = re.compile(r"^[A-Z0-9-]+$")


class EventFilterForm(forms.Form):
    client = forms.CharField(label=_("Client reference"), max_length=16, required=False)
    staff = forms.CharField(label=_("Staff username"), max_length=150, required=False)
    action = forms.CharField(
        label=_("Action"),
        max_length=80,
        required=False,
        help_text=_(
            "An action such as note.viewed, or its first part with a dot (note.) for every "
            "action of that kind."
        ),
    )
    start = forms.DateField(label=_("From"), widget=DateInput(), required=False)
    end = forms.DateField(label=_("To"), widget=DateInput(), required=False)
    highlight = forms.ChoiceField(
        label=_("Highlighted"),
        choices=[("", _("Any event")), *[(h.code, h.label) for h in HIGHLIGHTS]],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].widget.attrs["list"] = "known-actions"

    def clean_client(self) -> str:
        value = (self.cleaned_data.get("client") or "").strip().upper()
        if value and not _REFERENCE.match(value):
            raise forms.ValidationError(_("Enter a client reference such as C-7KQ3."))
        return value

    def clean_staff(self) -> str:
        return (self.cleaned_data.get("staff") or "").strip()

    def clean_action(self) -> str:
        value = (self.cleaned_data.get("action") or "").strip().lower()
        if value and not _ACTION.match(value):
            raise forms.ValidationError(
                _("Enter an action in the form note.viewed (letters, digits, _ and dots).")
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end of the range is before its start."))
        return data

    def event_filter(self) -> EventFilter:
        data = self.cleaned_data
        return EventFilter(
            client_ref=data["client"],
            username=data["staff"],
            action=data["action"],
            start=data["start"],
            end=data["end"],
            highlight=data["highlight"],
        )


class ExportForm(EventFilterForm):
    """The same filters, for a period: an export always says which dates it covers."""

    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())


class PeriodForm(forms.Form):
    """The period the highlights page counts over."""

    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end of the range is before its start."))
        return data


_NO_NAMES = _(
    "Use client references and staff usernames. Never write a client's name or anything said "
    "in a session."
)


class ReviewForm(forms.Form):
    period_start = forms.DateField(label=_("Period reviewed: from"), widget=DateInput())
    period_end = forms.DateField(label=_("Period reviewed: to"), widget=DateInput())
    scope = forms.CharField(
        label=_("What was looked at"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=format_lazy(
            "{} {}", _("For example: every highlighted event, a sample of note views."), _NO_NAMES
        ),
    )
    findings = forms.CharField(
        label=_("Findings"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_NO_NAMES,
    )
    actions = forms.CharField(
        label=_("Actions taken or agreed"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_NO_NAMES,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end of the period is before its start."))
        if end and end > timezone.localdate():
            self.add_error("period_end", _("The period cannot end in the future."))
        return data
