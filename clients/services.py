"""Verbs that change clients: atomic, audited, with a keyword-only ``by``.

Audit events carry references and ids, never names: the identity is the thing being protected.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.access import Purpose, can
from clients.models import (
    INVITATION_DAYS,
    AccessGrant,
    Client,
    ClientAccount,
    ClientIdentity,
    DestructionBatch,
    DestructionRecord,
    ErasureRequest,
    JointCase,
    LegalHold,
    PortalInvitation,
    ProfessionalExecutor,
    age_on,
    invitation_token_hash,
)
from practice.accounts.models import Role, User
from practice.accounts.services import retire_sign_in
from practice.audit.services import record

BREAK_GLASS_MINUTES = 60

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


class ClientError(Exception):
    """A change to a client that the rules refuse; the message is safe to show."""


@transaction.atomic
def register(
    *,
    by: User,
    identity: Mapping[str, Any],
    counsellor: User | None = None,
    is_minor: bool = False,
    is_joint_work: bool = False,
    opened_on: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Client:
    """Register a client: a new case and, apart from it, their encrypted identity.

    A counsellor who registers a client is allocated to them unless a manager chooses.
    """
    if counsellor is None and by.has_role(Role.COUNSELLOR):
        counsellor = by
    if counsellor is not None and not counsellor.has_role(Role.COUNSELLOR):
        raise ClientError("Clients can only be allocated to counsellors.")
    client = Client.objects.create(
        counsellor=counsellor,
        status=Client.Status.ACTIVE if counsellor else Client.Status.REFERRED,
        is_minor=is_minor,
        is_joint_work=is_joint_work,
        opened_on=opened_on or timezone.localdate(),
    )
    person = ClientIdentity(client=client, **_only_identity(identity))
    person.save()
    record(
        "client.registered",
        by=by,
        target=client,
        client_ref=client.reference,
        request=request,
        data={"counsellor_id": counsellor.pk if counsellor else None},
    )
    return client


def _only_identity(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(IDENTITY_FIELDS)
    if unknown:
        raise ClientError(f"Unknown identity fields: {', '.join(sorted(unknown))}.")
    return dict(values)


@transaction.atomic
def update_identity(
    identity: ClientIdentity,
    *,
    by: User,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> list[str]:
    """Change identity fields; returns the names of the fields that changed (which, and not
    what they became, is what the audit trail records)."""
    changed = [
        name for name, value in _only_identity(changes).items() if getattr(identity, name) != value
    ]
    if not changed:
        return []
    for name in changed:
        setattr(identity, name, changes[name])
    identity._change_reason = "identity updated"  # type: ignore[attr-defined]
    identity.save()
    client = identity.client
    born = identity.date_of_birth
    if born and not client.is_minor and age_on(born, client.opened_on) < 18:
        # Seen when under 18: the minors' rules apply (consent basis, keeping records until
        # the 25th birthday). Only ever this way: a case is never made an adult's by an edit.
        client.is_minor = True
        client._change_reason = "date of birth recorded"  # type: ignore[attr-defined]
        client.save(update_fields=["is_minor", "updated_at"])
    record(
        "identity.updated",
        by=by,
        target=identity,
        client_ref=identity.client.reference,
        request=request,
        data={"fields": ",".join(changed)},
    )
    return changed


@transaction.atomic
def allocate(client: Client, *, to: User, by: User, request: HttpRequest | None = None) -> Client:
    """Allocate (or re-allocate) a client to a counsellor. Managers only."""
    if not by.has_role(Role.MANAGER):
        raise ClientError("Only a service manager allocates clients.")
    if not to.has_role(Role.COUNSELLOR) or not to.is_active:
        raise ClientError("Clients can only be allocated to an active counsellor.")
    client = Client.objects.select_for_update().get(pk=client.pk)
    previous = client.counsellor_id
    if previous == to.pk:
        return client
    client.counsellor = to
    fields = ["counsellor", "updated_at"]
    if client.status == Client.Status.REFERRED:
        client.status = Client.Status.ACTIVE
        fields.append("status")
    client._change_reason = "allocated"  # type: ignore[attr-defined]
    client.save(update_fields=fields)
    record(
        "client.allocated",
        by=by,
        target=client,
        client_ref=client.reference,
        request=request,
        data={"from_counsellor_id": previous, "to_counsellor_id": to.pk},
    )
    return client


@transaction.atomic
def end_counselling(
    client: Client, *, by: User, ended_on: datetime.date, request: HttpRequest | None = None
) -> Client:
    """Record that counselling has ended; the retention clock starts from this date."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.status == Client.Status.ENDED:
        raise ClientError("Counselling with this client has already ended.")
    if ended_on < client.opened_on:
        raise ClientError("Counselling cannot end before it started.")
    if ended_on > timezone.localdate():
        raise ClientError("The end date cannot be in the future.")
    client.status, client.ended_on = Client.Status.ENDED, ended_on
    client._change_reason = "counselling ended"  # type: ignore[attr-defined]
    client.save(update_fields=["status", "ended_on", "updated_at"])
    record("client.ended", by=by, target=client, client_ref=client.reference, request=request)
    return client


@transaction.atomic
def break_glass(
    client: Client, *, by: User, reason: str, request: HttpRequest | None = None
) -> AccessGrant:
    """Open a client outside one's caseload for 60 minutes, read-only, with a reason.

    Audited and shown to service managers until one of them reviews it.
    """
    if not reason.strip():
        raise ClientError("Give the reason you need to see this client's records.")
    if client.counsellor_id == by.pk:
        raise ClientError("This client is already on your caseload.")
    now = timezone.now()
    grant = AccessGrant.objects.create(
        kind=AccessGrant.Kind.BREAK_GLASS,
        user=by,
        client=client,
        reason=reason.strip(),
        starts_at=now,
        expires_at=now + datetime.timedelta(minutes=BREAK_GLASS_MINUTES),
    )
    record(
        "access.break_glass",
        by=by,
        target=grant,
        client_ref=client.reference,
        request=request,
        data={"minutes": BREAK_GLASS_MINUTES},
    )
    return grant


@transaction.atomic
def review_break_glass(
    grant: AccessGrant, *, by: User, request: HttpRequest | None = None
) -> AccessGrant:
    if not by.has_role(Role.MANAGER):
        raise ClientError("Only a service manager reviews break-glass access.")
    if grant.user_id == by.pk:
        raise ClientError("Someone else must review your own break-glass access.")
    grant.reviewed_at, grant.reviewed_by = timezone.now(), by
    grant.save(update_fields=["reviewed_at", "reviewed_by"])
    record(
        "access.break_glass.reviewed",
        by=by,
        target=grant,
        client_ref=grant.client.reference,
        request=request,
    )
    return grant


@transaction.atomic
def name_executor(
    *, counsellor: User, executor: User, by: User, request: HttpRequest | None = None
) -> ProfessionalExecutor:
    """A counsellor names a professional executor (in their professional will)."""
    if by.pk != counsellor.pk:
        raise ClientError("Counsellors name their own executors.")
    if executor.pk == counsellor.pk:
        raise ClientError("You cannot be your own executor.")
    if not executor.has_role(Role.COUNSELLOR) or not executor.is_active:
        raise ClientError("An executor must be an active counsellor of the practice.")
    appointment, created = ProfessionalExecutor.objects.get_or_create(
        counsellor=counsellor, executor=executor
    )
    if created:
        record(
            "executor.named",
            by=by,
            target=appointment,
            request=request,
            data={"executor_id": executor.pk},
        )
    return appointment


@transaction.atomic
def activate_executor(
    appointment: ProfessionalExecutor,
    *,
    by: User,
    reason_code: str,
    request: HttpRequest | None = None,
) -> ProfessionalExecutor:
    """A service manager activates an executor: from now on they can read the counsellor's
    caseload (identity and notes), every read audited."""
    if not by.has_role(Role.MANAGER):
        raise ClientError("Only a service manager activates a professional executor.")
    if by.pk in (appointment.counsellor_id, appointment.executor_id):
        raise ClientError("Someone other than the counsellor and the executor must activate this.")
    if reason_code not in {"death", "incapacity", "other"}:
        raise ClientError("Choose why the executor is being activated.")
    appointment = ProfessionalExecutor.objects.select_for_update().get(pk=appointment.pk)
    if appointment.is_active:
        raise ClientError("This executor is already active.")
    appointment.activated_at, appointment.activated_by = timezone.now(), by
    appointment.activation_reason_code = reason_code
    appointment.save(update_fields=["activated_at", "activated_by", "activation_reason_code"])
    record(
        "executor.activated",
        by=by,
        target=appointment,
        request=request,
        data={"reason": reason_code, "counsellor_id": appointment.counsellor_id},
    )
    return appointment


@transaction.atomic
def create_joint_case(
    *,
    by: User,
    kind: str,
    members: Iterable[Client],
    request: HttpRequest | None = None,
) -> JointCase:
    """Link two or more of the counsellor's clients for couple or group work."""
    members = list(members)
    if len(members) < 2:
        raise ClientError("Couple or group work needs at least two clients.")
    if kind == JointCase.Kind.COUPLE and len(members) != 2:
        raise ClientError("A couple is two clients.")
    if any(member.counsellor_id != by.pk for member in members):
        raise ClientError("Every member must be on your caseload.")
    case = JointCase.objects.create(kind=kind, counsellor=by)
    case.members.set(members)
    for member in members:
        if not member.is_joint_work:
            member.is_joint_work = True
            member.save(update_fields=["is_joint_work", "updated_at"])
    record(
        "joint_case.created",
        by=by,
        target=case,
        request=request,
        data={"members": ",".join(m.reference for m in members)},
    )
    return case


@transaction.atomic
def place_legal_hold(
    client: Client,
    *,
    by: User,
    reason: str,
    source: str = LegalHold.Source.MANAGER,
    source_id: str = "",
    request: HttpRequest | None = None,
) -> LegalHold:
    """Stop every destruction of this client's records until a manager lifts the hold."""
    if source == LegalHold.Source.MANAGER and not by.has_role(Role.MANAGER):
        raise ClientError("Only a service manager places a legal hold by hand.")
    if not reason.strip():
        raise ClientError("Give the reason for the legal hold.")
    from clients import retention

    # The lock every destruction step takes before it looks for holds: a hold placed now is
    # seen by the next step, or waits for the current one to finish.
    retention.lock_for_destruction([client.pk])
    shredded = DestructionRecord.objects.filter(
        subject_id=client.pk, kind=DestructionRecord.Kind.CASE, keys_shredded__gt=0
    )
    if shredded.exists():
        raise ClientError(
            "This case's records have already been destroyed (their keys are gone), so there "
            "is nothing left to hold."
        )
    hold = LegalHold.objects.create(
        client=client, source=source, source_id=source_id, reason=reason.strip(), placed_by=by
    )
    record(
        "legal_hold.placed",
        by=by,
        target=hold,
        client_ref=client.reference,
        request=request,
        data={"source": source},
    )
    return hold


@transaction.atomic
def lift_legal_hold(
    hold: LegalHold, *, by: User, reason: str, request: HttpRequest | None = None
) -> LegalHold:
    if not by.has_role(Role.MANAGER):
        raise ClientError("Only a service manager lifts a legal hold.")
    if not reason.strip():
        raise ClientError("Give the reason for lifting the legal hold.")
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if not hold.is_active:
        raise ClientError("This legal hold has already been lifted.")
    hold.lifted_at, hold.lifted_by, hold.lift_reason = timezone.now(), by, reason.strip()
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    record(
        "legal_hold.lifted",
        by=by,
        target=hold,
        client_ref=hold.client.reference,
        request=request,
    )
    return hold


def has_legal_hold(client: Client) -> bool:
    return LegalHold.objects.filter(client=client, lifted_at__isnull=True).exists()


# -- client accounts -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: PortalInvitation
    link: str  # shown once to the member of staff, and sent to the client; never stored


def may_invite(user: User, client: Client) -> bool:
    return can(user, client, Purpose.NOTES_WRITE) or (
        user.has_role(Role.MANAGER) and can(user, client, Purpose.ALLOCATE)
    )


@transaction.atomic
def invite_to_portal(
    client: Client,
    *,
    by: User,
    build_link: Callable[[str], str],
    request: HttpRequest | None = None,
) -> IssuedInvitation:
    """A single-use link, valid for seven days, that lets the client create their account.

    Any earlier invitation still open is withdrawn, so only the newest link works. The
    e-mail says only that an invitation is waiting: nothing about counselling or the client.
    """
    if not may_invite(by, client):
        raise ClientError("Only the client's counsellor or a service manager invites a client.")
    client = Client.objects.select_for_update().get(pk=client.pk)
    if ClientAccount.objects.filter(client=client, user__is_active=True).exists():
        raise ClientError("This client already has a portal account.")
    now = timezone.now()
    PortalInvitation.objects.filter(
        client=client, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now, revoked_by=by)
    token = secrets.token_urlsafe(32)
    identity = ClientIdentity.objects.filter(client=client).first()
    address = identity.email if identity is not None else ""
    invitation = PortalInvitation.objects.create(
        client=client,
        token_hash=invitation_token_hash(token),
        created_by=by,
        created_at=now,
        expires_at=now + datetime.timedelta(days=INVITATION_DAYS),
        emailed=bool(address),
    )
    link = build_link(token)
    if address:
        expires = timezone.localtime(invitation.expires_at)
        transaction.on_commit(
            lambda: send_mail(
                "Your invitation to the client portal",
                "An invitation to set up your client portal account is waiting for you.\n\n"
                f"Open this link to accept it: {link}\n\n"
                f"The link works once and expires on {expires:%d %B %Y at %H:%M}. "
                "If you were not expecting this e-mail, you can ignore it.",
                None,
                [address],
                fail_silently=True,
            )
        )
    record(
        "portal.invitation.created",
        by=by,
        target=invitation,
        client_ref=client.reference,
        request=request,
        data={"emailed": bool(address)},
    )
    return IssuedInvitation(invitation=invitation, link=link)


@transaction.atomic
def withdraw_invitation(
    invitation: PortalInvitation, *, by: User, request: HttpRequest | None = None
) -> PortalInvitation:
    if not may_invite(by, invitation.client):
        raise ClientError("Only the client's counsellor or a service manager withdraws it.")
    invitation = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ClientError("This invitation is no longer open.")
    invitation.revoked_at, invitation.revoked_by = timezone.now(), by
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    record(
        "portal.invitation.withdrawn",
        by=by,
        target=invitation,
        client_ref=invitation.client.reference,
        request=request,
    )
    return invitation


class InvitationInvalid(ClientError):
    """The link is unknown, used, withdrawn or expired. One message for all four, so a
    guessed link learns nothing."""

    def __init__(self) -> None:
        super().__init__(
            "This invitation link cannot be used. It may have expired or already been used: "
            "ask your counsellor for a new one."
        )


@transaction.atomic
def accept_invitation(
    token: str,
    *,
    username: str,
    password: str,
    request: HttpRequest | None = None,
) -> User:
    """Create the client's portal account from an open invitation (once only)."""
    invitation = (
        PortalInvitation.objects.select_for_update()
        .select_related("client")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_open():
        raise InvitationInvalid
    client = invitation.client
    previous = ClientAccount.objects.select_related("user").filter(client=client).first()
    if previous is not None and previous.user.is_active:
        raise InvitationInvalid
    username = username.strip()
    if not username or User.objects.filter(username__iexact=username).exists():
        raise ClientError("That username is taken or not allowed: choose another.")
    identity = ClientIdentity.objects.filter(client=client).first()
    if identity is not None and _username_identifies(username, identity):
        raise ClientError(
            "Choose a username that is not your name or e-mail address: usernames are not "
            "kept secret the way your records are."
        )
    user = User(username=username, is_active=True)
    user.set_roles([Role.CLIENT])
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ClientError(" ".join(error.messages)) from None
    user.set_password(password)
    user.save()
    if previous is not None:
        # Access was closed and the client is invited back: a fresh sign-in replaces the
        # closed one, which keeps nothing to sign in with (the audit trail still names it).
        former = previous.user
        previous.user = user
        previous.save(update_fields=["user"])
        retire_sign_in(former)
    else:
        ClientAccount.objects.create(user=user, client=client)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record(
        "portal.invitation.accepted",
        by=user,
        target=invitation,
        client_ref=client.reference,
        request=request,
    )
    return user


def _username_identifies(username: str, identity: ClientIdentity) -> bool:
    lowered = username.lower()
    email = identity.email.lower()
    if email and (lowered == email or lowered == email.split("@")[0]):
        return True
    names = [identity.given_name, identity.family_name, identity.preferred_name]
    return any(len(name) >= 3 and name.lower() in lowered for name in names if name)


@transaction.atomic
def close_portal_account(client: Client, *, by: User, request: HttpRequest | None = None) -> None:
    """Stop the client signing in (their records stay as they are)."""
    if not may_invite(by, client):
        raise ClientError("Only the client's counsellor or a service manager closes access.")
    account = ClientAccount.objects.select_related("user").filter(client=client).first()
    if account is None or not account.user.is_active:
        raise ClientError("This client has no open portal account.")
    account.user.is_active = False
    account.user.save(update_fields=["is_active"])
    record(
        "portal.account.closed",
        by=by,
        target=account.user,
        client_ref=client.reference,
        request=request,
    )


# -- retention: destruction batches and erasure requests ----------------------------------------

MAX_MANAGER_REASON = 500


def _manager_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ClientError(f"Give the reason for {what}.")
    if len(reason) > MAX_MANAGER_REASON:
        raise ClientError(f"Keep the reason to {MAX_MANAGER_REASON} characters.")
    return reason


@transaction.atomic
def approve_destruction_batch(
    clients: Iterable[Client],
    *,
    by: User,
    reason: str,
    today: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> DestructionBatch:
    """A service manager approves the destruction of closed cases whose retention period has
    passed. Each case gets its tombstone-to-be (approved); the next retention run destroys
    them. Refused, changing nothing, if any case is not due, already approved, or held."""
    from clients import retention

    if not by.has_role(Role.MANAGER):
        raise ClientError("Only a service manager approves destruction.")
    reason = _manager_reason(reason, "the destruction")
    chosen = {client.pk for client in clients}
    if not chosen:
        raise ClientError("Choose at least one case to destroy.")
    today = today or timezone.localdate()
    due = {case.client.pk: case for case in retention.cases_due_for_approval(today)}
    locked = list(Client.objects.select_for_update().filter(pk__in=chosen).order_by("reference"))
    if len(locked) != len(chosen):
        raise ClientError("A chosen case no longer exists.")
    not_due = sorted(c.reference for c in locked if c.pk not in due)
    if not_due:
        raise ClientError(
            "These cases are not due for destruction (or are already approved): "
            + ", ".join(not_due)
            + "."
        )
    held = sorted(c.reference for c in locked if retention.holds_blocking(c))
    if held:
        raise ClientError(
            "A legal hold stands, so nothing of these cases may be destroyed: "
            + ", ".join(held)
            + "."
        )
    batch = DestructionBatch.objects.create(reason=reason, approved_by=by)
    for client in locked:
        case = due[client.pk]
        DestructionRecord.objects.create(
            kind=DestructionRecord.Kind.CASE,
            rule=case.rule,
            status=DestructionRecord.Status.APPROVED,
            subject_reference=client.reference,
            subject_id=client.pk,
            opened_on=client.opened_on,
            ended_on=client.ended_on,
            due_on=case.due_on,
            batch=batch,
            approved_by=by,
            approved_at=batch.approved_at,
        )
        record(
            "retention.destruction.approved",
            by=by,
            target=client,
            client_ref=client.reference,
            request=request,
            data={"batch": batch.reference, "rule": case.rule},
        )
    record(
        "retention.batch.approved",
        by=by,
        target=batch,
        request=request,
        data={"cases": len(locked)},
    )
    return batch


def may_record_erasure(user: User, client: Client) -> bool:
    """The client's counsellor, or a service manager."""
    return can(user, client, Purpose.NOTES_WRITE) or (
        user.has_role(Role.MANAGER) and can(user, client, Purpose.ALLOCATE)
    )


@transaction.atomic
def record_erasure_request(
    client: Client,
    *,
    by: User,
    received_on: datetime.date,
    channel: str,
    request: HttpRequest | None = None,
) -> ErasureRequest:
    """Record a client's request to have their records erased, for a manager to decide."""
    if not may_record_erasure(by, client):
        raise ClientError("Only the client's counsellor or a service manager records this.")
    if channel not in ErasureRequest.Channel.values:
        raise ClientError("Say how the request was made.")
    if received_on > timezone.localdate():
        raise ClientError("The date received cannot be in the future.")
    client = Client.objects.select_for_update().get(pk=client.pk)
    if ErasureRequest.objects.filter(client=client, status=ErasureRequest.Status.OPEN).exists():
        raise ClientError("An erasure request from this client is already waiting for a decision.")
    erasure = ErasureRequest.objects.create(
        client=client,
        client_reference=client.reference,
        received_on=received_on,
        channel=channel,
        recorded_by=by,
    )
    record(
        "erasure.recorded",
        by=by,
        target=erasure,
        client_ref=client.reference,
        request=request,
        data={"channel": channel},
    )
    return erasure


@transaction.atomic
def decide_erasure(
    erasure: ErasureRequest,
    *,
    by: User,
    approve: bool,
    reason: str,
    exemption: str = "",
    request: HttpRequest | None = None,
) -> ErasureRequest:
    """A service manager approves or refuses an erasure request, with a reason.

    A refusal names the exemption that applies (UK GDPR Art. 17(3)); within the retention
    period that is ordinarily the retention policy. An approval is carried out by the next
    retention run, through the same destruction path as retention: counselling must have
    ended, and it is refused while a legal hold stands.
    """
    from clients import retention

    if not by.has_role(Role.MANAGER):
        raise ClientError("Only a service manager decides an erasure request.")
    erasure = ErasureRequest.objects.select_for_update().get(pk=erasure.pk)
    if not erasure.is_open:
        raise ClientError("This erasure request has already been decided.")
    reason = _manager_reason(reason, "the decision")
    client = erasure.client
    if client is None:
        raise ClientError("This client's records no longer exist.")
    client = Client.objects.select_for_update().get(pk=client.pk)
    now = timezone.now()
    if approve:
        if exemption:
            raise ClientError("An exemption is named only when refusing.")
        if retention.holds_blocking(client):
            raise ClientError(
                "A legal hold stands on this client's records, so they cannot be erased while "
                "it stands. Refuse, naming the legal hold, or decide once it is lifted."
            )
        if client.status != Client.Status.ENDED:
            raise ClientError("Record that counselling has ended before approving erasure.")
        if DestructionRecord.objects.filter(
            kind=DestructionRecord.Kind.CASE, subject_id=client.pk
        ).exists():
            raise ClientError("This case's destruction is already approved.")
        erasure.status = ErasureRequest.Status.APPROVED
    else:
        if exemption not in ErasureRequest.Exemption.values:
            raise ClientError("Name the exemption that applies when refusing.")
        erasure.status = ErasureRequest.Status.REFUSED
        erasure.exemption = exemption
    erasure.decided_by, erasure.decided_at, erasure.decision_reason = by, now, reason
    erasure.save()
    if approve:
        DestructionRecord.objects.create(
            kind=DestructionRecord.Kind.CASE,
            rule=DestructionRecord.Rule.ERASURE,
            status=DestructionRecord.Status.APPROVED,
            subject_reference=client.reference,
            subject_id=client.pk,
            opened_on=client.opened_on,
            ended_on=client.ended_on,
            erasure=erasure,
            approved_by=by,
            approved_at=now,
        )
    record(
        "erasure.approved" if approve else "erasure.refused",
        by=by,
        target=erasure,
        client_ref=client.reference,
        request=request,
        data={"exemption": erasure.exemption},
    )
    return erasure
