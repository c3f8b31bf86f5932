"""The shape of input for disclosure requests and their gates.

The rules live in disclosures/services.py (and the policy in categories.py); these forms check
only what a person can fix beside a field: required text, lengths, dates, the uploaded file
(by its content, never its name). Everything else the service refuses, and the page shows the
service's message in the error summary.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import ConsentEvent
from disclosures.categories import (
    CATEGORIES,
    DOCUMENT_LABELS,
    REQUESTER_LABELS,
    Category,
    Notify,
)
from disclosures.models import DisclosureRequest, GateDecision
from disclosures.services import ALLOWED_CONSENT_OUTCOMES
from notes.models import NoteEntry
from practice.forms import DateInput
from practice.uploads import CheckedUpload, check_upload

MAX_NAME = 300
MAX_PURPOSE = 2000
MAX_ASKED_FOR = 4000
MAX_REASON = 4000
MAX_REPORT = 100_000
MAX_FILTER = 300

CATEGORY_CHOICES = [(code, category.label) for code, category in CATEGORIES.items()]
REQUESTER_CHOICES = [(str(kind), label) for kind, label in REQUESTER_LABELS.items()]
DOCUMENT_CHOICES = [(str(kind), label) for kind, label in DOCUMENT_LABELS.items()]


def _text(label: Any, max_length: int, *, rows: int = 0, **kwargs: Any) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, max_length=max_length, widget=widget, **kwargs)


class DocumentFields(forms.Form):
    """One uploaded document and what it is. Checked by content: a renamed executable or a
    text file called order.pdf is refused before a byte of it is stored."""

    document = forms.FileField(
        label=_("Document"),
        help_text=_("A scan or photo: PDF, PNG or JPEG, up to 10 MB. It is stored encrypted."),
        required=False,
    )
    document_kind = forms.ChoiceField(
        label=_("What the document is"),
        choices=[("", _("Choose…")), *DOCUMENT_CHOICES],
        required=False,
    )

    document_required = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.upload: CheckedUpload | None = None
        if self.document_required:
            self.fields["document"].required = True
            self.fields["document_kind"].required = True

    def clean_document(self) -> Any:
        upload = self.cleaned_data.get("document")
        if upload:
            self.upload = check_upload(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            self.upload is not None
            and not data.get("document_kind")
            and "document_kind" not in self.errors
        ):
            self.add_error("document_kind", _("Say what the document is."))
        return data

    def documents(self) -> list[tuple[str, CheckedUpload]]:
        if self.upload is None:
            return []
        return [(self.cleaned_data["document_kind"], self.upload)]


class RaiseForm(DocumentFields):
    """A new disclosure request: what kind, who asked, who receives it, why, and what for."""

    category = forms.ChoiceField(
        label=_("What kind of disclosure this is"),
        choices=CATEGORY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what kind of disclosure this is.")},
    )
    requester_kind = forms.ChoiceField(
        label=_("Who asked"),
        choices=[("", _("Choose…")), *REQUESTER_CHOICES],
        error_messages={"required": _("Say who asked for the information.")},
    )
    requester = _text(
        _("Name and organisation of who asked"),
        MAX_NAME,
        help_text=_("For example “PC 1234 Jones, Thames Valley Police”."),
    )
    recipient = _text(
        _("Who will receive it"),
        MAX_NAME,
        help_text=_("A named person or organisation."),
    )
    purpose = _text(_("Purpose"), MAX_PURPOSE, rows=3)
    asked_for = _text(
        _("What is asked for"),
        MAX_ASKED_FOR,
        rows=3,
        help_text=_("In the requester's words. You choose what is actually released later."),
    )
    received_on = forms.DateField(
        label=_("Date received"), widget=DateInput(), initial=timezone.localdate
    )
    due_on = forms.DateField(
        label=_("Due date"),
        help_text=_("The date the answer is due, if the request gives one."),
        widget=DateInput(),
        required=False,
    )

    field_order = [
        "category",
        "requester_kind",
        "requester",
        "recipient",
        "purpose",
        "asked_for",
        "received_on",
        "due_on",
        "document",
        "document_kind",
    ]

    def clean_received_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["received_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date received cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        received, due = data.get("received_on"), data.get("due_on")
        if received and due and due < received:
            self.add_error("due_on", _("The due date cannot be before the request was received."))
        return data


class AttachForm(DocumentFields):
    document_required = True


class ConsentChoiceField(forms.ModelChoiceField):
    """A consent, named by when it was given and (for a disclosure) to whom."""

    def label_from_instance(self, obj: ConsentEvent) -> str:
        when = timezone.localtime(obj.recorded_at)
        recipient = f" – {obj.recipient}" if obj.recipient else ""
        return f"{_('Given')} {when:%d %B %Y}{recipient}"


class ConsentStepForm(forms.Form):
    """The consent gate: only the outcomes this category's consent rule allows are offered."""

    outcome = forms.ChoiceField(
        label=_("Consent"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome of the consent step.")},
    )
    consent = ConsentChoiceField(
        label=_("The client's consent relied on"),
        help_text=_("Only the client's own current consents for this use are listed."),
        queryset=ConsentEvent.objects.none(),
        required=False,
    )
    reason = _text(
        _("Reason"),
        MAX_REASON,
        rows=3,
        required=False,
        help_text=_(
            "Needed when consent is not relied on: why it is not required, or why seeking it "
            "would raise the risk."
        ),
    )
    notify_client = forms.BooleanField(
        label=_("Tell the client about this disclosure"), required=False, initial=True
    )
    no_notify_reason = _text(
        _("Why the client is not told"),
        MAX_REASON,
        rows=2,
        required=False,
        help_text=_("The risk it would raise, or the court's direction."),
    )

    def __init__(
        self, *args: Any, req: DisclosureRequest, consents: QuerySet[ConsentEvent], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cat = req.category
        allowed = ALLOWED_CONSENT_OUTCOMES[cat.consent]
        outcome = self.fields["outcome"]
        assert isinstance(outcome, forms.ChoiceField)
        outcome.choices = [
            (value, label) for value, label in GateDecision.Outcome.choices if value in allowed
        ]
        if not cat.anonymise_without_consent:
            outcome.choices = [
                c for c in outcome.choices if c[0] != GateDecision.Outcome.ANONYMISED
            ]
        if len(outcome.choices) == 1:
            outcome.initial = outcome.choices[0][0]
        consent = self.fields["consent"]
        assert isinstance(consent, forms.ModelChoiceField)
        if GateDecision.Outcome.CONSENTED in allowed:
            consent.queryset = consents
        else:
            del self.fields["consent"]
        if cat.notify not in (Notify.UNLESS_COURT_DIRECTS, Notify.UNLESS_RISK):
            # Either the client is always told, or never (tipping off / it is for them).
            del self.fields["notify_client"], self.fields["no_notify_reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("outcome") == GateDecision.Outcome.CONSENTED
            and "consent" in self.fields
            and data.get("consent") is None
            and "consent" not in self.errors
        ):
            self.add_error("consent", _("Choose the client's consent that covers this."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "outcome": data["outcome"],
            "consent": data.get("consent"),
            "reason": data.get("reason") or "",
        }
        if "notify_client" in self.fields:
            kwargs["notify_client"] = bool(data.get("notify_client"))
            kwargs["no_notify_reason"] = data.get("no_notify_reason") or ""
        return kwargs


def consultation_choices(cat: Category) -> list[tuple[str, str]]:
    """The consultations this category asks for, recorded before action."""
    choices = []
    if cat.supervisor_consulted_first:
        gate = GateDecision.Gate.SUPERVISOR_CONSULTED
        choices.append((str(gate.value), str(gate.label)))
    if cat.advisers_consulted:
        gate = GateDecision.Gate.ADVISERS_CONSULTED
        choices.append((str(gate.value), str(gate.label)))
    return choices


class ConsultForm(forms.Form):
    gate = forms.ChoiceField(label=_("Who was consulted"), widget=forms.RadioSelect)
    reason = _text(
        _("Who you consulted, when, and what they advised"),
        MAX_REASON,
        rows=3,
        error_messages={"required": _("Record who was consulted and what they advised.")},
    )

    def __init__(self, *args: Any, cat: Category, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        gate = self.fields["gate"]
        assert isinstance(gate, forms.ChoiceField)
        gate.choices = consultation_choices(cat)
        if len(gate.choices) == 1:
            gate.initial = gate.choices[0][0]


class DecisionForm(forms.Form):
    """Sign-off and approval: an optional note of what was checked."""

    reason = _text(_("Note (optional)"), MAX_REASON, rows=2, required=False)


class ReasonForm(forms.Form):
    """Refusal, emergency release and review: the reason is required."""

    reason = _text(
        _("Reason"),
        MAX_REASON,
        rows=3,
        error_messages={"required": _("Give the reason.")},
    )

    def __init__(self, *args: Any, label: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["reason"].label = label

    def clean_reason(self) -> str:
        value: str = self.cleaned_data["reason"].strip()
        if not value:
            raise forms.ValidationError(_("Give the reason."))
        return value


class ContentForm(forms.Form):
    """Choose entries (minimum necessary) and/or write a report. Third-party entries need a
    reason to be included; each has its own reason field."""

    entries = forms.MultipleChoiceField(label=_("Entries to release"), required=False)
    report_text = _text(
        _("Report"),
        MAX_REPORT,
        rows=10,
        required=False,
        help_text=_("A written report, instead of or as well as the entries."),
    )

    def __init__(self, *args: Any, entries: list[NoteEntry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = self.fields["entries"]
        assert isinstance(choice, forms.MultipleChoiceField)
        choice.choices = [(str(entry.pk), str(entry.pk)) for entry in entries]
        self.third_party = [entry for entry in entries if entry.is_third_party]
        for entry in self.third_party:
            self.fields[self.reason_name(entry)] = _text(
                _("Why this third-party information should be included"),
                MAX_REASON,
                rows=2,
                required=False,
                help_text=_("Needed only if you include this entry."),
            )

    @staticmethod
    def reason_name(entry: NoteEntry) -> str:
        return f"reason_{entry.pk}"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = set(data.get("entries") or [])
        for entry in self.third_party:
            name = self.reason_name(entry)
            missing = str(entry.pk) in chosen and not (data.get(name) or "").strip()
            if missing and name not in self.errors:
                self.add_error(
                    name, _("Third-party information is left out unless you record why.")
                )
        if not chosen and not (data.get("report_text") or "").strip():
            raise forms.ValidationError(_("Choose the entries to release, or write a report."))
        return data

    def reasons(self) -> dict[str, str]:
        return {
            str(entry.pk): self.cleaned_data.get(self.reason_name(entry)) or ""
            for entry in self.third_party
        }


class RegisterFilterForm(forms.Form):
    client = forms.CharField(label=_("Client reference"), max_length=20, required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("Any")), *CATEGORY_CHOICES], required=False
    )
    recipient = forms.CharField(label=_("Recipient (exact)"), max_length=MAX_FILTER, required=False)
    released_from = forms.DateField(label=_("Released from"), widget=DateInput(), required=False)
    released_to = forms.DateField(label=_("Released to"), widget=DateInput(), required=False)

    def clean_client(self) -> str:
        return (self.cleaned_data.get("client") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("released_from"), data.get("released_to")
        if start and end and end < start:
            self.add_error("released_to", _("The end of the range is before its start."))
        return data
