"""Who sees which subject access requests. The staff pages get requests only through here.

A request is handled by the client's counsellor (who also prepares and chooses the bundle,
because they may read the notes) and by service managers (who see every request, review the
bundle without reading note text, and release it): the same people as
``subject_access.may_manage``. Supervisors, administrators, other counsellors, client
accounts and anyone else see none. Out of scope is a 404, the same as a missing request.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from clients.access import Purpose, client_for, clients_visible_to
from clients.models import Client
from disclosures.models import SubjectAccessRequest
from disclosures.subject_access import open_requests
from practice.accounts.models import Role, User
from practice.audit.services import record


def access_requests_visible_to(user: User) -> QuerySet[SubjectAccessRequest]:
    """The requests ``user`` may handle: their own clients' (counsellor), or every one
    (service manager). Mirrors ``subject_access.may_manage``."""
    if not user.is_authenticated or not user.is_active or user.is_client_account:
        return SubjectAccessRequest.objects.none()
    scope = Q(client__in=clients_visible_to(user, Purpose.NOTES_WRITE))
    if user.has_role(Role.MANAGER):
        scope |= Q(client__in=clients_visible_to(user, Purpose.OVERVIEW))
    return SubjectAccessRequest.objects.filter(scope)


def access_request_for(
    user: User,
    sar_id: object,
    *,
    http_request: HttpRequest | None = None,
    view: str = "detail",
) -> SubjectAccessRequest:
    """One request, if ``user`` may handle it (else 404); each view is audited."""
    sar = (
        access_requests_visible_to(user)
        .select_related("client", "client__counsellor", "bundle", "recorded_by")
        .filter(pk=sar_id)
        .first()
    )
    if sar is None:
        raise Http404
    record(
        "subject_access.viewed",
        by=user,
        target=sar,
        client_ref=sar.client.reference,
        request=http_request,
        data={"view": view},
    )
    return sar


def open_requests_visible_to(user: User) -> list[SubjectAccessRequest]:
    """The open requests ``user`` handles, overdue first (``subject_access.open_requests``)."""
    visible = set(access_requests_visible_to(user).values_list("pk", flat=True))
    if not visible:
        return []
    return [sar for sar in open_requests() if sar.pk in visible]


def client_for_recording(user: User, reference: str) -> Client:
    """The client a request is recorded for: the counsellor's own client, or any client for a
    service manager; 404 otherwise."""
    if user.has_role(Role.MANAGER):
        return client_for(user, reference, Purpose.OVERVIEW)
    return client_for(user, reference, Purpose.NOTES_WRITE)
