"""Who sees which disclosure requests. Views get requests only through here.

- the counsellor who raised it, and the client's allocated counsellor;
- supervisors, for requests about their supervisees' clients (reference only, no identity);
- service managers, for every request (they approve; this is how a manager sees content);
- sealed requests (terrorism, money laundering): only managers and the people who worked on
  them. Every view of a request is audited; for sealed ones that is the point.

Out of scope is a 404, the same as a request that does not exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from clients.access import Purpose, clients_visible_to
from disclosures.categories import SEALED_CODES
from disclosures.models import DisclosureRequest
from practice.accounts.models import Role, User, has_accepted_current_policy
from practice.audit.services import record


def requests_visible_to(user: User) -> QuerySet[DisclosureRequest]:
    if not user.is_authenticated or not user.is_active or user.is_client_account:
        return DisclosureRequest.objects.none()
    if not has_accepted_current_policy(user):
        return DisclosureRequest.objects.none()
    if user.has_role(Role.MANAGER):
        return DisclosureRequest.objects.all()
    worked_on = Q(raised_by=user) | Q(decisions__by=user)
    scope = worked_on
    if user.has_role(Role.COUNSELLOR):
        scope |= Q(client__in=clients_visible_to(user, Purpose.NOTES_READ))
    if user.has_role(Role.SUPERVISOR):
        scope |= Q(client__counsellor__supervisor=user) | Q(
            client__counsellor__supervisor__isnull=True
        )
    visible = DisclosureRequest.objects.filter(scope)
    # Sealed requests: only the people who worked on them (and managers, above), and the
    # supervisor who is to sign one off, while it waits for them.
    may_see_sealed = worked_on
    if user.has_role(Role.SUPERVISOR):
        may_see_sealed |= Q(status="consent_cleared") & (
            Q(client__counsellor__supervisor=user) | Q(client__counsellor__supervisor__isnull=True)
        )
    sealed_ok = DisclosureRequest.objects.filter(may_see_sealed).values("pk")
    visible = visible.exclude(Q(category_code__in=SEALED_CODES) & ~Q(pk__in=sealed_ok))
    return visible.distinct()


def request_for(
    user: User, request_id: object, *, http_request: HttpRequest | None = None, view: str = "detail"
) -> DisclosureRequest:
    req = (
        requests_visible_to(user)
        .select_related("client", "client__counsellor", "raised_by")
        .filter(pk=request_id)
        .first()
    )
    if req is None:
        raise Http404
    record(
        "disclosure.viewed",
        by=user,
        target=req,
        client_ref=req.client.reference,
        request=http_request,
        data={"view": view, "sealed": req.is_sealed},
    )
    return req


def may_download_release(user: User, req: DisclosureRequest) -> bool:
    """The released PDF: the people who raised it or filled a gate, and service managers."""
    from disclosures.services import participants

    return user.has_role(Role.MANAGER) or user.pk in participants(req)


def may_download_documents(user: User, req: DisclosureRequest) -> bool:
    """Documents received with the request: the participants, the client's counsellor, and,
    while it is open, the supervisor who is to sign it off (they must read the order)."""
    from clients.access import can
    from disclosures.services import may_sign_off

    return (
        may_download_release(user, req)
        or can(user, req.client, Purpose.NOTES_WRITE)
        or (not req.is_final and may_sign_off(user, req))
    )
