"""The shape of input for the staff pages about subject access requests.

As in forms.py, these check only what a person can fix beside a field (required text,
lengths, dates, a choice from the list); the rules live in ``disclosures.subject_access``,
which checks everything again and whose refusals the pages show in the error summary.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disclosures.models import SubjectAccessPause, SubjectAccessRequest, Withholding
from disclosures.subject_access import Withheld, opinion_too_old
from notes.models import NoteEntry, SupervisionPoint
from practice.forms import DateInput

MAX_DETAILS = 4000
MAX_HOW = 1000
MAX_REASON = 2000
MAX_OPINION_BY = 200

STAFF_CHANNELS = [
    (value, label)
    for value, label in SubjectAccessRequest.Channel.choices
    if value != SubjectAccessRequest.Channel.PORTAL
]


def _text(label: Any, max_length: int, *, rows: int = 0, **kwargs: Any) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, max_length=max_length, widget=widget, **kwargs)


def _required_text(label: Any, max_length: int, message: Any, *, rows: int = 2) -> forms.CharField:
    return _text(label, max_length, rows=rows, error_messages={"required": message})


class RecordForm(forms.Form):
    """A request the client made by e-mail, letter, in person or by phone."""

    received_on = forms.DateField(
        label=_("Date received"),
        widget=DateInput(),
        initial=timezone.localdate,
        help_text=_("The one-month deadline runs from this date."),
        error_messages={"required": _("Give the date the request was received.")},
    )
    channel = forms.ChoiceField(
        label=_("How the client asked"),
        choices=STAFF_CHANNELS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say how the request was made.")},
    )
    details = _text(
        _("What the client asked for"),
        MAX_DETAILS,
        rows=3,
        required=False,
        help_text=_(
            "In the client's words, if they said. They are entitled to everything held, "
            "whatever they asked for."
        ),
    )
    identity_verified = forms.BooleanField(
        label=_("The client's identity has been verified"), required=False
    )
    identity_verified_how = _text(
        _("How their identity was verified"),
        MAX_HOW,
        rows=2,
        required=False,
        help_text=_(
            "For example “known to the counsellor, asked in session”. If it is not verified "
            "yet, the clock stays stopped until it is."
        ),
    )

    def clean_received_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["received_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date received cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        how = (data.get("identity_verified_how") or "").strip()
        if data.get("identity_verified") and not how and "identity_verified_how" not in self.errors:
            self.add_error(
                "identity_verified_how", _("Say how the client's identity was verified.")
            )
        return data


class VerifyForm(forms.Form):
    how = _required_text(
        _("How their identity was verified"),
        MAX_HOW,
        _("Say how the client's identity was verified."),
    )


class PauseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What you are waiting for"),
        choices=SubjectAccessPause.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say what is being waited for.")},
    )


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Extend by"),
        coerce=int,
        choices=[(1, _("One month")), (2, _("Two months"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how long the extension is.")},
    )
    reason = _required_text(
        _("Why more time is needed"),
        MAX_REASON,
        _("Record why more time is needed; the client is told."),
        rows=3,
    )

    def __init__(self, *args: Any, remaining: int = 2, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        months = self.fields["months"]
        assert isinstance(months, forms.TypedChoiceField)
        months.choices = [c for c in months.choices if int(c[0]) <= remaining]
        if len(months.choices) == 1:
            months.initial = months.choices[0][0]


class CloseForm(forms.Form):
    reason = _required_text(
        _("Why the request is closed"),
        MAX_REASON,
        _("Record why the request is closed."),
    )


class ReleaseForm(forms.Form):
    confirmed = forms.BooleanField(
        label=_(
            "I have checked what is in the bundle and what is left out, and why, and nothing "
            "in it reveals a disclosure the client must not know about."
        ),
        error_messages={"required": _("Confirm that you have reviewed the bundle.")},
    )


# -- choosing the bundle's content, item by item -------------------------------------------------

INCLUDE, WITHHOLD, WITHHOLD_CRIME, LEAVE_OUT = "include", "withhold", "withhold_crime", "leave_out"
EXEMPTIONS = {
    WITHHOLD: Withholding.Exemption.SERIOUS_HARM,
    WITHHOLD_CRIME: Withholding.Exemption.CRIME,
}


class BundleContentForm(forms.Form):
    """One decision per note entry and per supervision point about this client. The fields
    exist only for the items passed in (the client's own), so an id posted for anything else
    is never read.

    - an entry that is not third-party information, and a supervision point: ``include``
      (the default), ``withhold`` under the serious-harm exemption, with the basis, the
      health professional and the date of their opinion (no more than six months ago), or
      ``withhold_crime`` when telling the client would prejudice the prevention or detection
      of crime (tipping off), with the basis;
    - third-party information: ``leave_out`` (the default) or ``include`` with the reason.
    """

    def __init__(
        self,
        *args: Any,
        entries: list[NoteEntry],
        points: list[SupervisionPoint] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.entries = entries
        self.points = points or []
        for entry in entries:
            key = entry.pk
            if entry.is_third_party:
                self.fields[f"decision-{key}"] = forms.ChoiceField(
                    label=_("Third-party information"),
                    choices=[
                        (LEAVE_OUT, _("Leave it out")),
                        (INCLUDE, _("Include it: the third party agreed, or it is reasonable")),
                    ],
                    widget=forms.RadioSelect,
                    initial=LEAVE_OUT,
                )
                self.fields[f"reason-{key}"] = _text(
                    _("Why it is reasonable to include it (or that the third party agreed)"),
                    MAX_REASON,
                    rows=2,
                    required=False,
                    help_text=_("Needed only if you include it."),
                )
            else:
                self._add_withholding_fields(key, _("This entry"))
        for point in self.points:
            self._add_withholding_fields(point.pk, _("This supervision point"))

    def _add_withholding_fields(self, key: Any, label: Any) -> None:
        decision = self.fields[f"decision-{key}"] = forms.ChoiceField(
            label=label,
            choices=[
                (INCLUDE, _("Include it")),
                (WITHHOLD, _("Withhold it under the serious-harm exemption")),
                (
                    WITHHOLD_CRIME,
                    _(
                        "Withhold it: telling the client would prejudice the prevention or "
                        "detection of crime (tipping off)"
                    ),
                ),
            ],
            widget=forms.RadioSelect,
            initial=INCLUDE,
        )
        decision.error_messages["required"] = _("Choose what happens to this item.")
        decision.error_messages["invalid_choice"] = _("Choose what happens to this item.")
        self.fields[f"basis-{key}"] = _text(
            _("Why it is withheld"),
            MAX_REASON,
            rows=2,
            required=False,
            help_text=_(
                "Needed only if you withhold it: the serious harm it would be likely to cause, "
                "or how telling the client would prejudice the prevention or detection of crime."
            ),
        )
        self.fields[f"opinion_by-{key}"] = _text(
            _("Appropriate health professional consulted"),
            MAX_OPINION_BY,
            required=False,
            help_text=_("For the serious-harm exemption only."),
        )
        self.fields[f"opinion_on-{key}"] = forms.DateField(
            label=_("Date of their opinion"),
            widget=DateInput(),
            required=False,
            help_text=_("No more than six months before the bundle is released."),
        )

    @staticmethod
    def names(item: NoteEntry | SupervisionPoint) -> dict[str, str]:
        key = item.pk
        return {
            "decision": f"decision-{key}",
            "reason": f"reason-{key}",
            "basis": f"basis-{key}",
            "opinion_by": f"opinion_by-{key}",
            "opinion_on": f"opinion_on-{key}",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for entry in self.entries:
            name = self.names(entry)
            if entry.is_third_party:
                if data.get(name["decision"]) == INCLUDE and not (
                    (data.get(name["reason"]) or "").strip()
                ):
                    self._error(
                        name["reason"],
                        _("Third-party information is left out unless you record why."),
                    )
            else:
                self._check_withholding(data, name)
        for point in self.points:
            self._check_withholding(data, self.names(point))
        return data

    def _check_withholding(self, data: dict[str, Any], name: dict[str, str]) -> None:
        decision = data.get(name["decision"])
        if decision not in EXEMPTIONS:
            return
        if not (data.get(name["basis"]) or "").strip():
            self._error(name["basis"], _("Record why it is withheld."))
        if decision != WITHHOLD:
            return
        if not (data.get(name["opinion_by"]) or "").strip():
            self._error(
                name["opinion_by"], _("Name the health professional whose opinion this rests on.")
            )
        today = timezone.localdate()
        opinion_on = data.get(name["opinion_on"])
        if opinion_on is None:
            self._error(name["opinion_on"], _("Give the date of their opinion."))
        elif opinion_on > today:
            self._error(name["opinion_on"], _("The date of the opinion cannot be in the future."))
        elif opinion_too_old(opinion_on, today):
            self._error(
                name["opinion_on"],
                _("The health professional's opinion must be no more than six months old."),
            )

    def _error(self, name: str, message: Any) -> None:
        if name not in self.errors:
            self.add_error(name, message)

    # -- what the service is given ---------------------------------------------------------------

    def _decision(self, item: NoteEntry | SupervisionPoint) -> str:
        return str(self.cleaned_data.get(self.names(item)["decision"]) or "")

    def _withheld(self, item: NoteEntry | SupervisionPoint) -> Withheld:
        # The opinion is kept only for the serious-harm exemption; the service sees to that.
        name = self.names(item)
        return Withheld(
            basis=(self.cleaned_data.get(name["basis"]) or "").strip(),
            opinion_by=(self.cleaned_data.get(name["opinion_by"]) or "").strip(),
            opinion_on=self.cleaned_data.get(name["opinion_on"]),
            exemption=EXEMPTIONS[self._decision(item)],
        )

    def include(self) -> list[uuid.UUID]:
        return [entry.pk for entry in self.entries if self._decision(entry) == INCLUDE]

    def third_party_reasons(self) -> dict[str, str]:
        return {
            str(entry.pk): (self.cleaned_data.get(self.names(entry)["reason"]) or "").strip()
            for entry in self.entries
            if entry.is_third_party and self._decision(entry) == INCLUDE
        }

    def withhold(self) -> dict[str, Withheld]:
        return {
            str(entry.pk): self._withheld(entry)
            for entry in self.entries
            if not entry.is_third_party and self._decision(entry) in EXEMPTIONS
        }

    def include_points(self) -> list[uuid.UUID]:
        return [point.pk for point in self.points if self._decision(point) == INCLUDE]

    def withhold_points(self) -> dict[str, Withheld]:
        return {
            str(point.pk): self._withheld(point)
            for point in self.points
            if self._decision(point) in EXEMPTIONS
        }


class FindClientForm(forms.Form):
    """The service manager names the client a request is recorded for (by reference)."""

    client = forms.CharField(
        label=_("Client reference"),
        max_length=20,
        error_messages={"required": _("Give the client's reference.")},
    )

    def clean_client(self) -> str:
        return (self.cleaned_data.get("client") or "").strip().upper()
