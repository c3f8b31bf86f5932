"""The shape of input for contracting, consent and the practice's documents.

The rules live in consent/services.py; these forms repeat the ones a person can fix, so each
error shows beside its field. Uploaded evidence is checked here (by content, not by name) so a
refused file is never handed to the service, let alone stored.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from consent import services
from consent.models import ConsentEvent, Contracting, DocumentVersion, Scope
from practice.accounts.models import User
from practice.forms import DateInput
from practice.uploads import CheckedUpload, check_upload

MAX_RECIPIENT = 200
MAX_LONG_TEXT = 2000
MAX_NAME = 200

EXPLAINED_POINTS = (
    "explained_limits",
    "explained_supervision",
    "explained_storage",
    "explained_access",
)


class DocumentChoiceField(forms.ModelChoiceField):
    """A published version, named by its number and when it was published."""

    def label_from_instance(self, obj: DocumentVersion) -> str:
        published = timezone.localtime(obj.published_at) if obj.published_at else None
        when = f"{published:%d %B %Y}" if published else _("draft")
        return f"{obj.title}, version {obj.version} ({when})"


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


def published(kind: str) -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(kind=kind, published_at__isnull=False).order_by(
        "-published_at"
    )


# -- contracting -----------------------------------------------------------------------------


class ContractingForm(forms.Form):
    contracted_on = forms.DateField(
        label=_("Date of the first session"), widget=DateInput(), initial=timezone.localdate
    )
    agreement = DocumentChoiceField(
        label=_("Confidentiality agreement given"),
        queryset=DocumentVersion.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a published version of the agreement.")},
    )
    privacy_notice = DocumentChoiceField(
        label=_("Privacy notice given"),
        queryset=DocumentVersion.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a published version of the privacy notice.")},
    )
    delivered = forms.ChoiceField(
        label=_("How the client was given them"),
        choices=Contracting.Delivery.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say how the client was given the documents.")},
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        agreement = self.fields["agreement"]
        notice = self.fields["privacy_notice"]
        assert isinstance(agreement, forms.ModelChoiceField)
        assert isinstance(notice, forms.ModelChoiceField)
        agreement.queryset = published(DocumentVersion.Kind.AGREEMENT)
        notice.queryset = published(DocumentVersion.Kind.PRIVACY_NOTICE)
        # The current versions are the ones normally given; an older one only if that is what
        # the client actually received.
        agreement.initial = DocumentVersion.current(DocumentVersion.Kind.AGREEMENT)
        notice.initial = DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE)
        # One tick per point, labelled as the model words it, so the record says exactly what
        # the counsellor confirmed.
        for point in EXPLAINED_POINTS:
            self.fields[point] = forms.BooleanField(
                label=Contracting._meta.get_field(point).verbose_name.capitalize(),
                required=True,
                error_messages={"required": _("Explain this and tick it before recording.")},
            )

    def clean_contracted_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["contracted_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of the first session cannot be in the future."))
        if value < self.client.opened_on:
            raise forms.ValidationError(
                _("The date cannot be before the case was opened (%(date)s)."),
                params={"date": f"{self.client.opened_on:%d %B %Y}"},
            )
        return value

    def explained(self) -> dict[str, bool]:
        return {point: bool(self.cleaned_data.get(point)) for point in EXPLAINED_POINTS}


# -- giving consent --------------------------------------------------------------------------

# What staff pages accept as evidence of a consent. The client's own e-signature belongs to
# the portal, where the client signs for themselves.
STAFF_EVIDENCE = [
    (ConsentEvent.Evidence.SIGNED_FORM, _("A consent form the client signed on paper (upload it)")),
    (
        ConsentEvent.Evidence.VERBAL_WITNESSED,
        _("Urgent only: the client agreed out loud, and another member of staff witnessed it"),
    ),
]


class GrantForm(forms.Form):
    """One consent, for one scope. The disclosure and young-person fields appear only when
    they apply."""

    recipient = forms.CharField(
        label=_("Who the information may be shared with"),
        help_text=_("A named person or organisation, for example “Dr Patel, Riverside Surgery”."),
        max_length=MAX_RECIPIENT,
    )
    purpose = forms.CharField(
        label=_("Why it is being shared"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_LONG_TEXT,
    )
    material = forms.CharField(
        label=_("What may be shared"),
        help_text=_("Say exactly what: for example “dates of sessions attended”."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_LONG_TEXT,
    )
    valid_until = forms.DateField(
        label=_("Until"),
        help_text=_("Leave empty if the consent has no end date. It can be withdrawn at any time."),
        widget=DateInput(),
        required=False,
    )
    evidence = forms.ChoiceField(
        label=_("How the client gave their consent"),
        choices=STAFF_EVIDENCE,
        initial=ConsentEvent.Evidence.SIGNED_FORM,  # written consent is the rule
        widget=forms.RadioSelect,
        error_messages={"required": _("Say how the client gave their consent.")},
    )
    evidence_file = forms.FileField(
        label=_("The signed form"),
        help_text=_("A scan or photo: PDF, PNG or JPEG, up to 10 MB. It is stored encrypted."),
        error_messages={"required": _("Upload the signed form.")},
    )
    witness = StaffChoiceField(
        label=_("Who witnessed it"),
        help_text=_("Another member of staff who heard the client agree."),
        queryset=User.objects.none(),
        error_messages={"required": _("Choose the member of staff who witnessed it.")},
    )
    urgent = forms.BooleanField(
        label=_("This is urgent: there is no time to get a signed form first"),
        error_messages={
            "required": _(
                "Verbal consent is only for urgent cases. Otherwise, upload a signed form."
            )
        },
    )
    capacity = forms.ChoiceField(
        label=_("The outcome"),
        help_text=_(
            "Consider now whether the client understands what they are agreeing to, can weigh "
            "it up, and can tell you their decision."
        ),
        choices=ConsentEvent.Capacity.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Record the outcome of considering capacity.")},
    )
    capacity_note = forms.CharField(
        label=_("How you considered capacity"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_LONG_TEXT,
        required=False,
    )
    minor_basis = forms.ChoiceField(
        label=_("The client is under 18"),
        choices=ConsentEvent.MinorBasis.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say how a client under 18 consented.")},
    )
    parental_consent_by = forms.CharField(
        label=_("Name of the person with parental responsibility who consented"),
        max_length=MAX_NAME,
        required=False,
    )

    def __init__(self, *args: Any, client: Client, scope: str, by: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client, self.scope, self.by = client, scope, by
        if scope != Scope.DISCLOSURE:
            for name in ("recipient", "purpose", "material"):
                del self.fields[name]
        if not client.is_minor:
            del self.fields["minor_basis"], self.fields["parental_consent_by"]
        witness = self.fields["witness"]
        assert isinstance(witness, forms.ModelChoiceField)
        # Never the counsellor themselves: the witness is a second member of staff.
        witness.queryset = services.possible_witnesses(by)
        # The signed form is asked for unless the counsellor says this is urgent verbal
        # consent; then the witness and the urgency are asked for instead. Deciding here (not
        # in clean) puts each message beside its own field and marks the right ones optional.
        verbal = (
            self.is_bound and self.data.get("evidence") == ConsentEvent.Evidence.VERBAL_WITNESSED
        )
        self.fields["evidence_file"].required = not verbal
        witness.required = self.fields["urgent"].required = verbal
        self.upload: CheckedUpload | None = None

    def clean_valid_until(self) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data.get("valid_until")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The end date is already past."))
        return value

    def clean_evidence_file(self) -> Any:
        upload = self.cleaned_data.get("evidence_file")
        # Only a signed form is uploaded; a file sent with verbal consent is not read at all.
        if upload and self.cleaned_data.get("evidence") == ConsentEvent.Evidence.SIGNED_FORM:
            self.upload = check_upload(upload)
        return upload

    def clean_capacity(self) -> str:
        value: str = self.cleaned_data["capacity"]
        if value == ConsentEvent.Capacity.LACKS_CAPACITY:
            # Consent from someone who cannot make this decision now is not consent: nothing
            # is recorded as given.
            raise forms.ValidationError(
                _(
                    "A client who cannot make this decision now cannot give consent. Do not "
                    "record it: ask again when they can decide, and talk to your supervisor."
                )
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("minor_basis") == ConsentEvent.MinorBasis.PARENTAL
            and not (data.get("parental_consent_by") or "").strip()
        ):
            self.add_error(
                "parental_consent_by",
                _("Name the person with parental responsibility who consented."),
            )
        return data

    def grant_kwargs(self) -> dict[str, Any]:
        """The keyword arguments for services.grant, from a valid form."""
        data = self.cleaned_data
        verbal = data["evidence"] == ConsentEvent.Evidence.VERBAL_WITNESSED
        minor = None
        if self.client.is_minor:
            basis = data["minor_basis"]
            name = data["parental_consent_by"] if basis == ConsentEvent.MinorBasis.PARENTAL else ""
            minor = services.MinorConsent(basis=basis, parental_consent_by=name)
        return {
            "scope": self.scope,
            "evidence": data["evidence"],
            "upload": None if verbal else self.upload,
            "witness": data["witness"] if verbal else None,
            "recipient": data.get("recipient", ""),
            "purpose": data.get("purpose", ""),
            "material": data.get("material", ""),
            "valid_until": data.get("valid_until"),
            # The counsellor recording the consent is the one who considered capacity.
            "capacity": services.Capacity(
                assessed_by=self.by, outcome=data["capacity"], note=data["capacity_note"]
            ),
            "minor": minor,
        }


# -- consents the client signs in the portal -------------------------------------------------


class PrepareForm(forms.Form):
    """A consent written out for the client to read and sign in the portal. The counsellor
    records how they considered capacity now, since they will not be there when it is signed."""

    scope = forms.ChoiceField(
        label=_("What the client is asked to agree to"),
        choices=Scope.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what the consent is for.")},
    )
    recipient = forms.CharField(
        label=_("Who the information may be shared with"),
        help_text=_("A named person or organisation, for example “Dr Patel, Riverside Surgery”."),
        max_length=MAX_RECIPIENT,
        required=False,
    )
    purpose = forms.CharField(
        label=_("Why it is being shared"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_LONG_TEXT,
        required=False,
    )
    material = forms.CharField(
        label=_("What may be shared"),
        help_text=_("Say exactly what: for example “dates of sessions attended”."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_LONG_TEXT,
        required=False,
    )
    valid_until = forms.DateField(
        label=_("Until"),
        help_text=_("Leave empty if the consent has no end date. It can be withdrawn at any time."),
        widget=DateInput(),
        required=False,
    )
    capacity_note = forms.CharField(
        label=_("How you considered the client's capacity to decide this"),
        help_text=_(
            "You will not be there when the client signs. Say how you know they understand "
            "what they are agreeing to, can weigh it up and can decide for themselves."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_LONG_TEXT,
        error_messages={"required": _("Record how you considered the client's capacity.")},
    )
    competent = forms.BooleanField(
        label=_("The young person understands enough to decide this for themselves"),
        help_text=_(
            "A client under 18 signs in the portal only if they are competent to consent on "
            "their own (Gillick competence). Consent from a parent is recorded on paper."
        ),
        error_messages={
            "required": _(
                "Only a young person competent to decide for themselves signs in the portal. "
                "Otherwise, record the consent of a person with parental responsibility on paper."
            )
        },
    )

    DISCLOSURE_FIELDS = ("recipient", "purpose", "material")

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        if not client.is_minor:
            del self.fields["competent"]

    def clean_valid_until(self) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data.get("valid_until")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The end date is already past."))
        return value

    def clean_capacity_note(self) -> str:
        value: str = self.cleaned_data["capacity_note"].strip()
        if not value:
            raise forms.ValidationError(_("Record how you considered the client's capacity."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == Scope.DISCLOSURE:
            messages = {
                "recipient": _("Name who the information may be shared with."),
                "purpose": _("Say why it is being shared."),
                "material": _("Say what may be shared."),
            }
            for name in self.DISCLOSURE_FIELDS:
                if name not in self.errors and not (data.get(name) or "").strip():
                    self.add_error(name, messages[name])
        else:
            # Only consent to share names a recipient: anything typed there is not kept.
            for name in self.DISCLOSURE_FIELDS:
                data[name] = ""
        return data

    def prepare_kwargs(self) -> dict[str, Any]:
        """The keyword arguments for services.prepare_consent, from a valid form."""
        data = self.cleaned_data
        return {
            "scope": data["scope"],
            "recipient": data["recipient"],
            "purpose": data["purpose"],
            "material": data["material"],
            "valid_until": data.get("valid_until"),
            "capacity_note": data["capacity_note"],
        }


# -- withdrawing -----------------------------------------------------------------------------


class WithdrawForm(forms.Form):
    evidence = forms.ChoiceField(
        label=_("How did the client withdraw their consent?"),
        choices=[
            (ConsentEvent.Evidence.VERBAL, _("They told me, in person or on the phone")),
            (ConsentEvent.Evidence.WRITTEN, _("They wrote to say so, by letter or e-mail")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Say how the client withdrew their consent.")},
    )


# -- the practice's documents ----------------------------------------------------------------


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Document"), choices=DocumentVersion.Kind.choices, widget=forms.RadioSelect
    )
    version = forms.CharField(
        label=_("Version"),
        help_text=_("A number or label that has not been used for this document, such as “2”."),
        max_length=20,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Text"),
        help_text=_("Write it for clients: plain words, short paragraphs."),
        widget=forms.Textarea(attrs={"rows": 20, "class": "wide"}),
        max_length=services.MAX_DOCUMENT_TEXT,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, version = data.get("kind"), (data.get("version") or "").strip()
        if kind and version and DocumentVersion.objects.filter(kind=kind, version=version).exists():
            self.add_error("version", _("This version number is already used. Choose another."))
        return data
