"""The shape of input about clients. Rules that span models live in services.py."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import JointCase, age_on
from practice.accounts.models import User
from practice.forms import DateInput


def active_counsellors() -> Any:
    return User.objects.filter(is_counsellor=True, is_active=True).order_by(
        "first_name", "last_name"
    )


class CounsellorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


def not_in_future(value: datetime.date | None) -> None:
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))


class IdentityForm(forms.Form):
    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100)
    preferred_name = forms.CharField(label=_("Preferred name"), max_length=100, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=DateInput, validators=[not_in_future]
    )
    pronouns = forms.CharField(label=_("Pronouns"), max_length=40, required=False)
    address = forms.CharField(
        label=_("Address"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    gp_details = forms.CharField(
        label=_("GP (name and surgery)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    emergency_contact = forms.CharField(
        label=_("Emergency contact"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    parental_contacts = forms.CharField(
        label=_("People with parental responsibility (for clients under 18)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    IDENTITY_FIELDS = (
        "given_name",
        "family_name",
        "preferred_name",
        "date_of_birth",
        "pronouns",
        "address",
        "phone",
        "email",
        "gp_details",
        "emergency_contact",
        "parental_contacts",
    )

    def identity_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.IDENTITY_FIELDS}


class RegisterForm(IdentityForm):
    opened_on = forms.DateField(
        label=_("Date of referral or first contact"),
        widget=DateInput,
        validators=[not_in_future],
        initial=timezone.localdate,
    )
    is_minor = forms.BooleanField(
        label=_("The client is under 18"),
        required=False,
        help_text=_("Worked out from the date of birth when one is given."),
    )
    counsellor = CounsellorChoiceField(
        label=_("Allocate to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Not yet allocated (referral)"),
    )

    def __init__(self, *args: Any, can_allocate: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if can_allocate:
            self.fields["counsellor"].queryset = active_counsellors()
        else:
            del self.fields["counsellor"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        born = data.get("date_of_birth")
        if born:
            data["is_minor"] = age_on(born, timezone.localdate()) < 18
        return data


class AllocateForm(forms.Form):
    counsellor = CounsellorChoiceField(label=_("Counsellor"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].queryset = active_counsellors()


class EndForm(forms.Form):
    ended_on = forms.DateField(
        label=_("Date counselling ended"), widget=DateInput, validators=[not_in_future]
    )


class SearchForm(forms.Form):
    family_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not any(data.get(name) for name in ("family_name", "date_of_birth", "email")):
            raise forms.ValidationError(_("Enter a last name, a date of birth or an e-mail."))
        return data


class BreakGlassForm(forms.Form):
    reference = forms.RegexField(
        label=_("Client reference"),
        regex=r"^C-[A-Z0-9]{4}$",
        max_length=6,
        help_text=_("For example C-7KQ3."),
        error_messages={"invalid": _("A reference looks like C-7KQ3.")},
    )
    reason = forms.CharField(
        label=_("Why you need to see this client's records now"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Access lasts 60 minutes, is read-only, and is shown to the service manager."),
    )

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].upper()


class NameExecutorForm(forms.Form):
    executor = CounsellorChoiceField(label=_("Executor"), queryset=User.objects.none())

    def __init__(self, *args: Any, counsellor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["executor"].queryset = active_counsellors().exclude(pk=counsellor.pk)


class ActivateExecutorForm(forms.Form):
    reason_code = forms.ChoiceField(
        label=_("Why the executor is being activated"),
        choices=[("death", _("Death")), ("incapacity", _("Incapacity")), ("other", _("Other"))],
        widget=forms.RadioSelect,
    )


class JointCaseForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of work"), choices=JointCase.Kind.choices, widget=forms.RadioSelect
    )
    members = forms.MultipleChoiceField(
        label=_("Clients seen together"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = choices


class ClosePortalForm(forms.Form):
    """Closing a client's portal access is asked twice: the button, then this tick."""

    confirm = forms.BooleanField(
        label=_("Yes, stop this client signing in to the portal"),
        help_text=_(
            "Their records stay as they are. Consents waiting for their signature can no "
            "longer be signed."
        ),
        error_messages={"required": _("Tick the box to confirm.")},
    )
