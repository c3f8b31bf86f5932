"""What is waiting for whom: the disclosure queues shown on the list page and the home pages.

Everything here starts from ``access.requests_visible_to`` (so nobody is told about a request
they may not see, sealed ones included) and asks the services' own questions
(``may_sign_off``, ``may_approve``, ``may_release``, ``release_blockers``, ``reviews_due``):
the queues can never disagree with what the action buttons and the services allow.

Nothing here is audited: the queues show references, categories, statuses and dates only,
never a recipient, a purpose or any content.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from disclosures import services
from disclosures.access import requests_visible_to
from disclosures.models import FINAL_STATES, DisclosureRequest, GateDecision, Status
from practice.accounts.models import Role, User


@dataclass(frozen=True)
class DueReview:
    """An emergency release that ``user`` still has to review (within 72 hours)."""

    request: DisclosureRequest
    gate: str  # GateDecision.Gate value: review_supervisor or review_manager
    due_at: datetime.datetime
    overdue: bool

    @property
    def gate_label(self) -> str:
        return str(GateDecision.Gate(self.gate).label)


@dataclass(frozen=True)
class BlockedRequest:
    """An approved request ``user`` would release, which something now stops."""

    request: DisclosureRequest
    reasons: list[str] = field(default_factory=list)


def _open_requests(user: User) -> QuerySet[DisclosureRequest]:
    return (
        requests_visible_to(user)
        .exclude(status__in=FINAL_STATES)
        .select_related("client", "client__counsellor", "raised_by")
        .prefetch_related("decisions")
        .order_by("due_on", "raised_at")
    )


def _is_counsellor_of(user: User, req: DisclosureRequest) -> bool:
    return req.raised_by_id == user.pk or (
        user.has_role(Role.COUNSELLOR) and req.client.counsellor_id == user.pk
    )


def next_step(user: User, req: DisclosureRequest) -> str:
    """The step ``user`` should take on ``req`` now, in words; "" when none is theirs."""
    cat = req.category
    if req.is_final:
        return ""
    if (
        req.status == Status.CONSENT_CLEARED
        and cat.needs_supervisor
        and services.may_sign_off(user, req)
    ):
        return _("Supervisor sign-off")
    if services.may_approve(user, req) and (
        req.status == Status.SIGNED_OFF
        or (req.status == Status.CONSENT_CLEARED and not cat.needs_supervisor)
    ):
        return _("Service-manager approval")
    if req.status == Status.RAISED and _is_counsellor_of(user, req):
        if cat.supervisor_consulted_first and not req.decision(
            GateDecision.Gate.SUPERVISOR_CONSULTED
        ):
            return _("Consult your supervisor and record it")
        return _("Record the consent step")
    if req.status == Status.APPROVED and services.may_release(user, req):
        if services.release_blockers(req):
            return _("Blocked: see why before releasing")
        return _("Release")
    return ""


def waiting_for(user: User) -> list[DisclosureRequest]:
    """Open requests on which the next step is ``user``'s: sign-off for the counsellor's
    supervisor, approval for a manager who may approve, the consent step and the release for
    the counsellor (including approved requests now blocked, e.g. consent withdrawn)."""
    statuses: set[str] = set()
    scope = Q(pk__in=[])
    if user.has_role(Role.SUPERVISOR):
        statuses.add(Status.CONSENT_CLEARED)
    if user.has_role(Role.MANAGER):
        statuses |= {Status.CONSENT_CLEARED, Status.SIGNED_OFF}
    if statuses:
        scope |= Q(status__in=statuses)
    # The requester's own steps (consent, release), and the approving manager's release.
    scope |= Q(status__in=[Status.RAISED, Status.APPROVED]) & (
        Q(raised_by=user) | Q(client__counsellor=user) | Q(decisions__by=user)
    )
    candidates = _open_requests(user).filter(scope).distinct()
    return [req for req in candidates if next_step(user, req)]


def review_gate_for(user: User, req: DisclosureRequest) -> str | None:
    """The review of an emergency release that ``user`` may record now, if any (the same
    rule services.review_emergency applies)."""
    if not req.is_emergency or user.pk == req.released_by_id:
        return None
    due = services.reviews_due(req)
    if GateDecision.Gate.REVIEW_SUPERVISOR in due and services.may_sign_off(user, req):
        return GateDecision.Gate.REVIEW_SUPERVISOR
    if GateDecision.Gate.REVIEW_MANAGER in due and user.has_role(Role.MANAGER):
        return GateDecision.Gate.REVIEW_MANAGER
    return None


def emergency_reviews_due(user: User) -> list[DueReview]:
    """Emergency releases waiting for ``user``'s review; ``overdue`` once 72 hours have
    passed since the release. Oldest first."""
    if not (user.has_role(Role.SUPERVISOR) or user.has_role(Role.MANAGER)):
        return []
    released = (
        requests_visible_to(user)
        .filter(is_emergency=True, status=Status.RELEASED)
        .select_related("client", "client__counsellor")
        .prefetch_related("decisions")
        .order_by("released_at")
    )
    due: list[DueReview] = []
    for req in released:
        gate = review_gate_for(user, req)
        if gate is None or req.released_at is None:
            continue
        due.append(
            DueReview(
                request=req,
                gate=gate,
                due_at=req.released_at + datetime.timedelta(hours=services.EMERGENCY_REVIEW_HOURS),
                overdue=services.review_overdue(req),
            )
        )
    return due


def blocked_for(user: User) -> list[BlockedRequest]:
    """Approved requests ``user`` would release (they raised it, or approved it) that cannot
    be released now, with the reasons (for example, the client withdrew consent)."""
    approved = _open_requests(user).filter(status=Status.APPROVED)
    blocked: list[BlockedRequest] = []
    for req in approved:
        if not services.may_release(user, req):
            continue
        reasons = services.release_blockers(req)
        if reasons:
            blocked.append(BlockedRequest(request=req, reasons=reasons))
    return blocked
