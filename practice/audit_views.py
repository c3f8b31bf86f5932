"""Service managers' pages over the audit trail: the chain's state, the events (filtered by
client reference, staff member, action, dates and highlights), the periodic review, and the
CSV export. Managers only; anyone else gets a 404.

The trail holds ids and codes only, so these pages and the export show no name and no note
text. Exports are audited (``audit.exported``); so are checks asked for and reviews recorded.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from practice.accounts.decorators import role_required
from practice.accounts.models import Role, User
from practice.audit import services
from practice.audit.forms import EventFilterForm, ExportForm, PeriodForm, ReviewForm
from practice.audit.models import AuditReview

EVENTS_PAGE_SIZE = 50
REVIEWS_PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _page(request: HttpRequest, items: Any, size: int) -> Page:
    return Paginator(items, size).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _asked(request: HttpRequest, form_class: type) -> bool:
    return any(request.GET.get(name) for name in form_class.base_fields)


@role_required(Role.MANAGER)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The chain's state with the button to check it, the review reminder, and the
    highlighted events of the last 30 days."""
    return render(
        request,
        "audit/index.html",
        {"summary": services.manager_summary(), "latest_review": services.latest_review()},
    )


@role_required(Role.MANAGER)
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    if services.request_verification(by=_user(request), request=request):
        messages.success(
            request,
            _(
                "The check has started in the background. On a long trail it can take a few "
                "minutes: reload this page to see the result."
            ),
        )
    else:
        messages.info(request, _("A check is already running. Reload this page in a minute."))
    return redirect("audit:index")


@role_required(Role.MANAGER)
@require_GET
def events(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET if _asked(request, EventFilterForm) else None)
    if not form.is_bound:
        matching = services.events_matching(services.EventFilter())
    elif form.is_valid():
        matching = services.events_matching(form.event_filter())
    else:
        matching = services.events_matching(services.EventFilter()).none()
    page = _page(request, matching, EVENTS_PAGE_SIZE)
    rows = services.tag_highlights(list(page.object_list))
    query = _query_without_page(request)
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "elided_range": page.paginator.get_elided_page_range(page.number),
            "query": query,
            "known_actions": services.known_actions(),
        },
    )


@role_required(Role.MANAGER)
@require_GET
def highlights(request: HttpRequest) -> HttpResponse:
    """How many events each highlight flags over a period (the last 30 days unless asked)."""
    today = timezone.localdate()
    default_start = today - datetime.timedelta(days=services.SUMMARY_DAYS)
    form = PeriodForm(
        request.GET if _asked(request, PeriodForm) else None,
        initial={"start": default_start, "end": today},
    )
    start, end = default_start, today
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    counts: list[Any] = []
    flagged = 0
    if not form.is_bound or form.is_valid():
        counts, flagged = services.highlight_counts(
            services.day_start(start), services.day_start(end + datetime.timedelta(days=1))
        )
    return render(
        request,
        "audit/highlights.html",
        {"form": form, "counts": counts, "flagged": flagged, "start": start, "end": end},
    )


REPORT_PREFIX = "report"


def _report_form(data: Any = None) -> PeriodForm:
    today = timezone.localdate()
    return PeriodForm(
        data,
        prefix=REPORT_PREFIX,
        initial={"start": today - services.review_interval(), "end": today},
    )


def _export_page(
    request: HttpRequest, form: ExportForm, report_form: PeriodForm | None = None
) -> HttpResponse:
    return render(
        request,
        "audit/export.html",
        {"form": form, "report_form": report_form or _report_form()},
    )


@role_required(Role.MANAGER)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """A CSV report of the events over a period (with any other filters), streamed. It holds
    what the trail holds: ids, references and codes, never names or note text."""
    if "download" not in request.GET:
        # Arriving from the events page: the form starts with that page's filters.
        initial = {name: request.GET.get(name, "") for name in ExportForm.base_fields}
        return _export_page(request, ExportForm(initial=initial))
    form = ExportForm(request.GET)
    if not form.is_valid():
        return _export_page(request, form)
    wanted = form.event_filter()
    _, up_to_seq = services.record_export(wanted, by=_user(request), request=request)
    response = StreamingHttpResponse(
        services.csv_lines(services.export_rows(wanted, up_to_seq=up_to_seq)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"audit-{wanted.start:%Y%m%d}-{wanted.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(Role.MANAGER)
@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    page = _page(request, AuditReview.objects.select_related("reviewed_by"), REVIEWS_PAGE_SIZE)
    return render(
        request,
        "audit/auditreview_list.html",
        {
            "page": page,
            "next_due": services.next_review_due(),
            "today": timezone.localdate(),
            "interval_days": services.review_interval().days,
        },
    )


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def review_new(request: HttpRequest) -> HttpResponse:
    start, end = services.suggested_review_period()
    form = ReviewForm(
        request.POST if request.method == "POST" else None,
        initial={"period_start": start, "period_end": end},
    )
    if request.method == "POST" and form.is_valid():
        try:
            review = services.record_review(by=_user(request), request=request, **form.cleaned_data)
        except services.ReviewError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Review recorded. The next one is due by %(date)s.")
                % {"date": date_format(review.next_due, "j F Y")},
            )
            return redirect("audit:review_detail", review.pk)
    return render(
        request,
        "audit/auditreview_form.html",
        {"form": form, "interval_days": services.review_interval().days},
    )


@role_required(Role.MANAGER)
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = AuditReview.objects.select_related("reviewed_by").filter(pk=pk).first()
    if review is None:
        raise Http404
    return render(request, "audit/auditreview_detail.html", {"review": review})


@role_required(Role.MANAGER)
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """A summary report of a period as a PDF, for a review meeting: events by action, the
    highlights with the flagged events listed, the reviews and the chain's state. Ids,
    references and codes only, like the trail; rendered here (it is a few pages)."""
    from disclosures.pdf import render_pack

    form = _report_form(request.GET)
    if not form.is_valid():
        return _export_page(request, ExportForm(), form)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    user = _user(request)
    _, up_to_seq = services.record_export(
        services.EventFilter(start=start, end=end), by=user, request=request, fmt="pdf"
    )
    content = render_pack(
        _report_pack(services.period_report(start, end, up_to_seq=up_to_seq), by=user)
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-report-{start:%Y%m%d}-{end:%Y%m%d}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


def _report_pack(report: services.PeriodReport, *, by: User) -> Any:
    from disclosures.pdf import Pack, PackItem

    period = _("%(start)s to %(end)s") % {
        "start": date_format(report.start, "j F Y"),
        "end": date_format(report.end, "j F Y"),
    }
    chain = report.chain
    if chain.ok is None:
        chain_text = _("The chain has not been checked.")
    elif chain.ok:
        chain_text = _("The chain was intact when last checked, on %(when)s.") % {
            "when": date_format(timezone.localtime(chain.checked_at), "j F Y, H:i")
        }
    else:
        chain_text = _("The last check, on %(when)s, found the chain broken at %(problem)s.") % {
            "when": date_format(timezone.localtime(chain.checked_at), "j F Y, H:i"),
            "problem": chain.problem or _("an event"),
        }
    summary = [
        _("Audit trail from %(period)s.") % {"period": period},
        _("Events in the period: %(total)s. Highlighted for a second look: %(flagged)s.")
        % {"total": report.total, "flagged": report.flagged},
        chain_text,
        "",
        _("Highlights:"),
        *[f"  {highlight.label}: {count}" for highlight, count in report.highlight_counts],
        "",
        _("Reviews recorded in the period:"),
        *(
            [
                f"  {date_format(timezone.localtime(r.reviewed_at), 'j F Y')}, "
                f"{r.reviewed_by.username}: "
                + _("%(start)s to %(end)s reviewed")
                % {
                    "start": date_format(r.period_start, "j M Y"),
                    "end": date_format(r.period_end, "j M Y"),
                }
                for r in report.reviews
            ]
            or ["  " + _("none")]
        ),
    ]
    items = []
    for highlight, count in report.highlight_counts:
        listed = [e for e in report.flagged_events if highlight in e.highlights]  # type: ignore[attr-defined]
        if not count:
            continue
        text = "\n".join(services.event_line(event) for event in listed)
        if len(listed) < count:
            text += "\n" + _(
                "%(more)s more not listed here: export the period as CSV to see every one."
            ) % {"more": count - len(listed)}
        items.append(
            PackItem(
                heading=f"{highlight.label} ({count})",
                meta=[(_("Period"), period)],
                text=text,
            )
        )
    by_action = "\n".join(f"{action}: {count}" for action, count in report.by_action)
    now = timezone.localtime()
    return Pack(
        reference=f"AUDIT-{report.start:%Y%m%d}-{report.end:%Y%m%d}",
        title=_("Audit trail report"),
        recipient=_("The practice's service managers (internal)"),
        purpose=_("Review of the audit trail, %(period)s") % {"period": period},
        basis=_("Internal accountability for access to client records"),
        client_reference=_("Every client (references only)"),
        approvers=[
            (_("Generated by"), by.get_full_name() or by.username, date_format(now, "j F Y"))
        ],
        items=items,
        generated_at=now,
        report_text="\n".join(summary),
        extra_sections=[(_("Events by action"), by_action or _("No events."))],
    )
