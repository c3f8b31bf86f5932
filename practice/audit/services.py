"""Writing, verifying, reviewing and archiving the audit trail."""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import hmac
import io
import json
import operator
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from practice.audit.models import AuditEvent, AuditHead, AuditReview

GENESIS_MAC = "0" * 64

# Keys whose values could carry confidential text are refused outright: audit data holds
# ids, references, counts, field names and short codes only.
_FORBIDDEN_DATA_KEYS = {"text", "body", "content", "note", "name", "password", "token", "otp_token"}
_MAX_DATA_VALUE_LENGTH = 200


def record(
    action: str,
    *,
    by: Any = None,
    target: models.Model | tuple[str, Any] | None = None,
    client_ref: str = "",
    data: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction if there is one.

    ``action`` is dotted (``auth.login.failed``, ``note.viewed``). ``target`` is a model
    instance or a (kind, id) pair. ``data`` must hold ids and codes only.
    """
    clean_data = _check_data(dict(data or {}))
    actor = by if by is not None else _request_user(request)
    if isinstance(target, models.Model):
        target_kind, target_id = target._meta.label_lower, str(target.pk)
    elif target is not None:
        target_kind, target_id = target[0], str(target[1])
    else:
        target_kind, target_id = "", ""
    ip = None
    if request is not None:
        from practice.accounts.ip import client_ip

        ip = client_ip(request)

    with transaction.atomic():
        AuditHead.objects.get_or_create(id=1)
        # Taking the head row first serialises writers on every database.
        AuditHead.objects.filter(id=1).update(seq=models.F("seq"))
        head = AuditHead.objects.select_for_update().get(id=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_username=getattr(actor, "username", "") or username,
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            client_ref=client_ref or "",
            ip=ip,
            data=clean_data,
            prev_mac=head.mac,
        )
        event.mac = event.compute_mac(settings.AUDIT_HMAC_KEY)
        event.save()
        head.seq, head.mac = event.seq, event.mac
        head.save(update_fields=["seq", "mac"])
    return event


def _request_user(request: HttpRequest | None) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _check_data(data: dict[str, Any]) -> dict[str, Any]:
    for key, value in data.items():
        if key.lower() in _FORBIDDEN_DATA_KEYS:
            raise ValueError(f"Audit data may not carry a '{key}' value.")
        if isinstance(value, str) and len(value) > _MAX_DATA_VALUE_LENGTH:
            raise ValueError(f"Audit data value for '{key}' is too long to be an id or code.")
    return data


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    reason: str


def verify_chain(key: bytes | None = None, *, chunk_size: int = 2000) -> ChainProblem | None:
    """Walk the whole chain; return the first problem, or None when it is intact."""
    key = key or settings.AUDIT_HMAC_KEY
    head = AuditHead.objects.filter(id=1).first()
    # Archiving removes the oldest events; the chain then starts where the archive ended.
    last_seq = head.archived_seq if head else 0
    prev_mac = head.archived_mac if head else GENESIS_MAC
    expected_seq = last_seq + 1
    for event in _iterate(chunk_size, after=last_seq):
        if event.seq != expected_seq:
            return ChainProblem(expected_seq, "an event is missing (gap in sequence)")
        if not hmac.compare_digest(event.prev_mac, prev_mac):
            return ChainProblem(event.seq, "does not follow the event before it")
        if not hmac.compare_digest(event.mac, event.compute_mac(key)):
            return ChainProblem(event.seq, "its content or MAC was changed")
        prev_mac, last_seq = event.mac, event.seq
        expected_seq += 1
    if head is not None and (head.seq != last_seq or not hmac.compare_digest(head.mac, prev_mac)):
        return ChainProblem(
            last_seq + 1, "events after this point were removed (chain head mismatch)"
        )
    if head is not None and head.archived_seq and not _archive_start_recorded(head):
        return ChainProblem(
            head.archived_seq + 1,
            "the chain starts where no archive ended (events before this point were removed)",
        )
    return None


def _archive_start_recorded(head: AuditHead) -> bool:
    """The head's archive columns are plain data; the newest ``audit.archived`` event, whose
    MAC the walk has just checked, says where the last archive really ended."""
    archived = (
        AuditEvent.objects.filter(action="audit.archived", seq__gt=head.archived_seq)
        .order_by("-seq")
        .first()
    )
    if archived is None or archived.data.get("last_seq") != head.archived_seq:
        return False
    return hmac.compare_digest(str(archived.data.get("last_mac", "")), head.archived_mac)


def _iterate(chunk_size: int, *, after: int) -> Iterator[AuditEvent]:
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:chunk_size])
        if not chunk:
            return
        yield from chunk
        after = chunk[-1].seq


def mark_verified(ok: bool, problem: ChainProblem | None = None) -> None:
    AuditHead.objects.get_or_create(id=1)
    AuditHead.objects.filter(id=1).update(
        last_verified_at=timezone.now(),
        last_verified_ok=ok,
        last_verified_problem=_describe_problem(problem) if problem is not None else "",
    )


def _describe_problem(problem: ChainProblem) -> str:
    return f"#{problem.seq}: {problem.reason}"[:200]


# -- reviewing the trail -----------------------------------------------------------------------
#
# Service managers review the trail by client reference, staff member, action and dates, with
# the events that deserve a second look highlighted. The rules for those are data, here and
# nowhere else: the pages, the counts on the home page and the CSV export all read HIGHLIGHTS.

# The ways clients.access.access_route says someone reached a client's records other than
# through their own allocation ("allocated", or "list" for their own caseload list). The
# foundation does not import domain apps, so the values are repeated here.
OUTSIDE_ALLOCATION_ROUTES = ("break_glass", "executor", "manager", "supervisor", "other")

# Actions that put bytes about a client (or the trail itself) into someone's hands.
EXPORT_ACTIONS = (
    "consent.evidence.downloaded",
    "disclosure.released",
    "disclosure.downloaded",
    "disclosure.document.downloaded",
    "disclosure.accountability_report",
    "portal.bundle.downloaded",
    "audit.exported",
    "audit.archived",
)

SIGN_IN_PROBLEM_ACTIONS = ("auth.lockout", "auth.otp.failed")


@dataclass(frozen=True)
class Highlight:
    code: str
    label: Any  # a lazily translated string
    condition: models.Q


HIGHLIGHTS: tuple[Highlight, ...] = (
    Highlight(
        "break_glass",
        _("Break-glass use"),
        models.Q(action="access.break_glass") | models.Q(data__via="break_glass"),
    ),
    Highlight(
        "outside_allocation",
        _("Access outside the allocation"),
        models.Q(data__via__in=OUTSIDE_ALLOCATION_ROUTES),
    ),
    Highlight(
        "executor",
        _("Professional executor access"),
        models.Q(action="executor.activated") | models.Q(data__via="executor"),
    ),
    Highlight("export", _("Exports and downloads"), models.Q(action__in=EXPORT_ACTIONS)),
    Highlight("sealed", _("Sealed disclosures"), models.Q(data__sealed=True)),
    Highlight(
        "sign_in",
        _("Lockouts and second-factor failures"),
        models.Q(action__in=SIGN_IN_PROBLEM_ACTIONS),
    ),
    Highlight("decrypt_failed", _("Failed decryptions"), models.Q(action="crypto.decrypt.failed")),
)
HIGHLIGHTS_BY_CODE = {highlight.code: highlight for highlight in HIGHLIGHTS}


@dataclass(frozen=True)
class EventFilter:
    """What a manager asked to see. Every value is an id or a code, never confidential text."""

    client_ref: str = ""
    username: str = ""
    action: str = ""  # an exact action, or a prefix ending in "." ("note." for every note action)
    start: datetime.date | None = None  # inclusive, in the practice's time zone
    end: datetime.date | None = None  # inclusive
    highlight: str = ""

    def is_empty(self) -> bool:
        return not any(
            [self.client_ref, self.username, self.action, self.start, self.end, self.highlight]
        )


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the practice's time zone (an aware datetime)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def events_matching(wanted: EventFilter) -> models.QuerySet[AuditEvent]:
    """The events ``wanted`` describes, newest first. Dates become a range on ``at`` (in the
    practice's time zone), so the index on ``at`` serves them."""
    events = AuditEvent.objects.all()
    if wanted.client_ref:
        events = events.filter(client_ref=wanted.client_ref)
    if wanted.username:
        from practice.accounts.models import User

        actor = User.objects.filter(username=wanted.username).only("pk").first()
        events = (
            events.filter(actor_id=actor.pk)
            if actor is not None
            else events.filter(actor_username=wanted.username)
        )
    if wanted.action:
        if wanted.action.endswith("."):
            events = events.filter(action__startswith=wanted.action)
        else:
            events = events.filter(action=wanted.action)
    if wanted.start:
        events = events.filter(at__gte=day_start(wanted.start))
    if wanted.end:
        events = events.filter(at__lt=day_start(wanted.end + datetime.timedelta(days=1)))
    if wanted.highlight:
        events = events.filter(HIGHLIGHTS_BY_CODE[wanted.highlight].condition)
    return events.order_by("-seq")


def with_highlights(events: models.QuerySet[AuditEvent]) -> models.QuerySet[AuditEvent]:
    """Add a boolean ``hl_<code>`` column per highlight, computed by the database."""
    return events.annotate(
        **{
            f"hl_{highlight.code}": models.Case(
                models.When(highlight.condition, then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
            for highlight in HIGHLIGHTS
        }
    )


def highlights_of(event: AuditEvent) -> list[Highlight]:
    """The highlights an event from ``with_highlights`` carries."""
    return [h for h in HIGHLIGHTS if getattr(event, f"hl_{h.code}", False)]


def tag_highlights(events: list[AuditEvent]) -> list[AuditEvent]:
    """Set ``event.highlights`` on one page of events (one small query for the page)."""
    flagged = {
        row.pk: highlights_of(row)
        for row in with_highlights(AuditEvent.objects.filter(pk__in=[e.pk for e in events]))
    }
    for event in events:
        event.highlights = flagged.get(event.pk, [])  # type: ignore[attr-defined]
    return events


def highlight_counts(
    since: datetime.datetime,
    until: datetime.datetime | None = None,
    *,
    up_to_seq: int | None = None,
) -> tuple[list[tuple[Highlight, int]], int]:
    """How many events since ``since`` (and before ``until``) each highlight flags, and how
    many events are flagged at all (an event can match several highlights): one scan."""
    events = AuditEvent.objects.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    if up_to_seq is not None:
        events = events.filter(seq__lte=up_to_seq)
    anything = functools.reduce(operator.or_, (h.condition for h in HIGHLIGHTS))
    counts = events.aggregate(
        _any=models.Count("pk", filter=anything),
        **{h.code: models.Count("pk", filter=h.condition) for h in HIGHLIGHTS},
    )
    return [(h, counts[h.code] or 0) for h in HIGHLIGHTS], counts["_any"] or 0


def known_actions() -> list[str]:
    """Every action in the trail, for the filter's suggestions (read off the action index)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


# -- CSV export ----------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "seq",
    "at_utc",
    "actor_id",
    "actor_username",
    "action",
    "target_kind",
    "target_id",
    "client_ref",
    "ip",
    "data",
    "highlights",
    "prev_mac",
    "mac",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_rows(
    wanted: EventFilter, *, up_to_seq: int | None = None, chunk_size: int = 2000
) -> Iterator[list[str]]:
    """The header row, then one row per event (up to ``up_to_seq``), oldest first. Events hold
    ids and codes only, so the report does too: no name, no note text."""
    yield list(EXPORT_COLUMNS)
    events = with_highlights(events_matching(wanted)).order_by("seq")
    if up_to_seq is not None:
        events = events.filter(seq__lte=up_to_seq)
    for event in events.iterator(chunk_size=chunk_size):
        row = [
            event.seq,
            event.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            event.actor_id,
            event.actor_username,
            event.action,
            event.target_kind,
            event.target_id,
            event.client_ref,
            event.ip,
            json.dumps(event.data, sort_keys=True, separators=(",", ":")),
            " ".join(h.code for h in highlights_of(event)),
            event.prev_mac,
            event.mac,
        ]
        yield [csv_safe(value) for value in row]


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """Each row as one CSV line, for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def record_export(
    wanted: EventFilter, *, by: Any, request: HttpRequest | None = None, fmt: str = "csv"
) -> tuple[AuditEvent, int]:
    """Audit an export before it starts. Returns the event, whose data says how many events
    the export holds and the last event it covers (``up_to_seq``): stream it with
    ``export_rows(wanted, up_to_seq=...)`` so the file holds exactly what was recorded."""
    head = AuditHead.objects.filter(id=1).first()
    up_to_seq = head.seq if head is not None else 0
    count = events_matching(wanted).filter(seq__lte=up_to_seq).count()
    event = record(
        "audit.exported",
        by=by,
        request=request,
        data=_filter_codes(wanted) | {"format": fmt, "events": count, "up_to_seq": up_to_seq},
    )
    return event, up_to_seq


def _filter_codes(wanted: EventFilter) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime.date) else value
        for key, value in [
            ("from", wanted.start),
            ("to", wanted.end),
            ("client_ref", wanted.client_ref),
            ("staff", wanted.username),
            ("action", wanted.action),
            ("highlight", wanted.highlight),
        ]
        if value
    }


# -- the period report (summary, for the PDF) ---------------------------------------------------

REPORT_LISTED_EVENTS = 500


@dataclass(frozen=True)
class PeriodReport:
    start: datetime.date
    end: datetime.date
    up_to_seq: int
    total: int
    by_action: list[tuple[str, int]]
    highlight_counts: list[tuple[Highlight, int]]
    flagged: int
    flagged_events: list[AuditEvent]  # oldest first, tagged, at most REPORT_LISTED_EVENTS
    reviews: list[AuditReview]  # recorded during the period
    chain: ChainState


def period_report(
    start: datetime.date,
    end: datetime.date,
    *,
    up_to_seq: int | None = None,
    limit: int = REPORT_LISTED_EVENTS,
) -> PeriodReport:
    """What a period's summary report says: events by action, the highlights with the
    flagged events listed (up to ``limit``), the reviews recorded and the chain's state."""
    since, until = day_start(start), day_start(end + datetime.timedelta(days=1))
    if up_to_seq is None:
        head = AuditHead.objects.filter(id=1).first()
        up_to_seq = head.seq if head is not None else 0
    events = events_matching(EventFilter(start=start, end=end)).filter(seq__lte=up_to_seq)
    by_action = [
        (row["action"], row["n"])
        for row in events.order_by()
        .values("action")
        .annotate(n=models.Count("pk"))
        .order_by("-n", "action")
    ]
    counts, flagged = highlight_counts(since, until, up_to_seq=up_to_seq)
    anything = functools.reduce(operator.or_, (h.condition for h in HIGHLIGHTS))
    listed = tag_highlights(list(events.filter(anything).order_by("seq")[:limit]))
    return PeriodReport(
        start=start,
        end=end,
        up_to_seq=up_to_seq,
        total=sum(n for _action, n in by_action),
        by_action=by_action,
        highlight_counts=counts,
        flagged=flagged,
        flagged_events=listed,
        reviews=list(
            AuditReview.objects.filter(reviewed_at__gte=since, reviewed_at__lt=until)
            .select_related("reviewed_by")
            .order_by("reviewed_at")
        ),
        chain=chain_state(),
    )


def event_line(event: AuditEvent) -> str:
    """One event as a line of plain text: ids and codes only, like the event itself."""
    details = " ".join(f"{key}={value}" for key, value in sorted(event.data.items()))
    parts = [
        f"#{event.seq}",
        f"{timezone.localtime(event.at):%d %b %Y %H:%M}",
        event.actor_username or "-",
        event.action,
        event.client_ref,
        f"{event.target_kind} {event.target_id}".strip(),
        details,
    ]
    return "  ".join(part for part in parts if part)


# -- the chain's state and checking it from the review page ----------------------------------

# A check asked for longer ago than this, and not finished, probably has no worker to run it.
VERIFY_STALE_AFTER = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class ChainState:
    ok: bool | None  # None: never checked
    checked_at: datetime.datetime | None
    problem: str
    requested_at: datetime.datetime | None
    pending: bool  # a check was asked for and has not finished
    stale: bool  # ...and was asked for long ago: is the background worker running?
    head_seq: int
    archived_seq: int


def chain_state() -> ChainState:
    head = AuditHead.objects.filter(id=1).first() or AuditHead(id=1)
    pending = head.verify_requested_at is not None and (
        head.last_verified_at is None or head.last_verified_at < head.verify_requested_at
    )
    stale = bool(
        pending
        and head.verify_requested_at is not None
        and timezone.now() - head.verify_requested_at > VERIFY_STALE_AFTER
    )
    return ChainState(
        ok=head.last_verified_ok,
        checked_at=head.last_verified_at,
        problem=head.last_verified_problem,
        requested_at=head.verify_requested_at,
        pending=pending,
        stale=stale,
        head_seq=head.seq,
        archived_seq=head.archived_seq,
    )


def request_verification(*, by: Any, request: HttpRequest | None = None) -> bool:
    """Ask the background worker to check the chain (it can take a while on a big trail).
    Returns False when a check asked for recently has not finished yet (nothing queued)."""
    from practice.audit.tasks import verify_in_background

    state = chain_state()
    if state.pending and not state.stale:
        return False
    with transaction.atomic():
        AuditHead.objects.get_or_create(id=1)
        AuditHead.objects.filter(id=1).update(verify_requested_at=timezone.now())
        record("audit.verify_requested", by=by, request=request)
        # The database backend stores the task in this transaction: queued only if recorded.
        verify_in_background.enqueue()
    return True


def run_verification() -> ChainProblem | None:
    """Check the chain now and remember the outcome (the command and the worker use this)."""
    problem = verify_chain()
    mark_verified(problem is None, problem)
    return problem


# -- periodic review -----------------------------------------------------------------------------


class ReviewError(ValueError):
    """A periodic review that cannot be recorded as given."""


def review_interval() -> datetime.timedelta:
    return datetime.timedelta(days=settings.AUDIT_REVIEW_INTERVAL_DAYS)


def latest_review() -> AuditReview | None:
    return AuditReview.objects.select_related("reviewed_by").first()


def next_review_due() -> datetime.date | None:
    """When the next review is due; None when no review has been recorded (one is due now)."""
    latest = latest_review()
    return latest.next_due if latest is not None else None


def suggested_review_period() -> tuple[datetime.date, datetime.date]:
    """From the day after the last reviewed period (or one interval ago) to today."""
    today = timezone.localdate()
    latest = latest_review()
    start = (
        latest.period_end + datetime.timedelta(days=1)
        if latest is not None
        else today - review_interval()
    )
    return min(start, today), today


@transaction.atomic
def record_review(
    *,
    by: Any,
    period_start: datetime.date,
    period_end: datetime.date,
    scope: str,
    findings: str,
    actions: str = "",
    request: HttpRequest | None = None,
) -> AuditReview:
    """Record that ``by`` (a service manager) reviewed the trail; the next review falls due
    AUDIT_REVIEW_INTERVAL_DAYS after today."""
    from practice.accounts.models import Role

    if not by.has_role(Role.MANAGER):
        raise ReviewError(_("Only a service manager records an audit review."))
    today = timezone.localdate()
    if period_end < period_start:
        raise ReviewError(_("The end of the period is before its start."))
    if period_end > today:
        raise ReviewError(_("The period cannot end in the future."))
    if not scope.strip() or not findings.strip():
        raise ReviewError(_("Say what was looked at and what was found."))
    review = AuditReview.objects.create(
        reviewed_by=by,
        reviewed_at=timezone.now(),
        period_start=period_start,
        period_end=period_end,
        scope=scope.strip(),
        findings=findings.strip(),
        actions=actions.strip(),
        next_due=today + review_interval(),
    )
    record(
        "audit.review.recorded",
        by=by,
        target=review,
        request=request,
        data={
            "from": period_start.isoformat(),
            "to": period_end.isoformat(),
            "next_due": review.next_due.isoformat(),
        },
    )
    return review


# -- the manager's home page ---------------------------------------------------------------------

SUMMARY_DAYS = 30


def manager_summary() -> dict[str, Any]:
    """What the manager's home page shows about the trail (templates/practice/includes/
    audit_panel.html): the chain's state and last check, when the next review is due, and
    how many events each highlight flagged in the last 30 days."""
    today = timezone.localdate()
    due = next_review_due()
    since = day_start(today - datetime.timedelta(days=SUMMARY_DAYS))
    counts, flagged = highlight_counts(since)
    return {
        "chain": chain_state(),
        "next_review_due": due,
        "review_due": due is None or due <= today,
        "review_overdue": due is not None and due < today,
        "highlight_days": SUMMARY_DAYS,
        "highlight_since": since.date(),
        "highlight_counts": counts,
        "highlight_total": flagged,
    }


# -- archiving old events ------------------------------------------------------------------------


class ArchiveError(Exception):
    """Archiving was refused or failed; nothing was deleted."""


@dataclass(frozen=True)
class ArchiveResult:
    cutoff: datetime.datetime
    count: int
    first_seq: int | None = None
    last_seq: int | None = None
    last_mac: str = ""
    path: Path | None = None
    sha256: str = ""
    dry_run: bool = False


_ARCHIVE_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "target_kind",
    "target_id",
    "client_ref",
    "ip",
    "data",
    "prev_mac",
    "mac",
)


def archive_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Events before this moment are old enough to archive (AUDIT_ARCHIVE_AFTER_YEARS)."""
    now = now or timezone.now()
    years = settings.AUDIT_ARCHIVE_AFTER_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February, and the year then was not a leap year
        return now.replace(year=now.year - years, day=28)


def archive_events(
    *, output: Path | None = None, dry_run: bool = False, cutoff: datetime.datetime | None = None
) -> ArchiveResult:
    """Move the oldest events (before ``cutoff``, by default AUDIT_ARCHIVE_AFTER_YEARS ago)
    out of the database without breaking the chain.

    1. The whole chain must verify first: archiving must not launder a tampered event.
    2. The events go to a new JSON-lines file, one event per line with every field and both
       MACs, flushed and fsynced before anything is deleted.
    3. One transaction deletes them (through the triggers' archive switch), moves the chain's
       starting point (AuditHead.archived_seq/archived_mac) to the last archived event, and
       records ``audit.archived`` with the counts and the file's SHA-256.

    ``verify_chain`` then checks the live trail from the archive's end, and
    ``verify_archive`` checks the file from genesis (or from the previous archive's end).
    """
    cutoff = cutoff or archive_cutoff()
    head = AuditHead.objects.filter(id=1).first() or AuditHead(id=1)
    after_seq = head.archived_seq
    # The archive is always a whole prefix of the chain, and only of old events: it ends
    # before the first recent one (an event stamped by a wrong clock must not carry newer
    # events into the archive with it).
    live = AuditEvent.objects.filter(seq__gt=after_seq)
    first_recent = live.filter(at__gte=cutoff).aggregate(first=models.Min("seq"))["first"]
    if first_recent is not None:
        last_seq = first_recent - 1
    else:
        last_seq = live.aggregate(last=models.Max("seq"))["last"] or after_seq
    if last_seq <= after_seq:
        return ArchiveResult(cutoff=cutoff, count=0, dry_run=dry_run)
    selected = AuditEvent.objects.filter(seq__gt=after_seq, seq__lte=last_seq)
    if dry_run:
        return ArchiveResult(
            cutoff=cutoff,
            count=selected.count(),
            first_seq=after_seq + 1,
            last_seq=last_seq,
            dry_run=True,
        )
    problem = verify_chain()
    if problem is not None:
        raise ArchiveError(
            f"The audit chain does not verify (event #{problem.seq}: {problem.reason}); "
            "nothing was archived."
        )
    path = output or Path(f"audit-archive-{after_seq + 1:09d}-{last_seq:09d}.jsonl")
    count, last_mac, digest = _write_archive(path, after_seq=after_seq, last_seq=last_seq)

    try:
        with transaction.atomic():
            AuditHead.objects.filter(id=1).update(seq=models.F("seq"))
            locked = AuditHead.objects.select_for_update().get(id=1)
            if locked.archived_seq != after_seq:
                raise ArchiveError("Another archive ran at the same time; nothing was archived.")
            deleted = _delete_archived(after_seq=after_seq, last_seq=last_seq)
            if deleted != count:
                raise ArchiveError(
                    f"{count} events were written but {deleted} would be deleted; "
                    "nothing was archived."
                )
            following = AuditEvent.objects.filter(seq=last_seq + 1).first()
            if following is not None and not hmac.compare_digest(following.prev_mac, last_mac):
                raise ArchiveError("The archive does not join the events after it; nothing done.")
            AuditHead.objects.filter(id=1).update(archived_seq=last_seq, archived_mac=last_mac)
            record(
                "audit.archived",
                data={
                    "events": count,
                    "first_seq": after_seq + 1,
                    "last_seq": last_seq,
                    "last_mac": last_mac,
                    "before": cutoff.date().isoformat(),
                    "sha256": digest,
                },
            )
    except BaseException:
        # Nothing was deleted (the transaction rolled back): the file would only mislead.
        path.unlink(missing_ok=True)
        raise
    return ArchiveResult(
        cutoff=cutoff,
        count=count,
        first_seq=after_seq + 1,
        last_seq=last_seq,
        last_mac=last_mac,
        path=path,
        sha256=digest,
    )


def _archive_line(event: AuditEvent) -> bytes:
    values = {name: getattr(event, name) for name in _ARCHIVE_FIELDS}
    values["at"] = event.at.isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def _write_archive(path: Path, *, after_seq: int, last_seq: int) -> tuple[int, str, str]:
    """Write events after_seq+1..last_seq to a new file (never over an existing one), readable
    by its owner only, and make sure it is on disk. Returns (count, last MAC, SHA-256)."""
    digest = hashlib.sha256()
    count, last_mac = 0, ""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            for event in _iterate(2000, after=after_seq):
                if event.seq > last_seq:
                    break
                line = _archive_line(event)
                handle.write(line)
                digest.update(line)
                count, last_mac = count + 1, event.mac
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    directory = os.open(path.resolve().parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return count, last_mac, digest.hexdigest()


def _delete_archived(*, after_seq: int, last_seq: int) -> int:
    """Delete the archived events past the append-only triggers, inside the caller's
    transaction: the switch is on only for this statement."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL practice.audit_archiving = 'on'")
        elif connection.vendor == "sqlite":
            cursor.execute("INSERT INTO audit_archive_permit (id) VALUES (1)")
        else:  # pragma: no cover - only the two supported databases have the triggers
            raise ArchiveError(f"Archiving is not supported on {connection.vendor}.")
        try:
            cursor.execute(
                f"DELETE FROM {table} WHERE seq > %s AND seq <= %s",
                [after_seq, last_seq],
            )
            deleted = cursor.rowcount
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL practice.audit_archiving = 'off'")
            else:
                cursor.execute("DELETE FROM audit_archive_permit")
    return deleted


@dataclass(frozen=True)
class ArchiveCheck:
    problem: ChainProblem | None
    count: int
    first_seq: int | None
    last_seq: int
    last_mac: str


def verify_archive(
    path: Path,
    *,
    after_seq: int = 0,
    after_mac: str = GENESIS_MAC,
    key: bytes | None = None,
) -> ArchiveCheck:
    """Check an archive file the way verify_chain checks the table: from genesis, or from the
    end of the archive before it (``after_seq``/``after_mac``, as archive_audit printed)."""
    key = key or settings.AUDIT_HMAC_KEY
    prev_mac, last_seq, count, first_seq = after_mac, after_seq, 0, None
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                values = json.loads(line)
                values["at"] = datetime.datetime.fromisoformat(values["at"])
                event = AuditEvent(**{name: values[name] for name in _ARCHIVE_FIELDS})
            except (ValueError, KeyError, TypeError):
                return ArchiveCheck(
                    ChainProblem(last_seq + 1, f"line {number} is not an archived event"),
                    count,
                    first_seq,
                    last_seq,
                    prev_mac,
                )
            problem = None
            if event.seq != last_seq + 1:
                problem = ChainProblem(last_seq + 1, "an event is missing (gap in sequence)")
            elif not hmac.compare_digest(event.prev_mac, prev_mac):
                problem = ChainProblem(event.seq, "does not follow the event before it")
            elif not hmac.compare_digest(event.mac, event.compute_mac(key)):
                problem = ChainProblem(event.seq, "its content or MAC was changed")
            if problem is not None:
                return ArchiveCheck(problem, count, first_seq, last_seq, prev_mac)
            first_seq = event.seq if first_seq is None else first_seq
            prev_mac, last_seq, count = event.mac, event.seq, count + 1
    return ArchiveCheck(None, count, first_seq, last_seq, prev_mac)
