"""The disclosure workflow: raise, record each gate, release. Atomic, audited, ``by=``.

``release`` is the only code in the application that produces bytes about a client for
someone outside the practice (invariant 4; tests/disclosures/test_release_only_path.py). It
locks the request, re-checks every gate at that moment, renders the PDF, stores it encrypted,
records the register entry and the audit event, all in one transaction: a failure at any step
leaves nothing released and the request as it was.

Audit events carry the request's id, category and outcome codes; never the recipient, the
purpose or any content. Sealed categories are audited too, marked ``sealed``.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients import services as client_services
from clients.access import Purpose, can
from clients.models import Client, LegalHold
from consent.models import ConsentEvent
from consent.services import covers
from disclosures.categories import (
    Category,
    ConsentRule,
    Document,
    Notify,
    Requester,
    category,
)
from disclosures.models import (
    TRANSITIONS,
    Action,
    DisclosureDocument,
    DisclosureRequest,
    GateDecision,
    RegisterEntry,
    ReleasedDocument,
    ReleaseItem,
    Status,
    StatuteReference,
)
from notes.models import NoteEntry, SessionNote
from practice.accounts.models import Role, User
from practice.audit.services import record
from practice.uploads import CheckedUpload

EMERGENCY_REVIEW_HOURS = 72


class DisclosureError(Exception):
    """A step the rules refuse; the message is safe to show."""


class ReleaseBlocked(DisclosureError):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


# -- helpers ---------------------------------------------------------------------------------


def _audit(
    action: str, req: DisclosureRequest, *, by: User, request: HttpRequest | None, **data: Any
) -> None:
    record(
        action,
        by=by,
        target=req,
        client_ref=req.client.reference,
        request=request,
        data={"category": req.category_code, "sealed": req.is_sealed, **data},
    )


def _lock(req: DisclosureRequest) -> DisclosureRequest:
    """Re-read the request under a row lock: whatever the page showed a moment ago, the rules
    are checked against what is true now, and two people cannot move it at once."""
    return DisclosureRequest.objects.select_for_update().get(pk=req.pk)


def _move(req: DisclosureRequest, action: str) -> None:
    target = TRANSITIONS.get((req.status, action))
    if target is None:
        raise DisclosureError(
            f"A request that is {req.get_status_display().lower()} cannot take the step "
            f"'{Action(action).label}'."
        )
    req.status = target


def _decide(
    req: DisclosureRequest,
    gate: str,
    outcome: str,
    *,
    by: User,
    reason: str = "",
    consent: ConsentEvent | None = None,
) -> GateDecision:
    return GateDecision.objects.create(
        request=req,
        client=req.client,
        gate=gate,
        outcome=outcome,
        consent=consent,
        reason=reason.strip(),
        by=by,
    )


def participants(req: DisclosureRequest) -> set[int]:
    """Everyone who filled a gate or raised the request."""
    people = {req.raised_by_id}
    people |= set(req.decisions.values_list("by_id", flat=True))
    return people


def _gate_holder(req: DisclosureRequest, gate: str) -> int | None:
    return req.decisions.filter(gate=gate).values_list("by_id", flat=True).first()


# -- statute references ----------------------------------------------------------------------


def statute_for(code: str) -> str:
    """The legal reference cited for a category: a manager's wording, else the default."""
    custom = StatuteReference.objects.filter(category_code=code).values_list("text", flat=True)
    return custom.first() or category(code).statute


@transaction.atomic
def set_statute(code: str, *, by: User, text: str, request: HttpRequest | None = None) -> None:
    if not by.has_role(Role.MANAGER):
        raise DisclosureError("Only a service manager changes the legal references.")
    category(code)  # unknown codes raise KeyError before anything is written
    text = text.strip()
    if not text or len(text) > 300:
        raise DisclosureError("Write the reference in at most 300 characters.")
    StatuteReference.objects.update_or_create(
        category_code=code, defaults={"text": text, "updated_by": by}
    )
    record("disclosure.statute_changed", by=by, request=request, data={"category": code})


# -- raising ---------------------------------------------------------------------------------


@transaction.atomic
def raise_request(
    *,
    by: User,
    client: Client,
    category_code: str,
    requester_kind: str,
    requester: str,
    recipient: str,
    purpose: str,
    asked_for: str,
    received_on: datetime.date,
    due_on: datetime.date | None = None,
    documents: Iterable[tuple[str, CheckedUpload]] = (),
    request: HttpRequest | None = None,
) -> DisclosureRequest:
    cat = category(category_code)
    if not (can(by, client, Purpose.NOTES_WRITE) or by.has_role(Role.MANAGER)):
        raise DisclosureError("Only the client's counsellor or a service manager raises a request.")
    if requester_kind not in Requester.__members__.values():
        raise DisclosureError("Say who asked for the information.")
    if cat.requesters and requester_kind not in cat.requesters:
        if category_code == "road_traffic":
            raise DisclosureError(
                "A road-traffic disclosure can only answer a request from the police; "
                "there is no duty to disclose without one."
            )
        raise DisclosureError(f"This kind of disclosure cannot come from {requester_kind}.")
    if not all(value.strip() for value in (requester, recipient, purpose, asked_for)):
        raise DisclosureError("Say who asked, who receives it, the purpose and what is asked for.")
    if received_on > timezone.localdate():
        raise DisclosureError("The date received cannot be in the future.")
    if due_on is not None and due_on < received_on:
        raise DisclosureError("The due date cannot be before the request was received.")
    req = DisclosureRequest.objects.create(
        client=client,
        category_code=category_code,
        requester_kind=requester_kind,
        requester=requester.strip(),
        recipient=recipient.strip(),
        purpose=purpose.strip(),
        asked_for=asked_for.strip(),
        received_on=received_on,
        due_on=due_on,
        notify_client=cat.notify not in (Notify.NEVER, Notify.IS_FOR_CLIENT),
        raised_by=by,
    )
    for kind, upload in documents:
        _store_document(req, kind=kind, upload=upload, by=by)
    if cat.places_legal_hold:
        # A court order discloses whatever exists at the time: nothing may be destroyed now.
        client_services.place_legal_hold(
            client,
            by=by,
            reason=f"Disclosure {req.reference} ({cat.label})",
            source=LegalHold.Source.COURT_ORDER
            if category_code == "court_order"
            else LegalHold.Source.COMPLAINT,
            source_id=str(req.pk),
            request=request,
        )
    _audit("disclosure.raised", req, by=by, request=request, requester_kind=requester_kind)
    return req


def _store_document(
    req: DisclosureRequest, *, kind: str, upload: CheckedUpload, by: User
) -> DisclosureDocument:
    if kind not in Document.__members__.values():
        raise DisclosureError("Say what the document is.")
    return DisclosureDocument.objects.create(
        request=req,
        client=req.client,
        kind=kind,
        content=upload.content,
        filename=upload.filename,
        content_type=upload.content_type,
        uploaded_by=by,
    )


@transaction.atomic
def attach_document(
    req: DisclosureRequest,
    *,
    by: User,
    kind: str,
    upload: CheckedUpload,
    request: HttpRequest | None = None,
) -> DisclosureDocument:
    req = _lock(req)
    if req.is_final:
        raise DisclosureError("This request is closed.")
    if not may_take_part(by, req):
        raise DisclosureError("Only someone taking part in this request adds documents.")
    document = _store_document(req, kind=kind, upload=upload, by=by)
    _audit("disclosure.document_attached", req, by=by, request=request, kind=kind)
    return document


# -- choosing what is released ----------------------------------------------------------------


def releasable_entries(req: DisclosureRequest) -> list[NoteEntry]:
    """Entries that could be released for this client: from signed notes, and about this
    client only (for couples, never the partner's entries nor whole-couple entries)."""
    return list(
        NoteEntry.objects.filter(about=req.client, note__status=SessionNote.Status.SIGNED)
        .select_related("note")
        .order_by("note__session_date", "note__created_at", "position")
    )


@transaction.atomic
def choose_content(
    req: DisclosureRequest,
    *,
    by: User,
    entry_ids: Iterable[Any],
    third_party_reasons: Mapping[str, str] | None = None,
    report_text: str = "",
    request: HttpRequest | None = None,
) -> DisclosureRequest:
    """Choose the entries to release and/or write a report instead (minimum necessary)."""
    req = _lock(req)
    if req.category_code == "subject_access":
        raise DisclosureError("A subject access bundle's content is chosen on its own page.")
    if req.status not in (Status.RAISED, Status.CONSENT_CLEARED):
        # The supervisor signs off, and the manager approves, exactly this content.
        raise DisclosureError("What is released cannot change once the request is signed off.")
    if not can(by, req.client, Purpose.NOTES_READ):
        raise DisclosureError(
            "Only someone who may read the client's notes chooses what is released."
        )
    reasons = {str(key): value.strip() for key, value in (third_party_reasons or {}).items()}
    allowed = {str(entry.pk): entry for entry in releasable_entries(req)}
    wanted = [str(entry_id) for entry_id in entry_ids]
    unknown = [entry_id for entry_id in wanted if entry_id not in allowed]
    if unknown:
        raise DisclosureError(
            "Only signed entries about this client can be released; entries about a partner "
            "or the whole couple are never included."
        )
    for entry_id in wanted:
        if allowed[entry_id].is_third_party and not reasons.get(entry_id):
            raise DisclosureError(
                "Third-party information is left out unless you record why it should be included."
            )
    if len(report_text) > 100_000:
        raise DisclosureError("The report is too long (100,000 characters at most).")
    req.items.all().delete()
    ReleaseItem.objects.bulk_create(
        ReleaseItem(
            request=req,
            client=req.client,
            entry=allowed[entry_id],
            third_party_reason=reasons.get(entry_id, "")
            if allowed[entry_id].is_third_party
            else "",
        )
        for entry_id in dict.fromkeys(wanted)
    )
    req.report_text = report_text.strip()
    req.save(update_fields=["report_text", "updated_at"])
    _audit(
        "disclosure.content_chosen",
        req,
        by=by,
        request=request,
        items=len(wanted),
        report=bool(report_text.strip()),
    )
    return req


# -- gates -----------------------------------------------------------------------------------


@transaction.atomic
def record_consultation(
    req: DisclosureRequest,
    *,
    by: User,
    gate: str,
    reason: str,
    request: HttpRequest | None = None,
) -> GateDecision:
    """Record that the supervisor was consulted (safeguarding, serious harm) or advisers were
    consulted (complaints), with the outcome in ``reason``."""
    req = _lock(req)
    if gate not in (GateDecision.Gate.SUPERVISOR_CONSULTED, GateDecision.Gate.ADVISERS_CONSULTED):
        raise DisclosureError("Unknown consultation.")
    if not reason.strip():
        raise DisclosureError("Record who was consulted and what they advised.")
    if req.status == Status.REFUSED:
        raise DisclosureError("This request is closed.")
    if not may_take_part(by, req):
        raise DisclosureError("Only someone taking part in this request records a consultation.")
    decision = _decide(req, gate, GateDecision.Outcome.DONE, by=by, reason=reason)
    _audit("disclosure.consulted", req, by=by, request=request, gate=gate)
    return decision


ALLOWED_CONSENT_OUTCOMES: dict[ConsentRule, set[str]] = {
    ConsentRule.REQUIRED: {GateDecision.Outcome.CONSENTED, GateDecision.Outcome.ANONYMISED},
    ConsentRule.NOT_REQUIRED: {GateDecision.Outcome.NOT_REQUIRED},
    ConsentRule.MUST_NOT_SEEK: {GateDecision.Outcome.MUST_NOT_SEEK},
    ConsentRule.SEEK_UNLESS_RISK: {
        GateDecision.Outcome.CONSENTED,
        GateDecision.Outcome.RAISES_RISK,
        GateDecision.Outcome.PROCEED_WITHOUT,
    },
    ConsentRule.NOT_APPLICABLE: {GateDecision.Outcome.NOT_APPLICABLE},
}


@transaction.atomic
def clear_consent(
    req: DisclosureRequest,
    *,
    by: User,
    outcome: str,
    consent: ConsentEvent | None = None,
    reason: str = "",
    notify_client: bool | None = None,
    no_notify_reason: str = "",
    request: HttpRequest | None = None,
) -> DisclosureRequest:
    """The consent gate: a covering consent of this client, or the recorded reason it is not
    required, must not be sought, or would raise the risk."""
    req = _lock(req)
    cat = req.category
    if not (can(by, req.client, Purpose.NOTES_WRITE) or by.pk == req.raised_by_id):
        raise DisclosureError("The client's counsellor records the consent step.")
    if outcome not in ALLOWED_CONSENT_OUTCOMES[cat.consent]:
        raise DisclosureError(
            f"For {cat.label.lower()}, consent is {cat.consent.value}: that outcome does not apply."
        )
    if outcome == GateDecision.Outcome.ANONYMISED and not cat.anonymise_without_consent:
        raise DisclosureError(
            "Anonymising instead of consent is only for publication, training or research."
        )
    if outcome == GateDecision.Outcome.CONSENTED:
        coverage = _coverage(req, consent)
        if not coverage:
            raise DisclosureError(coverage.reason)
    if (
        outcome
        in (
            GateDecision.Outcome.NOT_REQUIRED,
            GateDecision.Outcome.RAISES_RISK,
            GateDecision.Outcome.PROCEED_WITHOUT,
        )
        and not reason.strip()
    ):
        raise DisclosureError("Record the reason consent is not being relied on.")
    if cat.supervisor_consulted_first and not req.decision(GateDecision.Gate.SUPERVISOR_CONSULTED):
        raise DisclosureError(
            "Consult your supervisor and record it before taking this further "
            "(in an emergency, use the emergency route)."
        )
    if outcome == GateDecision.Outcome.MUST_NOT_SEEK and not reason.strip():
        reason = "Seeking consent would be tipping off, which is an offence."
    _set_notification(req, cat, notify_client, no_notify_reason)
    _decide(req, GateDecision.Gate.CONSENT, outcome, by=by, reason=reason, consent=consent)
    if outcome == GateDecision.Outcome.ANONYMISED:
        req.anonymised = True
    _move(req, Action.CLEAR_CONSENT)
    req.save(
        update_fields=["status", "anonymised", "notify_client", "no_notify_reason", "updated_at"]
    )
    _audit("disclosure.consent_cleared", req, by=by, request=request, outcome=outcome)
    return req


def _set_notification(
    req: DisclosureRequest, cat: Category, notify: bool | None, reason: str
) -> None:
    if cat.notify in (Notify.NEVER, Notify.IS_FOR_CLIENT):
        req.notify_client = False
        return
    if notify is None or notify:
        req.notify_client = True
        return
    if cat.notify == Notify.YES:
        raise DisclosureError("The client is told about this kind of disclosure.")
    if not reason.strip():
        raise DisclosureError(
            "Record why the client is not told (the risk, or the court's direction)."
        )
    req.notify_client, req.no_notify_reason = False, reason.strip()


def _coverage(req: DisclosureRequest, consent: ConsentEvent | None) -> Any:
    scope = req.category.consent_scope
    recipient = req.recipient if scope == "disclosure" else None
    return covers(req.client, scope, recipient=recipient, consent=consent)


def may_sign_off(user: User, req: DisclosureRequest) -> bool:
    """A supervisor who did not raise the request: the client's counsellor's own supervisor,
    or any supervisor when the counsellor has none."""
    if not user.has_role(Role.SUPERVISOR) or user.pk == req.raised_by_id:
        return False
    counsellor = req.client.counsellor
    designated = counsellor.supervisor_id if counsellor is not None else None
    return designated is None or designated == user.pk


def may_take_part(user: User, req: DisclosureRequest) -> bool:
    """Adding documents and recording consultations: the requester, the client's counsellor,
    the supervisor who signs it off, and service managers."""
    return (
        user.pk == req.raised_by_id
        or can(user, req.client, Purpose.NOTES_WRITE)
        or may_sign_off(user, req)
        or user.has_role(Role.MANAGER)
    )


def may_refuse(user: User, req: DisclosureRequest) -> bool:
    """Anyone taking part: who raised it or filled a gate, the client's counsellor, the
    supervisor who signs it off, a manager who may approve it."""
    return (
        user.pk in participants(req)
        or can(user, req.client, Purpose.NOTES_WRITE)
        or may_sign_off(user, req)
        or may_approve(user, req)
    )


def may_approve(user: User, req: DisclosureRequest) -> bool:
    if not user.has_role(Role.MANAGER):
        return False
    return user.pk != req.raised_by_id and user.pk != _gate_holder(
        req, GateDecision.Gate.SUPERVISOR
    )


@transaction.atomic
def sign_off(
    req: DisclosureRequest, *, by: User, reason: str = "", request: HttpRequest | None = None
) -> DisclosureRequest:
    req = _lock(req)
    if not req.category.needs_supervisor:
        raise DisclosureError("This kind of request has no supervisor sign-off.")
    if not may_sign_off(by, req):
        raise DisclosureError(
            "Supervisor sign-off is by the counsellor's supervisor, and never by the person "
            "who raised the request."
        )
    _move(req, Action.SIGN_OFF)
    _decide(req, GateDecision.Gate.SUPERVISOR, GateDecision.Outcome.DONE, by=by, reason=reason)
    req.save(update_fields=["status", "updated_at"])
    _audit("disclosure.signed_off", req, by=by, request=request)
    return req


@transaction.atomic
def approve(
    req: DisclosureRequest, *, by: User, reason: str = "", request: HttpRequest | None = None
) -> DisclosureRequest:
    req = _lock(req)
    if not may_approve(by, req):
        raise DisclosureError(
            "Approval is by a service manager who neither raised the request nor signed it off."
        )
    if req.status == Status.CONSENT_CLEARED and req.category.needs_supervisor:
        # Only categories with no supervisor gate go straight from consent to approval.
        raise DisclosureError("The supervisor signs it off before a service manager approves it.")
    problems = content_and_evidence_problems(req)
    if problems:
        raise ReleaseBlocked(problems)
    _move(req, Action.APPROVE)
    _decide(req, GateDecision.Gate.MANAGER, GateDecision.Outcome.DONE, by=by, reason=reason)
    req.save(update_fields=["status", "updated_at"])
    _audit("disclosure.approved", req, by=by, request=request)
    if req.notify_client and not req.is_sealed:
        _tell_client(req)
    return req


@transaction.atomic
def refuse(
    req: DisclosureRequest, *, by: User, reason: str, request: HttpRequest | None = None
) -> DisclosureRequest:
    """Any participant can refuse, with a reason; that ends the request."""
    req = _lock(req)
    if not reason.strip():
        raise DisclosureError("Give the reason for refusing.")
    if not may_refuse(by, req):
        raise DisclosureError("Only someone taking part in this request can refuse it.")
    _move(req, Action.REFUSE)
    _decide(req, GateDecision.Gate.REFUSAL, GateDecision.Outcome.REFUSED, by=by, reason=reason)
    req.save(update_fields=["status", "updated_at"])
    _audit("disclosure.refused", req, by=by, request=request)
    return req


# -- what must hold at release -----------------------------------------------------------------


def content_and_evidence_problems(req: DisclosureRequest) -> list[str]:
    cat = req.category
    problems: list[str] = []
    kinds = set(req.documents.values_list("kind", flat=True))
    if cat.required_documents and not kinds & set(cat.required_documents):
        if req.category_code == "client_request" and Document.SOLICITOR_LETTER in kinds:
            problems.append(
                "A solicitor's letter is not enough: attach a court order, or the client's "
                "signed release form."
            )
        else:
            needed = " or ".join(
                sorted(str(d.value).replace("_", " ") for d in cat.required_documents)
            )
            problems.append(f"Attach the {needed}.")
    if cat.requesters and req.requester_kind not in cat.requesters:
        problems.append("This kind of disclosure cannot answer a request from whoever asked.")
    items = list(req.items.select_related("entry"))
    if req.category_code == "subject_access":
        from disclosures.subject_access import bundle_problems

        # Everything held goes to the client, so an empty bundle is possible and fine.
        problems.extend(bundle_problems(req))
    elif not items and not req.report_text:
        problems.append("Choose the entries to release, or write a report.")
    for item in items:
        if item.entry.about_id != req.client_id:
            problems.append("An entry about someone else was chosen; it cannot be released.")
        if item.entry.is_third_party and not item.third_party_reason:
            problems.append("A third-party entry has no recorded reason to include it.")
    if cat.advisers_consulted and not req.decision(GateDecision.Gate.ADVISERS_CONSULTED):
        problems.append("Record that advisers were consulted.")
    return problems


def release_blockers(req: DisclosureRequest) -> list[str]:
    """Why this request cannot be released now. Empty means it can. Shown on the page and
    re-checked by release() under the row lock."""
    if req.status != Status.APPROVED:
        return [f"It is {req.get_status_display().lower()}, not approved."]
    blockers = content_and_evidence_problems(req)
    consent_decision = req.decision(GateDecision.Gate.CONSENT)
    if consent_decision is None:
        blockers.append("The consent step has not been recorded.")
    elif consent_decision.outcome == GateDecision.Outcome.CONSENTED:
        # Consent must still be current at the moment of release, not just at approval.
        coverage = _coverage(req, consent_decision.consent)
        if not coverage:
            blockers.append(f"Consent no longer covers this: {coverage.reason}")
    holders = [
        _gate_holder(req, GateDecision.Gate.SUPERVISOR),
        _gate_holder(req, GateDecision.Gate.MANAGER),
    ]
    if req.category.needs_supervisor and holders[0] is None:
        blockers.append("No supervisor has signed it off.")
    if holders[1] is None:
        blockers.append("No service manager has approved it.")
    people = [req.raised_by_id, *[h for h in holders if h is not None]]
    if len(people) != len(set(people)):
        blockers.append(
            "The requester, the supervisor and the manager must be three different people."
        )
    return blockers


def should_release_in_background(req: DisclosureRequest) -> bool:
    from django.conf import settings

    return req.items.count() > settings.RELEASE_IN_BACKGROUND_OVER_ITEMS


@transaction.atomic
def queue_release(req: DisclosureRequest, *, by: User, request: HttpRequest | None = None) -> str:
    """Check now, then hand a large pack to the background worker; returns the task id.
    The worker re-checks everything under the lock when it runs (release())."""
    from disclosures.tasks import release_in_background

    req = _lock(req)
    if not may_release(by, req):
        raise DisclosureError(
            "The person who raised the request, or the approving manager, releases it."
        )
    blockers = release_blockers(req)
    if blockers:
        raise ReleaseBlocked(blockers)
    if req.release_task_id and release_progress(req) != "FAILED":
        return req.release_task_id
    # None queued yet, or the last attempt failed (nothing was released): queue it again.
    result = release_in_background.enqueue(str(req.pk), by.pk)
    req.release_task_id = result.id
    req.save(update_fields=["release_task_id", "updated_at"])
    _audit("disclosure.release_queued", req, by=by, request=request)
    return result.id


def release_progress(req: DisclosureRequest) -> str | None:
    """READY, RUNNING, FAILED or SUCCESSFUL for a queued release; None when none was queued."""
    if not req.release_task_id:
        return None
    from disclosures.tasks import release_in_background

    try:
        return str(release_in_background.get_result(req.release_task_id).status)
    except Exception:  # noqa: BLE001 - a pruned result reads as unknown, not as a crash
        return None


def may_release(user: User, req: DisclosureRequest) -> bool:
    return user.pk in (req.raised_by_id, _gate_holder(req, GateDecision.Gate.MANAGER))


# -- release ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Released:
    request: DisclosureRequest
    document: ReleasedDocument
    register: RegisterEntry


@transaction.atomic
def release(req: DisclosureRequest, *, by: User, request: HttpRequest | None = None) -> Released:
    """Release an approved request: the only way client information leaves the practice."""
    req = _lock(req)
    if not may_release(by, req):
        raise DisclosureError(
            "The person who raised the request, or the approving manager, releases it."
        )
    blockers = release_blockers(req)
    if blockers:
        raise ReleaseBlocked(blockers)
    _move(req, Action.RELEASE)
    return _release_now(req, by=by, request=request, emergency=False)


@transaction.atomic
def emergency_release(
    req: DisclosureRequest, *, by: User, reason: str, request: HttpRequest | None = None
) -> Released:
    """Serious harm and safeguarding: release at once; the supervisor and a manager review it
    within 72 hours, flagged on their home pages until they have."""
    req = _lock(req)
    if not req.category.emergency_route:
        raise DisclosureError("This kind of disclosure has no emergency route.")
    if not can(by, req.client, Purpose.NOTES_WRITE):
        raise DisclosureError("The client's counsellor uses the emergency route.")
    if not reason.strip():
        raise DisclosureError("Record why this cannot wait.")
    problems = content_and_evidence_problems(req)
    if problems:
        raise ReleaseBlocked(problems)
    if req.decision(GateDecision.Gate.CONSENT) is None:
        _decide(
            req, GateDecision.Gate.CONSENT, GateDecision.Outcome.RAISES_RISK, by=by, reason=reason
        )
        # No time to seek consent because of the risk: telling the client now would carry
        # the same risk. The reviewers can still decide to tell them afterwards.
        req.notify_client = False
        req.no_notify_reason = (
            "Released on the emergency route without seeking consent, because of the risk."
        )
        req.save(update_fields=["notify_client", "no_notify_reason", "updated_at"])
    _move(req, Action.EMERGENCY_RELEASE)
    req.is_emergency = True
    return _release_now(req, by=by, request=request, emergency=True)


def _release_now(
    req: DisclosureRequest, *, by: User, request: HttpRequest | None, emergency: bool
) -> Released:
    from disclosures import (
        pdf,  # imported here: WeasyPrint is heavy and only needed now
        subject_access,
    )

    is_bundle = req.category_code == subject_access.CATEGORY
    pack = subject_access.build_bundle(req) if is_bundle else build_pack(req)
    content = pdf.render_pack(pack)
    digest = hashlib.sha256(content).hexdigest()
    now = timezone.now()
    req.released_at, req.released_by = now, by
    req.save(update_fields=["status", "is_emergency", "released_at", "released_by", "updated_at"])
    document = ReleasedDocument.objects.create(
        request=req,
        client=req.client,
        pdf=content,
        content_json=subject_access.snapshot(pack) if is_bundle else None,
        sha256=digest,
        size=len(content),
    )
    register = RegisterEntry.objects.create(
        request=req,
        client=req.client,
        released_at=now,
        category_code=req.category_code,
        basis=str(req.category.basis.value),
        statute=statute_for(req.category_code),
        recipient=req.recipient,
        purpose=req.purpose,
        approvers=_approvers(req),
        items=[str(item.entry_id) for item in req.items.all()],
        item_count=req.items.count(),
        included_report=bool(req.report_text),
        sha256=digest,
        sealed=req.is_sealed,
        emergency=emergency,
        recorded_by=by,
    )
    _audit(
        "disclosure.released",
        req,
        by=by,
        request=request,
        sha256=digest,
        items=register.item_count,
        emergency=emergency,
    )
    if emergency and req.notify_client and not req.is_sealed:
        _tell_client(req)
    if is_bundle:
        subject_access.after_release(req)
    return Released(request=req, document=document, register=register)


def _approvers(req: DisclosureRequest) -> list[dict[str, str]]:
    return [
        {
            "gate": decision.gate,
            "outcome": decision.outcome,
            "user_id": str(decision.by_id),
            "name": decision.by.get_full_name() or decision.by.username,
            "at": decision.at.isoformat(),
        }
        for decision in req.decisions.select_related("by")
        if decision.gate != GateDecision.Gate.REFUSAL
    ]


def build_pack(req: DisclosureRequest) -> Any:
    """What the PDF shows: the cover sheet, the report, the chosen entries. Never the
    client's name (the cover sheet names the case reference)."""
    from disclosures.pdf import Pack, PackItem

    items = []
    for item in req.items.select_related("entry__note", "entry__note__author").order_by(
        "entry__note__session_date", "entry__position"
    ):
        entry, note = item.entry, item.entry.note
        meta = [
            (
                str(SessionNote._meta.get_field("attendance").verbose_name).capitalize(),
                note.get_attendance_display(),
            ),
            ("Recorded by", note.author.get_full_name() or note.author.username),
            ("Source", entry.get_provenance_display()),
        ]
        label = ""
        if entry.is_third_party:
            label = "Third-party information"
            meta.append(("Third party", entry.third_party_source))
        items.append(
            PackItem(
                heading=f"{note.get_kind_display()}, {note.session_date:%d %B %Y}",
                meta=meta,
                text=entry.text,
                label=label,
            )
        )
    approvers = [
        (str(GateDecision.Gate(a["gate"]).label), a["name"], a["at"][:10]) for a in _approvers(req)
    ]
    cat = req.category
    basis = f"{cat.label} ({cat.basis.value})"
    statute = statute_for(req.category_code)
    if statute:
        basis += f": {statute}"
    return Pack(
        reference=req.reference,
        title="Disclosure of counselling records",
        recipient=req.recipient,
        purpose=req.purpose,
        basis=basis,
        client_reference=req.client.reference,
        approvers=approvers,
        items=items,
        report_text=req.report_text,
        generated_at=timezone.localtime(),
    )


def _tell_client(req: DisclosureRequest) -> None:
    """Tell the client before release, by an e-mail with no confidential content (and, in
    the portal, by the register entry they will see)."""
    req.client_notified_at = timezone.now()
    req.save(update_fields=["client_notified_at", "updated_at"])
    email_client(
        req.client,
        "An update about your counselling records",
        "There is an update about your counselling records. Please sign in to your client "
        "portal, or speak to your counsellor, for details.",
    )


def email_client(client: Client, subject: str, body: str) -> None:
    """Send a content-free e-mail to the address in the client's identity, once the
    transaction commits. ``subject`` and ``body`` are fixed wording, never client content."""
    identity = getattr(client, "identity", None)
    address = identity.email if identity is not None else ""
    if address:
        transaction.on_commit(lambda: send_mail(subject, body, None, [address], fail_silently=True))


# -- after an emergency ----------------------------------------------------------------------


@transaction.atomic
def review_emergency(
    req: DisclosureRequest, *, by: User, reason: str, request: HttpRequest | None = None
) -> GateDecision:
    req = _lock(req)
    if not req.is_emergency:
        raise DisclosureError("Only an emergency release is reviewed afterwards.")
    if not reason.strip():
        raise DisclosureError("Record the outcome of your review.")
    if by.pk == req.released_by_id:
        raise DisclosureError("Someone other than the person who released it reviews it.")
    if may_sign_off(by, req) and req.decision(GateDecision.Gate.REVIEW_SUPERVISOR) is None:
        gate = GateDecision.Gate.REVIEW_SUPERVISOR
    elif by.has_role(Role.MANAGER) and req.decision(GateDecision.Gate.REVIEW_MANAGER) is None:
        gate = GateDecision.Gate.REVIEW_MANAGER
    else:
        raise DisclosureError("There is no review waiting for you on this request.")
    decision = _decide(req, gate, GateDecision.Outcome.DONE, by=by, reason=reason)
    _audit("disclosure.reviewed", req, by=by, request=request, gate=gate)
    return decision


def reviews_due(req: DisclosureRequest) -> list[str]:
    if not req.is_emergency:
        return []
    return [
        gate
        for gate in (GateDecision.Gate.REVIEW_SUPERVISOR, GateDecision.Gate.REVIEW_MANAGER)
        if req.decision(gate) is None
    ]


def review_overdue(req: DisclosureRequest, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        reviews_due(req)
        and req.released_at is not None
        and now > req.released_at + datetime.timedelta(hours=EMERGENCY_REVIEW_HOURS)
    )
