"""The shape of input on the retention, legal-hold and erasure pages. The rules (what is due,
who may decide, legal holds) live in clients.retention and clients.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.forms import not_in_future
from clients.models import ErasureRequest
from clients.services import MAX_MANAGER_REASON
from practice.forms import DateInput

MANAGER_REASON_HINT = _(
    "Kept in plain text in the destruction register after the records are gone: do not name "
    "the client or write anything from their records."
)


class ApproveBatchForm(forms.Form):
    cases = forms.MultipleChoiceField(
        label=_("Cases to destroy"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one case to destroy.")},
    )
    reason = forms.CharField(
        label=_("Reason for the destruction"),
        max_length=MAX_MANAGER_REASON,
        help_text=MANAGER_REASON_HINT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I understand: these records will be destroyed for good at the next retention run"),
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = choices


class LegalHoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        help_text=_(
            "For example the court, the complaint or the solicitor's letter. It is kept "
            "encrypted with the client's records."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ErasureRecordForm(forms.Form):
    received_on = forms.DateField(
        label=_("Date received"), widget=DateInput, validators=[not_in_future]
    )
    channel = forms.ChoiceField(
        label=_("How the client asked"),
        choices=ErasureRequest.Channel.choices,
        widget=forms.RadioSelect,
    )


class ErasureDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve: erase the records")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    exemption = forms.ChoiceField(
        label=_("Exemption that applies (when refusing)"),
        choices=[("", _("Choose when refusing")), *ErasureRequest.Exemption.choices],
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_MANAGER_REASON,
        help_text=MANAGER_REASON_HINT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        decision, exemption = data.get("decision"), data.get("exemption")
        if decision == "refuse" and not exemption:
            self.add_error("exemption", _("Name the exemption that applies when refusing."))
        if decision == "approve" and exemption:
            self.add_error("exemption", _("Leave this empty when approving."))
        return data
