"""What a signed-in client may see of their own case in the portal. Portal views get objects
only through here.

Every function starts from ``clients.access.own_case(user)``: the client's own case and
nobody else's (a partner in couple work is a separate client, with their own account). An
object that belongs to someone else is a 404, the same as one that does not exist.

Sealed disclosures (terrorism, money laundering) are never visible here, in any form: the
register goes through ``RegisterEntry.objects.visible_to_client()`` (which leaves out sealed
entries by flag and by category); released records are only subject access bundles.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from clients.access import own_case
from clients.models import Client, ClientAccount, PortalInvitation, invitation_token_hash
from consent.models import ConsentEvent, PreparedConsent
from consent.services import waiting_for_signature
from disclosures.models import (
    DisclosureRequest,
    RegisterEntry,
    ReleasedDocument,
    Status,
    SubjectAccessRequest,
)
from disclosures.subject_access import CATEGORY as SUBJECT_ACCESS
from practice.accounts.models import User

# A bundle released within this many days shows on the home page as new.
NEW_RECORDS_DAYS = 30
# Invitation secrets are 43 characters; anything much longer is not one.
MAX_TOKEN_LENGTH = 100


# -- released records ----------------------------------------------------------------------------


def bundles_for(client: Client) -> QuerySet[DisclosureRequest]:
    """The subject access bundles released to this client, newest first."""
    return DisclosureRequest.objects.filter(
        client=client, category_code=SUBJECT_ACCESS, status=Status.RELEASED
    ).order_by("-released_at")


def new_bundles_for(client: Client) -> QuerySet[DisclosureRequest]:
    """Bundles released recently enough to point out on the home page."""
    since = timezone.now() - datetime.timedelta(days=NEW_RECORDS_DAYS)
    return bundles_for(client).filter(released_at__gte=since)


def bundle_for(user: User, bundle_id: Any) -> DisclosureRequest:
    """One of the client's own released bundles; anything else is a 404."""
    bundle = bundles_for(own_case(user)).select_related("client").filter(pk=bundle_id).first()
    if bundle is None:
        raise Http404
    return bundle


def released_document(bundle: DisclosureRequest) -> ReleasedDocument:
    document = ReleasedDocument.objects.filter(request=bundle, client=bundle.client).first()
    if document is None:
        raise Http404
    return document


# -- consents ------------------------------------------------------------------------------------


def waiting_consents_for(client: Client) -> list[PreparedConsent]:
    """Consents prepared for this client that they can still sign (consent.services decides:
    waiting, and not past their end date)."""
    return waiting_for_signature(client)


def waiting_consent_for(user: User, prepared_id: Any) -> PreparedConsent:
    """A consent the counsellor prepared for this client, still waiting for their signature."""
    wanted = str(prepared_id)
    for prepared in waiting_consents_for(own_case(user)):
        if str(prepared.pk) == wanted:
            return prepared
    raise Http404


def current_consent_for(user: User, consent_id: Any) -> ConsentEvent:
    """One of the client's own consents that is in force now (so it can be withdrawn)."""
    consent = (
        ConsentEvent.objects.grants()
        .filter(client=own_case(user), pk=consent_id)
        .select_related("client", "withdrawal")
        .first()
    )
    if consent is None or not consent.is_current():
        raise Http404
    return consent


# -- who has seen my information -----------------------------------------------------------------


def register_for(client: Client) -> QuerySet[RegisterEntry]:
    """The client's register of disclosures, without sealed entries."""
    return RegisterEntry.objects.filter(client=client).visible_to_client().order_by("-released_at")


# -- requests for records ------------------------------------------------------------------------


def access_requests_for(client: Client) -> QuerySet[SubjectAccessRequest]:
    return (
        SubjectAccessRequest.objects.filter(client=client)
        .select_related("bundle")
        .prefetch_related("pauses")
    )


# -- invitations (public) ------------------------------------------------------------------------


def open_invitation(token: str) -> PortalInvitation | None:
    """The open invitation this secret belongs to, or None (unknown, used, withdrawn,
    expired, or the client already has an open account): callers say the same for all."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    invitation = (
        PortalInvitation.objects.select_related("client")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_open():
        return None
    # A client whose access was closed may be invited back; one with an open account may not.
    if ClientAccount.objects.filter(client_id=invitation.client_id, user__is_active=True).exists():
        return None
    return invitation
