"""Who may see what of a client. Views obtain clients and identities only through here.

The rules (DESIGN.md §1):

- the allocated counsellor: everything about their own clients;
- a supervisor: their supervisees' cases, by reference only, never identity or notes;
- a service manager: identity (to allocate), never notes;
- an administrator: neither;
- break-glass: identity and notes, read-only, for 60 minutes, with a reason, audited;
- a professional executor, once a manager activated them: the counsellor's caseload,
  identity and notes, read-only, audited.

Anything out of scope raises Http404, exactly as a client that does not exist.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from clients.models import (
    AccessGrant,
    Client,
    ClientAccount,
    ClientIdentity,
    JointCase,
    PortalInvitation,
    ProfessionalExecutor,
)
from practice.accounts.models import Role, User, has_accepted_current_policy
from practice.audit.services import record


class Purpose(enum.Enum):
    OVERVIEW = "overview"  # the reference, status and dates
    IDENTITY = "identity"  # name, contact details, date of birth
    NOTES_READ = "notes_read"  # session notes and other clinical records
    NOTES_WRITE = "notes_write"  # writing notes, consent, supervision points
    ALLOCATE = "allocate"  # allocation and re-allocation
    SUPERVISE = "supervise"  # the supervisor's reference-only view


_COUNSELLOR_PURPOSES = (
    Purpose.OVERVIEW,
    Purpose.IDENTITY,
    Purpose.NOTES_READ,
    Purpose.NOTES_WRITE,
)


def break_glass_client_ids(user: User) -> QuerySet[AccessGrant, Any]:
    now = timezone.now()
    return AccessGrant.objects.filter(
        user=user,
        kind=AccessGrant.Kind.BREAK_GLASS,
        starts_at__lte=now,
        expires_at__gt=now,
    ).values("client_id")


def executor_for_counsellor_ids(user: User) -> QuerySet[ProfessionalExecutor, Any]:
    return ProfessionalExecutor.objects.filter(executor=user, activated_at__isnull=False).values(
        "counsellor_id"
    )


def _scope(user: User, purpose: Purpose) -> Q | None:
    """The clients ``user`` may reach for ``purpose``, as a filter (None: none at all)."""
    if not user.is_authenticated or not user.is_active or user.is_client_account:
        return None
    if not has_accepted_current_policy(user):
        return None  # no client data before the confidentiality policy is accepted
    parts: list[Q] = []
    if user.has_role(Role.COUNSELLOR) and purpose in _COUNSELLOR_PURPOSES:
        parts.append(Q(counsellor=user))
        if purpose is not Purpose.NOTES_WRITE:
            # Break-glass and executor access are for reading only.
            parts.append(Q(id__in=break_glass_client_ids(user)))
            parts.append(Q(counsellor__in=executor_for_counsellor_ids(user)))
    if user.has_role(Role.MANAGER) and purpose in (
        Purpose.OVERVIEW,
        Purpose.IDENTITY,
        Purpose.ALLOCATE,
    ):
        parts.append(Q())  # every client
    if user.has_role(Role.SUPERVISOR) and purpose in (Purpose.OVERVIEW, Purpose.SUPERVISE):
        parts.append(Q(counsellor__supervisor=user))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def clients_visible_to(user: User, purpose: Purpose = Purpose.OVERVIEW) -> QuerySet[Client]:
    scope = _scope(user, purpose)
    if scope is None:
        return Client.objects.none()
    return Client.objects.filter(scope).distinct()


def can(user: User, client: Client, purpose: Purpose) -> bool:
    return clients_visible_to(user, purpose).filter(pk=client.pk).exists()


def client_for(user: User, reference: str, purpose: Purpose = Purpose.OVERVIEW) -> Client:
    """The client with this reference, if ``user`` may reach it for ``purpose``; else 404."""
    client = (
        clients_visible_to(user, purpose)
        .select_related("counsellor")
        .filter(reference=reference)
        .first()
    )
    if client is None:
        raise Http404
    return client


def caseload(user: User) -> QuerySet[Client]:
    """The counsellor's own clients (the ones they are allocated)."""
    if not user.has_role(Role.COUNSELLOR):
        return Client.objects.none()
    return Client.objects.filter(counsellor=user)


def identity_for(
    user: User, client: Client, *, request: HttpRequest | None = None
) -> ClientIdentity | None:
    """The client's identity for display, audited; 404 when ``user`` may not see it."""
    if not can(user, client, Purpose.IDENTITY):
        raise Http404
    identity = ClientIdentity.objects.filter(client=client).first()
    if identity is not None:
        record(
            "identity.viewed",
            by=user,
            target=identity,
            client_ref=client.reference,
            request=request,
            data={"via": access_route(user, client)},
        )
    return identity


def identities_for_caseload(
    user: User, clients: list[Client], *, request: HttpRequest | None = None
) -> dict[Any, ClientIdentity]:
    """Names for a list the counsellor is allowed to see, each view audited."""
    allowed = set(
        clients_visible_to(user, Purpose.IDENTITY)
        .filter(pk__in=[c.pk for c in clients])
        .values_list("pk", flat=True)
    )
    identities = {
        identity.client_id: identity
        for identity in ClientIdentity.objects.filter(client_id__in=allowed)
    }
    by_id = {c.pk: c for c in clients}
    for client_id, identity in identities.items():
        record(
            "identity.viewed",
            by=user,
            target=identity,
            client_ref=by_id[client_id].reference,
            request=request,
            data={"via": "list"},
        )
    return identities


def clients_matching(
    user: User,
    *,
    family_name: str = "",
    date_of_birth: Any = None,
    email: str = "",
    limit: int = 50,
) -> list[Client]:
    """Exact-match search through the keyed blind indexes, only among the clients ``user``
    may identify."""
    from practice.crypto.blind_index import blind_index

    identities = ClientIdentity.objects.filter(
        client__in=clients_visible_to(user, Purpose.IDENTITY)
    ).select_related("client")
    if family_name:
        identities = identities.filter(
            family_name_index=blind_index("client.family_name", family_name)
        )
    if date_of_birth:
        identities = identities.filter(
            date_of_birth_index=blind_index("client.date_of_birth", date_of_birth)
        )
    if email:
        identities = identities.filter(email_index=blind_index("client.email", email))
    return [identity.client for identity in identities[:limit]]


def access_route(user: User, client: Client) -> str:
    """How ``user`` reaches ``client``: recorded with every read, flagged for managers when
    it is anything other than the allocation."""
    if client.counsellor_id == user.pk:
        return "allocated"
    if break_glass_client_ids(user).filter(client_id=client.pk).exists():
        return "break_glass"
    if (
        client.counsellor_id
        and ProfessionalExecutor.objects.filter(
            executor=user, counsellor_id=client.counsellor_id, activated_at__isnull=False
        ).exists()
    ):
        return "executor"
    if user.has_role(Role.MANAGER):
        return "manager"
    if client.counsellor is not None and client.counsellor.supervisor_id == user.pk:
        return "supervisor"
    return "other"


def may_break_glass(user: User, client: Client) -> bool:
    """Counsellors may ask for break-glass access to a client who is not theirs."""
    return user.has_role(Role.COUNSELLOR) and client.counsellor_id != user.pk


def client_for_break_glass(user: User, reference: str) -> Client:
    """Break-glass needs to find the client by reference outside one's scope; it reveals only
    that the reference exists, and only to counsellors."""
    if not user.has_role(Role.COUNSELLOR):
        raise Http404
    client = Client.objects.filter(reference=reference).first()
    if client is None or not may_break_glass(user, client):
        raise Http404
    return client


def joint_cases_visible_to(user: User) -> QuerySet[JointCase]:
    """A couple or group's joint case: its own counsellor only (the same gate as clients)."""
    if _scope(user, Purpose.NOTES_WRITE) is None or not user.has_role(Role.COUNSELLOR):
        return JointCase.objects.none()
    return JointCase.objects.filter(counsellor=user)


def joint_case_for(user: User, reference: str) -> JointCase:
    case = joint_cases_visible_to(user).filter(reference=reference).first()
    if case is None:
        raise Http404
    return case


def executorships_to_activate(user: User) -> QuerySet[ProfessionalExecutor]:
    if not user.has_role(Role.MANAGER):
        return ProfessionalExecutor.objects.none()
    return ProfessionalExecutor.objects.select_related("counsellor", "executor")


def break_glass_for_review(user: User) -> QuerySet[AccessGrant]:
    """Break-glass uses a manager has not yet reviewed."""
    if not user.has_role(Role.MANAGER):
        return AccessGrant.objects.none()
    return AccessGrant.objects.filter(
        kind=AccessGrant.Kind.BREAK_GLASS, reviewed_at__isnull=True
    ).select_related("user", "client")


# -- the client's own portal -----------------------------------------------------------------


def own_case(user: User) -> Client:
    """The case of a signed-in client account: their own, and nobody else's. Staff, and a
    client account with no case or a closed account, get 404."""
    if not user.is_authenticated or not user.is_active or not user.is_client_account:
        raise Http404
    account = ClientAccount.objects.select_related("client__counsellor").filter(user=user).first()
    if account is None:
        raise Http404
    return account.client


def is_own_case(user: User, client: Client) -> bool:
    """True when ``user`` is this client's own, open portal account."""
    account = getattr(client, "account", None)
    return account is not None and account.user_id == user.pk and user.is_active


def portal_account_for(user: User, client: Client) -> ClientAccount | None:
    """The client's portal account, for staff who may see the client's identity."""
    if not can(user, client, Purpose.IDENTITY):
        raise Http404
    return ClientAccount.objects.select_related("user").filter(client=client).first()


def invitations_for(user: User, client: Client) -> QuerySet[PortalInvitation]:
    if not can(user, client, Purpose.IDENTITY):
        return PortalInvitation.objects.none()
    return PortalInvitation.objects.filter(client=client).select_related("created_by")


def invitation_for(user: User, client: Client, invitation_id: Any) -> PortalInvitation:
    invitation = invitations_for(user, client).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def portal_email_address(user: User) -> str:
    """Where a client's sign-in codes go: the e-mail address in their own identity."""
    if not user.is_client_account:
        return ""
    identity = ClientIdentity.objects.filter(client__account__user=user).first()
    return identity.email if identity is not None else ""
