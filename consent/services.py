"""Verbs and questions about contracting and consent: atomic, audited, keyword-only ``by``.

Audit events name the scope and the ids, never the recipient, purpose or evidence.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from clients.access import Purpose, can, is_own_case
from clients.models import Client
from consent.models import ConsentEvent, Contracting, DocumentVersion, PreparedConsent, Scope
from notes.services import Blocker
from practice.accounts.models import Role, User
from practice.audit.services import record
from practice.uploads import CheckedUpload

# Sent after a withdrawal commits; apps above consent (disclosures) block what relied on it.
consent_withdrawn = Signal()  # sender=ConsentEvent, grant=ConsentEvent, withdrawal=ConsentEvent


class ConsentError(Exception):
    """A consent or contracting record the rules refuse; the message is safe to show."""


# -- the agreement and the privacy notice ----------------------------------------------------

MAX_DOCUMENT_TEXT = 50_000


@transaction.atomic
def draft_document(
    *,
    by: User,
    kind: str,
    version: str,
    title: str,
    text: str,
    request: HttpRequest | None = None,
) -> DocumentVersion:
    """A service manager writes a new version of the agreement or the privacy notice. It is a
    draft, offered to nobody, until it is published."""
    if not by.has_role(Role.MANAGER):
        raise ConsentError("Only a service manager writes the agreement and the privacy notice.")
    if kind not in DocumentVersion.Kind.values:
        raise ConsentError("Choose which document this is a version of.")
    version, title, text = version.strip(), title.strip(), text.strip()
    if not version or not title or not text:
        raise ConsentError("Give the version, the title and the text.")
    if len(text) > MAX_DOCUMENT_TEXT:
        raise ConsentError("The text is too long.")
    if DocumentVersion.objects.filter(kind=kind, version=version).exists():
        raise ConsentError("There is already a version with this number. Choose another.")
    document = DocumentVersion.objects.create(kind=kind, version=version, title=title, text=text)
    record(
        "consent.document.drafted",
        by=by,
        target=document,
        request=request,
        data={"kind": kind, "version": version},
    )
    return document


@transaction.atomic
def publish_document(
    document: DocumentVersion, *, by: User, request: HttpRequest | None = None
) -> DocumentVersion:
    """Publish a draft: from now on it is the version given to clients at contracting. A
    published version never changes, because contracting records point at it."""
    if not by.has_role(Role.MANAGER):
        raise ConsentError("Only a service manager publishes the agreement and the privacy notice.")
    document = DocumentVersion.objects.select_for_update().get(pk=document.pk)
    if document.published_at is not None:
        raise ConsentError("This version is already published.")
    document.published_at, document.published_by = timezone.now(), by
    document.save(update_fields=["published_at", "published_by"])
    record(
        "consent.document.published",
        by=by,
        target=document,
        request=request,
        data={"kind": document.kind, "version": document.version},
    )
    return document


# -- contracting -----------------------------------------------------------------------------


def contracting_for(client: Client) -> Contracting | None:
    return client.contracting.order_by("-contracted_on", "-recorded_at").first()


def contracting_blocker(client: Client) -> Blocker | None:
    """Registered with notes: no factual note before contracting (DESIGN.md §7, S001 R4)."""
    if client.contracting.exists():
        return None
    return Blocker(
        message=(
            "Record contracting first: confidentiality and its limits must be explained, and "
            "the agreement and privacy notice given, before the first factual note."
        ),
        action_url=reverse("consent:contracting", args=[client.reference]),
        action_label="Record contracting",
    )


@transaction.atomic
def record_contracting(
    client: Client,
    *,
    by: User,
    contracted_on: datetime.date,
    agreement: DocumentVersion,
    privacy_notice: DocumentVersion,
    delivered: str,
    explained: Mapping[str, bool],
    request: HttpRequest | None = None,
) -> Contracting:
    if contracted_on > timezone.localdate():
        raise ConsentError("The date of the first session cannot be in the future.")
    if contracted_on < client.opened_on:
        raise ConsentError("Contracting cannot be before the case was opened.")
    if agreement.kind != DocumentVersion.Kind.AGREEMENT or agreement.published_at is None:
        raise ConsentError("Choose a published version of the confidentiality agreement.")
    if (
        privacy_notice.kind != DocumentVersion.Kind.PRIVACY_NOTICE
        or privacy_notice.published_at is None
    ):
        raise ConsentError("Choose a published version of the privacy notice.")
    if delivered not in Contracting.Delivery.values:
        raise ConsentError("Say how the agreement and privacy notice were given.")
    points = ("explained_limits", "explained_supervision", "explained_storage", "explained_access")
    if not all(explained.get(point) for point in points):
        raise ConsentError("Every point must be explained before contracting is recorded.")
    contracting = Contracting.objects.create(
        client=client,
        contracted_on=contracted_on,
        counsellor=by,
        agreement=agreement,
        privacy_notice=privacy_notice,
        delivered=delivered,
        **{point: True for point in points},
    )
    record(
        "consent.contracting.recorded",
        by=by,
        target=contracting,
        client_ref=client.reference,
        request=request,
        data={"agreement": agreement.version, "privacy_notice": privacy_notice.version},
    )
    return contracting


# -- consent events --------------------------------------------------------------------------


@dataclass(frozen=True)
class Capacity:
    assessed_by: User
    outcome: str  # ConsentEvent.Capacity value
    note: str = ""


@dataclass(frozen=True)
class MinorConsent:
    basis: str  # ConsentEvent.MinorBasis value
    parental_consent_by: str = ""


@transaction.atomic
def grant(
    client: Client,
    *,
    by: User,
    scope: str,
    evidence: str,
    upload: CheckedUpload | None = None,
    signature_name: str = "",
    signature_ip: str = "",
    witness: User | None = None,
    recipient: str = "",
    purpose: str = "",
    material: str = "",
    valid_until: datetime.date | None = None,
    capacity: Capacity | None = None,
    minor: MinorConsent | None = None,
    request: HttpRequest | None = None,
) -> ConsentEvent:
    """Record that the client gave consent for one scope, with its evidence."""
    if scope not in Scope.values:
        raise ConsentError("Unknown consent scope.")
    if evidence == ConsentEvent.Evidence.SIGNED_FORM and upload is None:
        raise ConsentError("Upload the signed form.")
    if evidence == ConsentEvent.Evidence.E_SIGNATURE and not signature_name.strip():
        raise ConsentError("The client types their full name to sign.")
    if evidence == ConsentEvent.Evidence.VERBAL_WITNESSED:
        if witness is None:
            raise ConsentError("Verbal consent needs a second member of staff as witness.")
        if witness.pk == by.pk:
            raise ConsentError("The witness must be someone other than you.")
        if not witness.is_staff_member or not witness.is_active:
            raise ConsentError("The witness must be an active member of staff.")
    if evidence not in (
        ConsentEvent.Evidence.SIGNED_FORM,
        ConsentEvent.Evidence.E_SIGNATURE,
        ConsentEvent.Evidence.VERBAL_WITNESSED,
    ):
        raise ConsentError("Consent needs written evidence, or witnessed verbal consent.")
    if scope == Scope.DISCLOSURE and not (
        recipient.strip() and purpose.strip() and material.strip()
    ):
        raise ConsentError(
            "Consent to share names the recipient, the purpose and what may be shared."
        )
    if valid_until is not None and valid_until < timezone.localdate():
        raise ConsentError("The end date is already past.")
    if client.is_minor and minor is None:
        raise ConsentError(
            "For a client under 18, say whether they are competent to consent themselves, "
            "or who with parental responsibility consented."
        )
    if (
        minor is not None
        and minor.basis == ConsentEvent.MinorBasis.PARENTAL
        and not minor.parental_consent_by.strip()
    ):
        raise ConsentError("Name the person with parental responsibility who consented.")
    if minor is not None and minor.basis not in ConsentEvent.MinorBasis.values:
        raise ConsentError("Choose how a client under 18 consented.")
    if capacity is not None and capacity.outcome not in ConsentEvent.Capacity.values:
        raise ConsentError("Record the outcome of the capacity assessment.")
    if scope == Scope.DISCLOSURE and capacity is None:
        # Policy S001: capacity is considered at the time of every consent used to share.
        raise ConsentError("Record that capacity was considered, and the outcome.")
    event = ConsentEvent(
        client=client,
        scope=scope,
        action=ConsentEvent.Action.GRANTED,
        recipient=recipient.strip(),
        purpose=purpose.strip(),
        material=material.strip(),
        valid_until=valid_until,
        evidence=evidence,
        signature_name=signature_name.strip(),
        signature_ip=signature_ip,
        signed_at=timezone.now() if evidence == ConsentEvent.Evidence.E_SIGNATURE else None,
        witness=witness,
        recorded_by=by,
    )
    if upload is not None:
        event.evidence_file = upload.content
        event.evidence_filename = upload.filename
        event.evidence_content_type = upload.content_type
    if capacity is not None:
        event.capacity_assessed_by = capacity.assessed_by
        event.capacity = capacity.outcome
        event.capacity_note = capacity.note.strip()
    if minor is not None:
        event.minor_basis = minor.basis
        event.parental_consent_by = minor.parental_consent_by.strip()
    event.save()
    record(
        "consent.granted",
        by=by,
        target=event,
        client_ref=client.reference,
        request=request,
        data={"scope": scope, "evidence": evidence},
    )
    return event


@transaction.atomic
def withdraw(
    consent: ConsentEvent,
    *,
    by: User,
    evidence: str,
    request: HttpRequest | None = None,
) -> ConsentEvent:
    """Withdraw a consent. It takes effect at once: whatever relied on it is blocked."""
    consent = ConsentEvent.objects.select_for_update().get(pk=consent.pk)
    if not consent.is_grant:
        raise ConsentError("Only a consent that was given can be withdrawn.")
    if consent.withdrawal_event() is not None:
        raise ConsentError("This consent has already been withdrawn.")
    if evidence not in (
        ConsentEvent.Evidence.VERBAL,
        ConsentEvent.Evidence.WRITTEN,
        ConsentEvent.Evidence.E_SIGNATURE,
    ):
        raise ConsentError("Say how the client withdrew their consent.")
    withdrawal = ConsentEvent(
        client_id=consent.client_id,
        scope=consent.scope,
        action=ConsentEvent.Action.WITHDRAWN,
        withdraws=consent,
        evidence=evidence,
        recorded_by=by,
    )
    withdrawal.save()
    client_ref = Client.objects.values_list("reference", flat=True).get(pk=consent.client_id)
    record(
        "consent.withdrawn",
        by=by,
        target=withdrawal,
        client_ref=client_ref,
        request=request,
        data={"scope": consent.scope, "grant_id": str(consent.pk)},
    )
    transaction.on_commit(
        lambda: consent_withdrawn.send(sender=ConsentEvent, grant=consent, withdrawal=withdrawal)
    )
    return withdrawal


# -- questions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    covered: bool
    reason: str = ""
    consent: ConsentEvent | None = None

    def __bool__(self) -> bool:
        return self.covered


def _same(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    return norm(a) == norm(b)


def covers(
    client: Client,
    scope: str,
    *,
    recipient: str | None = None,
    purpose: str | None = None,
    at: datetime.datetime | None = None,
    consent: ConsentEvent | None = None,
) -> Coverage:
    """Does a current consent of ``client`` cover this use? With the reason when it does not.

    Only the client's own consents count (a partner's never covers them). For a disclosure,
    the consent must name the same recipient (and purpose, when one is given), and capacity
    must have been considered and found. ``consent`` checks one specific consent.
    """
    at = at or timezone.now()
    label = Scope(scope).label.lower() if scope in Scope.values else scope
    if consent is not None:
        # Read it again: a withdrawal recorded since the caller loaded it takes effect at once,
        # and a cached "no withdrawal" on the caller's instance must not hide it.
        consent = ConsentEvent.objects.select_related("withdrawal").filter(pk=consent.pk).first()
        if consent is None:
            return Coverage(False, "That consent does not exist.")
        if consent.client_id != client.pk:
            return Coverage(False, "That consent was given by someone else, not this client.")
        candidates = [consent]
    else:
        candidates = list(
            ConsentEvent.objects.grants()
            .filter(client=client, scope=scope, recorded_at__lte=at)
            .select_related("withdrawal")
            .order_by("-recorded_at")
        )
    if not candidates:
        return Coverage(False, f"The client has not given consent for {label}.")
    reasons: list[str] = []
    for candidate in candidates:
        reason = _why_not(candidate, client, scope, recipient, purpose, at)
        if reason is None:
            return Coverage(True, consent=candidate)
        reasons.append(reason)
    return Coverage(False, reasons[0], candidates[0] if consent is not None else None)


def _why_not(
    grant: ConsentEvent,
    client: Client,
    scope: str,
    recipient: str | None,
    purpose: str | None,
    at: datetime.datetime,
) -> str | None:
    if not grant.is_grant or grant.scope != scope:
        return "That consent is for something else."
    if grant.recorded_at > at:
        return "That consent was given later."
    withdrawal = grant.withdrawal_event()
    if withdrawal is not None and withdrawal.recorded_at <= at:
        when = timezone.localtime(withdrawal.recorded_at)
        return f"The client withdrew this consent on {when:%d %B %Y}."
    if grant.valid_until is not None and grant.valid_until < timezone.localdate(at):
        return f"This consent ended on {grant.valid_until:%d %B %Y}."
    if client.is_minor and not grant.minor_basis:
        return (
            "The client is under 18 and the consent does not record their competence "
            "or who consented."
        )
    if scope == Scope.DISCLOSURE:
        if recipient is not None and not _same(grant.recipient, recipient):
            return "The consent names a different recipient."
        if purpose is not None and not _same(grant.purpose, purpose):
            return "The consent is for a different purpose."
        if not grant.capacity:
            return "Capacity was not considered when this consent was given."
        if grant.capacity == ConsentEvent.Capacity.LACKS_CAPACITY:
            return "The client lacked capacity to consent at the time."
    return None


@dataclass(frozen=True)
class ScopeState:
    scope: Scope
    current: list[ConsentEvent]
    withdrawn_or_ended: list[ConsentEvent]

    @property
    def given(self) -> bool:
        return bool(self.current)


def current_state(client: Client, at: datetime.datetime | None = None) -> list[ScopeState]:
    """Every scope at a glance: the consents in force, and the ones that ended."""
    at = at or timezone.now()
    grants = list(ConsentEvent.objects.grants().filter(client=client).select_related("withdrawal"))
    states = []
    for scope in Scope:
        of_scope = [g for g in grants if g.scope == scope]
        states.append(
            ScopeState(
                scope=scope,
                current=[g for g in of_scope if g.is_current(at)],
                withdrawn_or_ended=[g for g in of_scope if not g.is_current(at)],
            )
        )
    return states


def possible_witnesses(by: User) -> Any:
    """Who may witness urgent verbal consent: another active counsellor or manager."""
    from django.db.models import Q

    return (
        User.objects.filter(Q(is_counsellor=True) | Q(is_service_manager=True), is_active=True)
        .exclude(pk=by.pk)
        .order_by("first_name", "last_name")
    )


# -- consents the client signs in the portal ---------------------------------------------------


@transaction.atomic
def prepare_consent(
    client: Client,
    *,
    by: User,
    scope: str,
    recipient: str = "",
    purpose: str = "",
    material: str = "",
    valid_until: datetime.date | None = None,
    capacity_note: str = "",
    request: HttpRequest | None = None,
) -> PreparedConsent:
    """Write out a consent for the client to read and sign in their portal.

    The counsellor confirms, by preparing it, that they considered the client's capacity and
    found them able to decide this for themselves; a young person must be competent to
    consent on their own (parental consent is recorded on paper, not in the portal).
    """
    if not can(by, client, Purpose.NOTES_WRITE):
        raise ConsentError("Only the client's counsellor prepares a consent for them to sign.")
    if scope not in Scope.values:
        raise ConsentError("Unknown consent scope.")
    if scope == Scope.DISCLOSURE and not (
        recipient.strip() and purpose.strip() and material.strip()
    ):
        raise ConsentError(
            "Consent to share names the recipient, the purpose and what may be shared."
        )
    if valid_until is not None and valid_until < timezone.localdate():
        raise ConsentError("The end date is already past.")
    if not capacity_note.strip():
        raise ConsentError("Record how you considered the client's capacity to consent to this.")
    account = getattr(client, "account", None)
    if account is None or not account.user.is_active:
        raise ConsentError("The client needs an open portal account to sign in the portal.")
    prepared = PreparedConsent.objects.create(
        client=client,
        scope=scope,
        recipient=recipient.strip(),
        purpose=purpose.strip(),
        material=material.strip(),
        valid_until=valid_until,
        capacity_note=capacity_note.strip(),
        prepared_by=by,
    )
    record(
        "consent.prepared",
        by=by,
        target=prepared,
        client_ref=client.reference,
        request=request,
        data={"scope": scope},
    )
    return prepared


def _normalised_name(value: str) -> str:
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(folded.replace("-", " ").split())


def name_matches_identity(client: Client, typed: str) -> bool:
    """The typed signature is the client's full name as we hold it (first or preferred name,
    then last name), ignoring case, spacing and hyphens."""
    identity = getattr(client, "identity", None)
    if identity is None:
        return False
    typed_name = _normalised_name(typed)
    firsts = [n for n in (identity.given_name, identity.preferred_name) if n]
    return any(
        typed_name == _normalised_name(f"{first} {identity.family_name}") for first in firsts
    )


@transaction.atomic
def sign_prepared_consent(
    prepared: PreparedConsent,
    *,
    by: User,
    typed_name: str,
    agreed: bool,
    signature_ip: str = "",
    request: HttpRequest | None = None,
) -> ConsentEvent:
    """The client signs a prepared consent: their typed full name and an explicit tick."""
    prepared = (
        PreparedConsent.objects.select_for_update().select_related("client").get(pk=prepared.pk)
    )
    client = prepared.client
    if not is_own_case(by, client):
        raise ConsentError("Only the client signs their own consent.")
    if not prepared.is_waiting:
        raise ConsentError("This consent is no longer waiting for a signature.")
    if prepared.valid_until is not None and prepared.valid_until < timezone.localdate():
        raise ConsentError("This consent's end date has passed: ask your counsellor for a new one.")
    if not agreed:
        raise ConsentError("Tick the box to say you agree.")
    if not typed_name.strip():
        raise ConsentError("Type your full name to sign.")
    if not name_matches_identity(client, typed_name):
        raise ConsentError(
            "Type your full name as your counsellor has it (first name and last name)."
        )
    event = grant(
        client,
        by=by,
        scope=prepared.scope,
        evidence=ConsentEvent.Evidence.E_SIGNATURE,
        signature_name=typed_name.strip(),
        signature_ip=signature_ip,
        recipient=prepared.recipient,
        purpose=prepared.purpose,
        material=prepared.material,
        valid_until=prepared.valid_until,
        capacity=Capacity(
            assessed_by=prepared.prepared_by,
            outcome=ConsentEvent.Capacity.HAS_CAPACITY,
            note=prepared.capacity_note,
        ),
        minor=MinorConsent(basis=ConsentEvent.MinorBasis.COMPETENT) if client.is_minor else None,
        request=request,
    )
    prepared.status, prepared.closed_at, prepared.signed_event = (
        PreparedConsent.Status.SIGNED,
        timezone.now(),
        event,
    )
    prepared.save(update_fields=["status", "closed_at", "signed_event"])
    return event


@transaction.atomic
def cancel_prepared_consent(
    prepared: PreparedConsent, *, by: User, request: HttpRequest | None = None
) -> PreparedConsent:
    prepared = (
        PreparedConsent.objects.select_for_update().select_related("client").get(pk=prepared.pk)
    )
    if not can(by, prepared.client, Purpose.NOTES_WRITE):
        raise ConsentError("Only the client's counsellor cancels it.")
    if not prepared.is_waiting:
        raise ConsentError("This consent is no longer waiting for a signature.")
    prepared.status, prepared.closed_at = PreparedConsent.Status.CANCELLED, timezone.now()
    prepared.save(update_fields=["status", "closed_at"])
    record(
        "consent.prepared_cancelled",
        by=by,
        target=prepared,
        client_ref=prepared.client.reference,
        request=request,
    )
    return prepared


@transaction.atomic
def withdraw_own_consent(
    consent: ConsentEvent, *, by: User, request: HttpRequest | None = None
) -> ConsentEvent:
    """The client withdraws one of their own consents in the portal; it takes effect at once."""
    if not is_own_case(by, consent.client):
        raise ConsentError("Only the client withdraws their own consent.")
    return withdraw(consent, by=by, evidence=ConsentEvent.Evidence.E_SIGNATURE, request=request)


def waiting_for_signature(client: Client) -> list[PreparedConsent]:
    """Prepared consents the client can still sign (an end date already past cannot be)."""
    today = timezone.localdate()
    return list(
        PreparedConsent.objects.filter(client=client, status=PreparedConsent.Status.WAITING)
        .exclude(valid_until__lt=today)
        .order_by("prepared_at")
    )
