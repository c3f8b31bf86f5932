"""The shape of input for notes and supervision. The rules themselves live in services.py;
these forms repeat the ones a person can fix, so that each shows beside its field."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from notes.models import MAX_NOTE_TEXT, NoteEntry, SessionNote, SupervisionPoint
from notes.services import (
    MAX_DURATION,
    MAX_ENTRIES,
    MAX_POINT_TEXT,
    MAX_REASON,
    MAX_SOURCE,
    MIN_DURATION,
    EntryInput,
)
from practice.accounts.models import User
from practice.forms import DateInput

NEW_NOTE_ROWS = 3  # empty entry rows offered without JavaScript; empty ones are ignored
EDIT_NOTE_ROWS = 1


def _not_in_future(value: datetime.date, what: str) -> datetime.date:
    if value > timezone.localdate():
        raise forms.ValidationError(
            _("The %(what)s cannot be in the future."), params={"what": what}
        )
    return value


class ReferenceChoiceField(forms.ModelChoiceField):
    """Choose a client by reference: the label is the reference, never a name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.reference)


class ReferencesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.reference)


# -- notes -----------------------------------------------------------------------------------


class NoteForm(forms.Form):
    """The session a note is about."""

    session_date = forms.DateField(
        label=_("Session date"), widget=DateInput(), initial=timezone.localdate
    )
    duration_minutes = forms.IntegerField(
        label=_("Length of the session (minutes)"),
        min_value=MIN_DURATION,
        max_value=MAX_DURATION,
        initial=50,
    )
    attendance = forms.ChoiceField(label=_("Attendance"), choices=SessionNote.Attendance.choices)

    def clean_session_date(self) -> datetime.date:
        return _not_in_future(self.cleaned_data["session_date"], "session date")


class AmendForm(NoteForm):
    reason = forms.CharField(
        label=_("Reason for the amendment"),
        help_text=_("Say why the signed note is being changed. It is kept with the new version."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_REASON,
    )


class EntryForm(forms.Form):
    """One entry of a note. An extra row left untouched is ignored."""

    entry_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    about = ReferenceChoiceField(
        label=_("About"),
        queryset=Client.objects.none(),
        to_field_name="reference",
        required=False,
    )
    provenance = forms.ChoiceField(
        label=_("Where this came from"),
        choices=NoteEntry.Provenance.choices,
        initial=NoteEntry.Provenance.COUNSELLOR,
    )
    third_party_source = forms.CharField(
        label=_("Who the third-party information came from"),
        help_text=_("Needed for information from a third party, for example “GP letter”."),
        max_length=MAX_SOURCE,
        required=False,
    )
    text = forms.CharField(
        label=_("What to record"),
        error_messages={"required": _("Write the entry, or tick “Remove this entry”.")},
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_NOTE_TEXT,
    )

    def __init__(
        self,
        *args: Any,
        members: QuerySet[Client] | None = None,
        group_label: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # An extra row may stay empty (it is then ignored); clean() asks for text once any of
        # its fields is filled in. An existing entry always needs text, unless removed.
        self.fields["text"].required = not self.empty_permitted
        if members is None:
            # An individual client's note: every entry is about the client.
            del self.fields["about"]
        else:
            about = self.fields["about"]
            assert isinstance(about, forms.ModelChoiceField)
            about.queryset = members
            about.empty_label = group_label or str(_("The whole couple or group"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "text" not in self.errors and not (data.get("text") or "").strip():
            self.add_error("text", _("Write the entry, or leave the whole row empty."))
        if (
            data.get("provenance") == NoteEntry.Provenance.THIRD_PARTY
            and not (data.get("third_party_source") or "").strip()
        ):
            self.add_error(
                "third_party_source", _("Say who the third-party information came from.")
            )
        return data


class BaseEntryFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this entry")

    def clean(self) -> None:
        if any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if not self._should_delete_form(form) and (form.cleaned_data or {}).get("text")
        ]
        if not kept:
            raise forms.ValidationError(_("Write at least one entry."), code="no_entries")
        if sum(len(form.cleaned_data["text"]) for form in kept) > MAX_NOTE_TEXT:
            raise forms.ValidationError(
                _("A note can hold up to %(limit)s characters of text in all."),
                params={"limit": f"{MAX_NOTE_TEXT:,}"},
                code="too_long",
            )

    def entry_inputs(self) -> list[EntryInput]:
        """The valid formset as service input: changed rows, removals, and untouched rows of
        existing entries (the service sees they did not change)."""
        entries = []
        for form in self.forms:
            data = form.cleaned_data or {}
            entry_id = data.get("entry_id")
            if self._should_delete_form(form):
                if entry_id:
                    entries.append(EntryInput(text="", entry_id=entry_id, remove=True))
                continue
            if not data.get("text"):
                continue  # an untouched extra row
            entries.append(
                EntryInput(
                    text=data["text"],
                    provenance=data["provenance"],
                    third_party_source=data.get("third_party_source") or "",
                    about=data.get("about"),
                    entry_id=entry_id,
                )
            )
        return entries


def entry_formset(
    data: Any = None,
    *,
    initial: list[dict[str, Any]] | None = None,
    members: QuerySet[Client] | None = None,
    group_label: str = "",
) -> BaseEntryFormSet:
    """The entries of a note: the existing ones (with a remove box) and a few empty rows."""
    formset_class = forms.formset_factory(
        EntryForm,
        formset=BaseEntryFormSet,
        extra=EDIT_NOTE_ROWS if initial else NEW_NOTE_ROWS,
        can_delete=True,
        can_delete_extra=False,
        max_num=MAX_ENTRIES,
        validate_max=True,
        absolute_max=MAX_ENTRIES + 10,
    )
    return formset_class(
        data,
        initial=initial,
        prefix="entries",
        form_kwargs={"members": members, "group_label": group_label},
    )


def entry_initial(note: SessionNote) -> list[dict[str, Any]]:
    """The note's entries as initial form data (decrypting them: the page will show them)."""
    return [
        {
            "entry_id": entry.pk,
            "about": entry.about.reference if note.joint_case_id and entry.about else None,
            "provenance": entry.provenance,
            "third_party_source": entry.third_party_source,
            "text": entry.text,
        }
        for entry in note.entries.all()
    ]


def note_initial(note: SessionNote) -> dict[str, Any]:
    return {
        "session_date": note.session_date,
        "duration_minutes": note.duration_minutes,
        "attendance": note.attendance,
    }


# -- supervision -----------------------------------------------------------------------------


class SupervisionReceivedForm(forms.Form):
    """A counsellor records supervision they had, choosing cases from their caseload."""

    held_on = forms.DateField(label=_("Date of the supervision"), widget=DateInput())
    cases = ReferencesField(
        label=_("Cases discussed"),
        queryset=Client.objects.none(),
        to_field_name="reference",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one case you discussed.")},
    )

    def __init__(self, *args: Any, cases: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["cases"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = cases.order_by("reference")

    def clean_held_on(self) -> datetime.date:
        return _not_in_future(self.cleaned_data["held_on"], "date of the supervision")


class SupervisorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class CaseOfSuperviseeField(ReferencesField):
    def label_from_instance(self, obj: Any) -> str:
        counsellor = obj.counsellor
        name = counsellor.get_full_name() or counsellor.get_username()
        return f"{obj.reference} ({name})"


class SupervisionGivenForm(forms.Form):
    """A supervisor records supervision they gave to one of their supervisees."""

    counsellor = SupervisorChoiceField(
        label=_("Supervisee"), queryset=User.objects.none(), empty_label=_("Choose…")
    )
    held_on = forms.DateField(label=_("Date of the supervision"), widget=DateInput())
    cases = CaseOfSuperviseeField(
        label=_("Cases discussed"),
        queryset=Client.objects.none(),
        to_field_name="reference",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one case you discussed.")},
    )

    def __init__(
        self, *args: Any, supervisees: QuerySet[User], cases: QuerySet[Client], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        counsellor = self.fields["counsellor"]
        assert isinstance(counsellor, forms.ModelChoiceField)
        counsellor.queryset = supervisees.order_by("username")
        field = self.fields["cases"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = cases.order_by("reference")

    def clean_held_on(self) -> datetime.date:
        return _not_in_future(self.cleaned_data["held_on"], "date of the supervision")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        counsellor, cases = data.get("counsellor"), data.get("cases")
        if (
            counsellor is not None
            and cases
            and any(case.counsellor_id != counsellor.pk for case in cases)
        ):
            self.add_error("cases", _("Choose only cases of the supervisee you chose."))
        return data


class SupervisionPointForm(forms.Form):
    text = forms.CharField(
        label=_("Point for supervision"),
        help_text=_("Your supervisor reads this beside the case reference, never a name."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_POINT_TEXT,
    )
    risk = forms.ChoiceField(
        label=_("Risk flag"), choices=SupervisionPoint.Risk.choices, required=False
    )


# -- one error summary for a form and its entries ------------------------------------------


@dataclass
class _SummaryField:
    label: str
    errors: list[str]
    id_for_label: str


@dataclass
class ErrorSummary:
    """Quacks like a form for includes/form_errors.html, gathering the errors of a form and
    an entries formset into one summary whose links point at each entry's own field."""

    non_field_errors: list[str] = field(default_factory=list)
    fields: list[_SummaryField] = field(default_factory=list)

    @classmethod
    def of(
        cls, *forms_: forms.Form | None, entries: BaseEntryFormSet | None = None
    ) -> ErrorSummary:
        summary = cls()
        for form in forms_:
            if form is None or not form.is_bound:
                continue
            summary.non_field_errors.extend(form.non_field_errors())
            for bound in form:
                if bound.errors:
                    summary.fields.append(
                        _SummaryField(
                            str(bound.label),
                            list(bound.errors),
                            bound.id_for_label or bound.auto_id,
                        )
                    )
        if entries is not None and entries.is_bound:
            summary.non_field_errors.extend(entries.non_form_errors())
            for number, form in enumerate(entries.forms, start=1):
                if entries.can_delete and entries._should_delete_form(form):
                    continue
                summary.non_field_errors.extend(
                    f"{_('Entry')} {number}: {error}" for error in form.non_field_errors()
                )
                for bound in form:
                    if bound.errors:
                        summary.fields.append(
                            _SummaryField(
                                f"{_('Entry')} {number} – {bound.label}",
                                list(bound.errors),
                                bound.id_for_label,
                            )
                        )
        return summary

    @property
    def errors(self) -> bool:
        return bool(self.non_field_errors or self.fields)

    def __iter__(self) -> Iterator[_SummaryField]:
        return iter(self.fields)
