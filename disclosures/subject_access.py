"""Subject access requests: the client's right to everything held about them.

Verbs (atomic, audited, keyword-only ``by``) and the bundle. The policies say every record,
process notes included, is available to the client on request, except information obtained
from third parties (R64-R66); UK law has no psychotherapy-notes carve-out. What is left out
is left out entry by entry, each with a recorded reason:

- third-party information, unless the third party consented or it is reasonable to disclose
  it (recorded as the reason to include it);
- items withheld under the serious-harm exemption, each with its basis and the date of the
  appropriate health professional's opinion, no more than six months old at release;
- sealed disclosures (terrorism, money laundering) and anything that would reveal one: the
  register section uses ``RegisterEntry.objects.visible_to_client()`` and nothing else about
  other disclosures is included.

The bundle is a DisclosureRequest of category ``subject_access``: the counsellor proposes
it, a service manager who did not prepare it reviews what is in and what is out and releases
it through ``services.release`` (the only path out).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.access import Purpose, can, is_own_case
from clients.models import Client
from disclosures import services
from disclosures.categories import Requester
from disclosures.deadlines import MAX_EXTENSION_MONTHS, add_months, due_date
from disclosures.models import (
    BundlePoint,
    DisclosureRequest,
    GateDecision,
    RegisterEntry,
    ReleaseItem,
    Status,
    SubjectAccessPause,
    SubjectAccessRequest,
    Withholding,
)
from notes.models import NoteEntry, SupervisionPoint
from practice.accounts.models import Role, User
from practice.audit.services import record

SERIOUS_HARM_OPINION_MONTHS = 6
CATEGORY = "subject_access"
OPEN_STATUSES = (SubjectAccessRequest.Status.OPEN, SubjectAccessRequest.Status.PAUSED)

# What the client is told about what was left out: the same words whatever was left out, so
# the page itself reveals nothing (not even whether anything was).
LEFT_OUT_STATEMENT = (
    "This copy includes everything we hold about you, with these exceptions, which the law "
    "allows or requires. Information about other people, or that other people gave us, is "
    "left out unless they agreed or it is reasonable to include it. Information that an "
    "appropriate health professional has said would be likely to cause serious harm to "
    "your or someone else's physical or mental health may be withheld. Information the law "
    "does not allow us to tell you about is left out. If you think something is missing, "
    "please ask us, or complain to the Information Commissioner's Office."
)

SUPPLEMENTARY_SECTIONS: tuple[tuple[str, str], ...] = (
    (
        "Why we hold your information",
        "We keep records of your counselling so that your counsellor can provide it safely "
        "and well: to remember what you have worked on, to take your work to clinical "
        "supervision (where you are known only by a case reference), to meet our legal "
        "duties, and to answer any complaint. The legal bases are your consent for sharing "
        "that is not required by law, our legitimate interests and the provision of health "
        "care for keeping records (UK GDPR Articles 6 and 9), and legal obligations where "
        "the law requires us to share.",
    ),
    (
        "Who we share it with",
        "Your counsellor's clinical supervisor, by case reference only. Anyone else only "
        "with your written consent, or where the law requires it (for example a court "
        "order, or to protect someone from serious harm). The section 'Who your information "
        "was shared with' lists each time we have shared it.",
    ),
    (
        "How long we keep it",
        "Process notes (your counsellor's own working notes) are destroyed after the next "
        "clinical supervision session. Factual notes and the other records are kept for "
        "seven years after counselling ends, or until your 25th birthday if you were under "
        "18 and that is later, and then securely destroyed. Records are kept longer only "
        "when the law requires it, for example while a court case or a complaint is open.",
    ),
    (
        "Your rights",
        "You can ask us to correct information that is wrong (rectification). You can ask "
        "us to delete your information (erasure); we may have to refuse while we must keep "
        "records, and if we refuse we will tell you why. You can ask us to restrict how we "
        "use it, object to how we use it, and withdraw any consent you have given at any "
        "time, in the portal or by telling us. Asking for a copy of your records is free.",
    ),
    (
        "Complaints",
        "If you are unhappy with how we have handled your information, please tell us first. "
        "You can also complain to the Information Commissioner's Office (ICO), Wycliffe "
        "House, Water Lane, Wilmslow, Cheshire SK9 5AF; telephone 0303 123 1113; "
        "www.ico.org.uk/make-a-complaint.",
    ),
    (
        "Where the information came from",
        "Most of it comes from you, in your sessions and the forms you completed. Some may "
        "come from the person or organisation that referred you, or from other people you "
        "asked us to speak to; each note says where its information came from.",
    ),
)


class AccessRequestError(services.DisclosureError):
    """A step the rules refuse; the message is safe to show."""


def _audit(
    action: str,
    sar: SubjectAccessRequest,
    *,
    by: User,
    request: HttpRequest | None,
    **data: Any,
) -> None:
    record(
        action,
        by=by,
        target=sar,
        client_ref=sar.client.reference,
        request=request,
        data=data,
    )


def _lock(sar: SubjectAccessRequest) -> SubjectAccessRequest:
    return (
        # Lock the request's own row only: PostgreSQL refuses FOR UPDATE on the nullable
        # side of the outer join to the bundle.
        SubjectAccessRequest.objects.select_for_update(of=("self",))
        .select_related("client", "bundle")
        .get(pk=sar.pk)
    )


def may_manage(user: User, client: Client) -> bool:
    """Recording, pausing, extending: the client's counsellor or a service manager."""
    return can(user, client, Purpose.NOTES_WRITE) or (
        user.has_role(Role.MANAGER) and can(user, client, Purpose.OVERVIEW)
    )


def _tell_client(client: Client, subject: str) -> None:
    """A content-free e-mail: the portal holds the details."""
    services.email_client(
        client,
        subject,
        "There is an update about your request for your records. Please sign in to your "
        "client portal, or speak to your counsellor, for details.",
    )


# -- making and tracking a request -------------------------------------------------------------


@transaction.atomic
def request_access(
    client: Client,
    *,
    by: User,
    channel: str,
    received_on: datetime.date | None = None,
    details: str = "",
    identity_verified: bool = False,
    identity_verified_how: str = "",
    request: HttpRequest | None = None,
) -> SubjectAccessRequest:
    """Record a subject access request: made by the client in the portal, or recorded by
    staff from an e-mail, a letter, a conversation.

    In the portal the client has signed in with a password and a second factor, which
    verifies their identity. A request recorded by staff without verified identity starts
    with the clock stopped, waiting for proof of identity.
    """
    today = timezone.localdate()
    by_client = is_own_case(by, client)
    if by_client:
        channel, received_on = SubjectAccessRequest.Channel.PORTAL, today
        identity_verified = True
        identity_verified_how = "Signed in to the client portal with a password and second factor."
    elif not may_manage(by, client):
        raise AccessRequestError(
            "Only the client, their counsellor or a service manager records a request."
        )
    elif channel == SubjectAccessRequest.Channel.PORTAL or channel not in (
        SubjectAccessRequest.Channel.values
    ):
        raise AccessRequestError("Say how the request was made.")
    if received_on is None:
        raise AccessRequestError("Give the date the request was received.")
    if received_on > today:
        raise AccessRequestError("The date received cannot be in the future.")
    if identity_verified and not identity_verified_how.strip():
        raise AccessRequestError("Say how the client's identity was verified.")
    if len(details) > 4000:
        raise AccessRequestError("Keep the details to 4,000 characters.")
    client = Client.objects.select_for_update().get(pk=client.pk)
    if SubjectAccessRequest.objects.filter(
        client=client,
        status__in=[SubjectAccessRequest.Status.OPEN, SubjectAccessRequest.Status.PAUSED],
    ).exists():
        raise AccessRequestError(
            "A request for these records is already in progress; it covers everything held."
        )
    sar = SubjectAccessRequest.objects.create(
        client=client,
        received_on=received_on,
        channel=channel,
        details=details.strip(),
        identity_verified=identity_verified,
        identity_verified_how=identity_verified_how.strip() if identity_verified else "",
        recorded_by=by,
    )
    if not identity_verified:
        SubjectAccessPause.objects.create(
            access_request=sar,
            reason=SubjectAccessPause.Reason.IDENTITY,
            started_on=received_on,
            paused_by=by,
        )
        sar.status = SubjectAccessRequest.Status.PAUSED
        sar.save(update_fields=["status"])
    _audit(
        "subject_access.requested",
        sar,
        by=by,
        request=request,
        channel=channel,
        identity_verified=identity_verified,
    )
    return sar


@transaction.atomic
def verify_identity(
    sar: SubjectAccessRequest, *, by: User, how: str, request: HttpRequest | None = None
) -> SubjectAccessRequest:
    """Identity confirmed: record how, and restart the clock if it was waiting for it."""
    sar = _lock(sar)
    if not may_manage(by, sar.client):
        raise AccessRequestError("Only the client's counsellor or a service manager does this.")
    if not sar.is_open:
        raise AccessRequestError("This request is closed.")
    if sar.identity_verified:
        raise AccessRequestError("The client's identity is already verified.")
    if not how.strip():
        raise AccessRequestError("Say how the client's identity was verified.")
    sar.identity_verified, sar.identity_verified_how = True, how.strip()
    sar.save(update_fields=["identity_verified", "identity_verified_how"])
    pause = sar.open_pause
    if pause is not None and pause.reason == SubjectAccessPause.Reason.IDENTITY:
        _end_pause(sar, pause, by=by)
    _audit("subject_access.identity_verified", sar, by=by, request=request)
    return sar


@transaction.atomic
def pause(
    sar: SubjectAccessRequest, *, by: User, reason: str, request: HttpRequest | None = None
) -> SubjectAccessRequest:
    """Stop the clock while the client is asked for identity or a clarification."""
    sar = _lock(sar)
    if not may_manage(by, sar.client):
        raise AccessRequestError("Only the client's counsellor or a service manager does this.")
    if sar.status != SubjectAccessRequest.Status.OPEN:
        raise AccessRequestError("Only a request in progress can be paused.")
    if reason not in SubjectAccessPause.Reason.values:
        raise AccessRequestError("Say what is being waited for.")
    if sar.bundle is not None and sar.bundle.status != Status.REFUSED:
        raise AccessRequestError("The bundle is already being prepared.")
    SubjectAccessPause.objects.create(
        access_request=sar, reason=reason, started_on=timezone.localdate(), paused_by=by
    )
    sar.status = SubjectAccessRequest.Status.PAUSED
    sar.save(update_fields=["status"])
    _audit("subject_access.paused", sar, by=by, request=request, reason=reason)
    _tell_client(sar.client, "An update about your request for your records")
    return sar


def _end_pause(sar: SubjectAccessRequest, pause: SubjectAccessPause, *, by: User) -> None:
    pause.ended_on, pause.resumed_by = timezone.localdate(), by
    pause.save(update_fields=["ended_on", "resumed_by"])
    sar.status = SubjectAccessRequest.Status.OPEN
    sar.save(update_fields=["status"])


@transaction.atomic
def resume(
    sar: SubjectAccessRequest, *, by: User, request: HttpRequest | None = None
) -> SubjectAccessRequest:
    """The client replied: the clock restarts today, and the deadline moves by the pause."""
    sar = _lock(sar)
    if not may_manage(by, sar.client):
        raise AccessRequestError("Only the client's counsellor or a service manager does this.")
    pause = sar.open_pause
    if pause is None:
        raise AccessRequestError("This request is not paused.")
    if pause.reason == SubjectAccessPause.Reason.IDENTITY and not sar.identity_verified:
        raise AccessRequestError("Record how the client's identity was verified to restart it.")
    _end_pause(sar, pause, by=by)
    _audit("subject_access.resumed", sar, by=by, request=request)
    return sar


@transaction.atomic
def extend(
    sar: SubjectAccessRequest,
    *,
    by: User,
    months: int,
    reason: str,
    request: HttpRequest | None = None,
) -> SubjectAccessRequest:
    """Extend by up to two further months in all (complex or numerous requests), with the
    reason recorded and the client told within the first month (ICO)."""
    sar = _lock(sar)
    if not may_manage(by, sar.client):
        raise AccessRequestError("Only the client's counsellor or a service manager does this.")
    if not sar.is_open:
        raise AccessRequestError("This request is closed.")
    if not reason.strip():
        raise AccessRequestError("Record why more time is needed; the client is told.")
    total = sar.extension_months + months
    if months < 1 or total > MAX_EXTENSION_MONTHS:
        raise AccessRequestError("A request can be extended by at most two months in all.")
    today = timezone.localdate()
    if not may_still_extend(sar, today):
        raise AccessRequestError(
            "An extension has to be made, and the client told, within the first month."
        )
    sar.extension_months = total
    sar.extension_reason = reason.strip()
    sar.extended_at = timezone.now()
    sar.save(update_fields=["extension_months", "extension_reason", "extended_at"])
    _audit("subject_access.extended", sar, by=by, request=request, months=total)
    _tell_client(sar.client, "An update about your request for your records")
    return sar


def may_still_extend(sar: SubjectAccessRequest, today: datetime.date) -> bool:
    """An extension is made, and the client told, within the first month (with pauses)."""
    return today <= due_date(sar.received_on, pauses=sar.pause_spans(), today=today)


@transaction.atomic
def close(
    sar: SubjectAccessRequest, *, by: User, reason: str, request: HttpRequest | None = None
) -> SubjectAccessRequest:
    """Close without a bundle: the client withdrew it, or never confirmed their identity."""
    sar = _lock(sar)
    if not may_manage(by, sar.client):
        raise AccessRequestError("Only the client's counsellor or a service manager does this.")
    if not sar.is_open:
        raise AccessRequestError("This request is already closed.")
    if not reason.strip():
        raise AccessRequestError("Record why the request is closed.")
    if sar.bundle is not None and sar.bundle.status not in (Status.REFUSED, Status.RELEASED):
        services.refuse(sar.bundle, by=by, reason=reason, request=request)
    pause_now = sar.open_pause
    if pause_now is not None:
        pause_now.ended_on, pause_now.resumed_by = timezone.localdate(), by
        pause_now.save(update_fields=["ended_on", "resumed_by"])
    sar.status, sar.close_reason = SubjectAccessRequest.Status.CLOSED, reason.strip()
    sar.completed_at = timezone.now()
    sar.save(update_fields=["status", "close_reason", "completed_at"])
    _audit("subject_access.closed", sar, by=by, request=request)
    return sar


# -- the bundle ----------------------------------------------------------------------------------


def candidate_entries(client: Client) -> list[NoteEntry]:
    """Every note entry about this client that exists, factual and process, signed or not.
    For couples, never the partner's entries nor whole-couple entries."""
    return list(
        NoteEntry.objects.filter(about=client)
        .select_related("note", "note__author")
        .order_by("note__session_date", "note__created_at", "position")
    )


def candidate_points(client: Client) -> list[SupervisionPoint]:
    """Every point the client's counsellor took to supervision about them."""
    return list(SupervisionPoint.objects.filter(client=client).order_by("shared_at"))


@transaction.atomic
def prepare_bundle(
    sar: SubjectAccessRequest, *, by: User, request: HttpRequest | None = None
) -> DisclosureRequest:
    """Open the bundle as a subject-access disclosure and propose its content: every entry
    and supervision point, except third-party entries, which stay out until a reason to
    include them is recorded."""
    sar = _lock(sar)
    client = sar.client
    if not can(by, client, Purpose.NOTES_WRITE):
        raise AccessRequestError("The client's counsellor prepares the bundle.")
    if sar.status == SubjectAccessRequest.Status.PAUSED:
        raise AccessRequestError("The request is paused: restart it before preparing the bundle.")
    if not sar.is_open:
        raise AccessRequestError("This request is closed.")
    if sar.bundle is not None and sar.bundle.status != Status.REFUSED:
        return sar.bundle
    bundle = services.raise_request(
        by=by,
        client=client,
        category_code=CATEGORY,
        requester_kind=Requester.CLIENT,
        requester="The client (subject access request)",
        recipient="The client",
        purpose=f"Subject access request {sar.reference}",
        asked_for="Everything held about the client",
        received_on=sar.received_on,
        due_on=sar.due_on(),
        request=request,
    )
    bundle = services.clear_consent(
        bundle,
        by=by,
        outcome=GateDecision.Outcome.NOT_APPLICABLE,
        reason="The client's own records.",
        request=request,
    )
    ReleaseItem.objects.bulk_create(
        ReleaseItem(request=bundle, client=client, entry=entry)
        for entry in candidate_entries(client)
        if not entry.is_third_party
    )
    BundlePoint.objects.bulk_create(
        BundlePoint(request=bundle, point=point) for point in candidate_points(client)
    )
    sar.bundle = bundle
    sar.save(update_fields=["bundle"])
    _audit("subject_access.bundle_prepared", sar, by=by, request=request)
    return bundle


@dataclass(frozen=True)
class Withheld:
    """Why an entry or supervision point is kept out of the bundle (``Withholding``)."""

    basis: str
    opinion_by: str = ""
    opinion_on: datetime.date | None = None
    exemption: str = Withholding.Exemption.SERIOUS_HARM


def _check_withheld(withheld: Iterable[Withheld]) -> None:
    for held in withheld:
        if held.exemption not in Withholding.Exemption.values:
            raise AccessRequestError("Choose the exemption the item is withheld under.")
        if not held.basis.strip():
            raise AccessRequestError("Each withheld item needs the basis for its exemption.")
        if held.exemption != Withholding.Exemption.SERIOUS_HARM:
            continue
        if not held.opinion_by.strip() or held.opinion_on is None:
            raise AccessRequestError(
                "Each item withheld under the serious-harm exemption needs the basis and the "
                "health professional whose opinion it rests on, with its date."
            )
        if held.opinion_on > timezone.localdate():
            raise AccessRequestError("The date of the opinion cannot be in the future.")
        if opinion_too_old(held.opinion_on):
            raise AccessRequestError(
                "The health professional's opinion must be no more than six months old."
            )


def _withholding(bundle: DisclosureRequest, held: Withheld, *, by: User, **item: Any) -> None:
    serious_harm = held.exemption == Withholding.Exemption.SERIOUS_HARM
    Withholding.objects.create(
        request=bundle,
        client=bundle.client,
        exemption=held.exemption,
        basis=held.basis.strip(),
        opinion_by=held.opinion_by.strip() if serious_harm else "",
        opinion_on=held.opinion_on if serious_harm else None,
        recorded_by=by,
        **item,
    )


def opinion_too_old(opinion_on: datetime.date, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return opinion_on < add_months(today, -SERIOUS_HARM_OPINION_MONTHS)


@transaction.atomic
def choose_bundle_content(
    bundle: DisclosureRequest,
    *,
    by: User,
    include: Iterable[Any],
    third_party_reasons: Mapping[str, str] | None = None,
    withhold: Mapping[str, Withheld] | None = None,
    include_points: Iterable[Any] | None = None,
    withhold_points: Mapping[str, Withheld] | None = None,
    request: HttpRequest | None = None,
) -> DisclosureRequest:
    """Say, item by item, what is in and what is out. Every entry that is not third-party
    information, and every supervision point, is in unless it is withheld under an
    exemption with its basis: serious harm (with a health professional's opinion no more
    than six months old) or the prevention or detection of crime (tipping off). Third-party
    entries are out unless a reason to include them is recorded. Supervision points are left
    as they were when ``include_points`` is None."""
    bundle = services._lock(bundle)
    if bundle.category_code != CATEGORY:
        raise AccessRequestError("This is not a subject access bundle.")
    if bundle.status not in (Status.RAISED, Status.CONSENT_CLEARED):
        raise AccessRequestError("The bundle cannot change once it has been approved.")
    if not can(by, bundle.client, Purpose.NOTES_WRITE):
        raise AccessRequestError("The client's counsellor chooses what is in the bundle.")
    entries = {str(entry.pk): entry for entry in candidate_entries(bundle.client)}
    included = list(dict.fromkeys(str(entry_id) for entry_id in include))
    reasons = {str(k): v.strip() for k, v in (third_party_reasons or {}).items() if v.strip()}
    withheld = {str(k): v for k, v in (withhold or {}).items()}
    if any(entry_id not in entries for entry_id in [*included, *withheld]):
        raise AccessRequestError("Only entries about this client can be in the bundle.")
    if set(included) & set(withheld):
        raise AccessRequestError("An entry cannot be both included and withheld.")
    _check_withheld(withheld.values())
    choosing_points = include_points is not None
    points = {str(point.pk): point for point in candidate_points(bundle.client)}
    points_in = list(dict.fromkeys(str(point_id) for point_id in include_points or ()))
    points_out = {str(k): v for k, v in (withhold_points or {}).items()}
    if choosing_points:
        if any(point_id not in points for point_id in [*points_in, *points_out]):
            raise AccessRequestError("Only this client's supervision points can be chosen.")
        if set(points_in) & set(points_out) or set(points) - set(points_in) - set(points_out):
            raise AccessRequestError(
                "Every supervision point goes in, unless it is withheld under an exemption "
                "with its basis recorded."
            )
        _check_withheld(points_out.values())
    for entry_id, entry in entries.items():
        if entry.is_third_party:
            if entry_id in included and not reasons.get(entry_id):
                raise AccessRequestError(
                    "Third-party information is left out unless you record why it is "
                    "reasonable to include it (or that the third party agreed)."
                )
        elif entry_id not in included and entry_id not in withheld:
            raise AccessRequestError(
                "Everything that is not third-party information goes in, unless it is "
                "withheld under an exemption with its basis recorded."
            )
    bundle.items.all().delete()
    bundle.withholdings.filter(entry__isnull=False).delete()
    ReleaseItem.objects.bulk_create(
        ReleaseItem(
            request=bundle,
            client=bundle.client,
            entry=entries[entry_id],
            third_party_reason=reasons.get(entry_id, "")
            if entries[entry_id].is_third_party
            else "",
        )
        for entry_id in included
    )
    for entry_id, held in withheld.items():
        _withholding(bundle, held, by=by, entry=entries[entry_id])
    if choosing_points:
        bundle.bundle_points.all().delete()
        bundle.withholdings.filter(point__isnull=False).delete()
        BundlePoint.objects.bulk_create(
            BundlePoint(request=bundle, point=points[point_id]) for point_id in points_in
        )
        for point_id, held in points_out.items():
            _withholding(bundle, held, by=by, point=points[point_id])
    services._audit(
        "disclosure.content_chosen",
        bundle,
        by=by,
        request=request,
        items=len(included),
        withheld=len(withheld),
        points=len(points_in) if choosing_points else bundle.bundle_points.count(),
        points_withheld=len(points_out)
        if choosing_points
        else bundle.withholdings.filter(point__isnull=False).count(),
    )
    return bundle


def bundle_problems(bundle: DisclosureRequest) -> list[str]:
    """What must hold for a subject access bundle, checked at approval and at release."""
    problems = []
    included = set(bundle.items.values_list("entry_id", flat=True))
    withheld = list(bundle.withholdings.all())
    withheld_ids = {w.entry_id for w in withheld}
    for entry in candidate_entries(bundle.client):
        if not entry.is_third_party and entry.pk not in included | withheld_ids:
            problems.append(
                "A note entry is neither in the bundle nor withheld with a reason (it may have "
                "been written since the bundle was prepared): review the content again."
            )
            break
    chosen_points = set(bundle.bundle_points.values_list("point_id", flat=True))
    chosen_points |= {w.point_id for w in withheld}
    if any(point.pk not in chosen_points for point in candidate_points(bundle.client)):
        problems.append(
            "A supervision point is neither in the bundle nor withheld with a reason (it may "
            "have been shared since the bundle was prepared): review the content again."
        )
    for withholding in withheld:
        if withholding.opinion_on is not None and opinion_too_old(withholding.opinion_on):
            problems.append(
                "A withheld entry relies on a health professional's opinion more than six "
                "months old: get a current opinion, or include the entry."
            )
    return problems


@dataclass(frozen=True)
class BundleOverview:
    """What the reviewer sees: what is in, what is out and why (no note text)."""

    included: list[ReleaseItem]
    third_party_left_out: list[NoteEntry]
    withheld: list[Withholding]
    points_included: int
    register_entries: int
    sealed_left_out: int


def overview(bundle: DisclosureRequest) -> BundleOverview:
    items = list(bundle.items.select_related("entry__note"))
    included_ids = {item.entry_id for item in items}
    withheld = list(bundle.withholdings.select_related("entry__note", "point"))
    withheld_ids = {w.entry_id for w in withheld}
    left_out = [
        entry
        for entry in candidate_entries(bundle.client)
        if entry.is_third_party and entry.pk not in included_ids | withheld_ids
    ]
    register = RegisterEntry.objects.filter(client=bundle.client)
    return BundleOverview(
        included=sorted(items, key=lambda i: (i.entry.note.session_date, i.entry.position)),
        third_party_left_out=left_out,
        withheld=withheld,
        points_included=bundle.bundle_points.count(),
        register_entries=register.visible_to_client().count(),
        sealed_left_out=register.filter(sealed=True).count(),
    )


@transaction.atomic
def release_bundle(
    sar: SubjectAccessRequest, *, by: User, request: HttpRequest | None = None
) -> services.Released:
    """The reviewer's step: approve the proposed bundle and release it to the client."""
    sar = _lock(sar)
    bundle = sar.bundle
    if bundle is None:
        raise AccessRequestError("The bundle has not been prepared yet.")
    if bundle.status == Status.CONSENT_CLEARED:
        services.approve(bundle, by=by, reason="Bundle reviewed.", request=request)
    return services.release(bundle, by=by, request=request)


def after_release(bundle: DisclosureRequest) -> None:
    """Called by the release service inside its transaction: the request is answered, and
    the client is told in the portal (the bundle appears there) and by a content-free
    e-mail."""
    sar = SubjectAccessRequest.objects.select_for_update().filter(bundle=bundle).first()
    if sar is None:
        return
    sar.status, sar.completed_at = SubjectAccessRequest.Status.RELEASED, timezone.now()
    sar.save(update_fields=["status", "completed_at"])
    bundle.client_notified_at = timezone.now()
    bundle.save(update_fields=["client_notified_at", "updated_at"])
    _tell_client(bundle.client, "Your records are ready")


# -- questions -----------------------------------------------------------------------------------


def open_requests() -> list[SubjectAccessRequest]:
    """Every open request with its due date, overdue first, then soonest due (paused ones,
    whose clock is stopped, last)."""
    today = timezone.localdate()
    requests = list(
        SubjectAccessRequest.objects.filter(status__in=OPEN_STATUSES)
        .select_related("client", "client__counsellor", "bundle")
        .prefetch_related("pauses")
    )
    return sorted(
        requests,
        key=lambda sar: (
            sar.status == SubjectAccessRequest.Status.PAUSED,
            not sar.is_overdue(today),
            sar.due_on(today),
        ),
    )


# -- what the client receives --------------------------------------------------------------------


def _lines(pairs: Iterable[tuple[str, Any]]) -> str:
    return "\n".join(f"{label}: {value}" for label, value in pairs if value not in ("", None))


def _date(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return f"{value:%d %B %Y}".lstrip("0")


def build_bundle(bundle: DisclosureRequest) -> Any:
    """Everything the client receives, as a Pack: the chosen note entries, then their case,
    identity, contracting, consents, supervision points and register, the statement of what
    the law lets us leave out, and the supplementary information (UK GDPR Art. 15(1)-(2))."""
    from consent.models import ConsentEvent, Contracting
    from disclosures.categories import category
    from disclosures.pdf import Pack, PackItem
    from notes.models import SessionNote

    client = bundle.client
    sar = SubjectAccessRequest.objects.filter(bundle=bundle).first()
    items = []
    for item in bundle.items.select_related("entry__note", "entry__note__author").order_by(
        "entry__note__session_date", "entry__note__created_at", "entry__position"
    ):
        entry, note = item.entry, item.entry.note
        meta = [
            ("Session", note.get_attendance_display()),
            ("Written by", note.author.get_full_name() or note.author.username),
            ("Where the information came from", entry.get_provenance_display()),
        ]
        label = ""
        if note.status != SessionNote.Status.SIGNED:
            label = "Draft: not yet signed by your counsellor"
        if entry.is_third_party:
            label = "Information from someone else"
            meta.append(("From", entry.third_party_source))
        items.append(
            PackItem(
                heading=f"{note.get_kind_display()}, {_date(note.session_date)}",
                meta=meta,
                text=entry.text,
                label=label,
            )
        )

    sections: list[tuple[str, str]] = []
    counsellor = client.counsellor
    sections.append(
        (
            "Your case",
            _lines(
                [
                    ("Case reference", client.reference),
                    ("Counsellor", counsellor.get_full_name() if counsellor else ""),
                    ("Started", _date(client.opened_on)),
                    ("Ended", _date(client.ended_on)),
                    ("Status", client.get_status_display()),
                ]
            ),
        )
    )
    identity = getattr(client, "identity", None)
    if identity is not None:
        sections.append(
            (
                "Your details",
                _lines(
                    [
                        ("First name", identity.given_name),
                        ("Last name", identity.family_name),
                        ("Preferred name", identity.preferred_name),
                        ("Date of birth", _date(identity.date_of_birth)),
                        ("Pronouns", identity.pronouns),
                        ("Address", identity.address),
                        ("Phone", identity.phone),
                        ("E-mail", identity.email),
                        ("GP", identity.gp_details),
                        ("Emergency contact", identity.emergency_contact),
                        ("People with parental responsibility", identity.parental_contacts),
                    ]
                ),
            )
        )
    contracting = list(
        Contracting.objects.filter(client=client).select_related("agreement", "privacy_notice")
    )
    sections.append(
        (
            "Your counselling agreement",
            "\n\n".join(
                _lines(
                    [
                        ("First session", _date(c.contracted_on)),
                        ("Agreement", f"{c.agreement.title} (version {c.agreement.version})"),
                        (
                            "Privacy notice",
                            f"{c.privacy_notice.title} (version {c.privacy_notice.version})",
                        ),
                        ("How you received them", c.get_delivered_display()),
                    ]
                )
                for c in contracting
            )
            or "No agreement has been recorded.",
        )
    )
    events = ConsentEvent.objects.filter(client=client).order_by("recorded_at")
    sections.append(
        (
            "Your consents",
            "\n\n".join(
                _lines(
                    [
                        ("Consent", e.get_scope_display()),
                        ("What happened", e.get_action_display()),
                        ("Date", _date(e.recorded_at)),
                        ("Shared with", e.recipient),
                        ("Purpose", e.purpose),
                        ("What may be shared", e.material),
                        ("Until", _date(e.valid_until)),
                        ("How it was recorded", e.get_evidence_display()),
                    ]
                )
                for e in events
            )
            or "No consents have been recorded.",
        )
    )
    points = SupervisionPoint.objects.filter(
        pk__in=bundle.bundle_points.values("point_id")
    ).order_by("shared_at")
    if points.exists():
        sections.append(
            (
                "Points your counsellor took to clinical supervision",
                "\n\n".join(f"{_date(p.shared_at)}\n{p.text}" for p in points),
            )
        )
    register = RegisterEntry.objects.filter(client=client).visible_to_client()
    sections.append(
        (
            "Who your information was shared with",
            "\n\n".join(
                _lines(
                    [
                        ("Date", _date(r.released_at)),
                        ("Shared with", r.recipient),
                        ("Why", category(r.category_code).label),
                        ("Purpose", r.purpose),
                        ("Legal reference", r.statute),
                    ]
                )
                for r in register.order_by("released_at")
            )
            or "We have not shared your information with anyone outside the service.",
        )
    )
    sections.append(("What is not included", LEFT_OUT_STATEMENT))
    sections.extend(SUPPLEMENTARY_SECTIONS)
    reference = sar.reference if sar is not None else bundle.reference
    return Pack(
        reference=bundle.reference,
        title="Your counselling records",
        recipient="The client",
        purpose=f"Your request for your records ({reference})",
        basis="Your right of access (UK GDPR Article 15)",
        client_reference=client.reference,
        approvers=[],
        items=items,
        generated_at=timezone.localtime(),
        extra_sections=sections,
    )


def snapshot(pack: Any) -> str:
    """What the client reads in the portal: the same content as the PDF, as JSON."""
    import json

    return json.dumps(
        {
            "reference": pack.reference,
            "title": pack.title,
            "purpose": pack.purpose,
            "client_reference": pack.client_reference,
            "generated_at": pack.generated_at.isoformat(),
            "items": [
                {
                    "heading": item.heading,
                    "meta": [list(pair) for pair in item.meta],
                    "text": item.text,
                    "label": item.label,
                }
                for item in pack.items
            ],
            "sections": [list(section) for section in pack.extra_sections],
        }
    )
