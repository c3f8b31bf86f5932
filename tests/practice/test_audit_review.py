"""Service managers' audit review: who may see the pages, filters, highlights, pagination,
the CSV export (no names, no note text, formula-safe), the chain check and the periodic
review with its reminder."""

from __future__ import annotations

import csv
import datetime
import io
import shutil
import subprocess
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clients import access as client_access
from clients import services as client_services
from notes import services as note_services
from notes.models import SessionNote
from practice.accounts.models import Role, User
from practice.audit import services
from practice.audit.models import AuditEvent, AuditHead, AuditReview
from practice.audit.services import EventFilter, record
from tests.conftest import make_client, make_user, verified_client
from tests.practice.test_audit import without_triggers

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def make_review(manager: User, **overrides: Any) -> AuditReview:
    values = {
        "period_start": datetime.date(2026, 1, 1),
        "period_end": datetime.date(2026, 3, 31),
        "scope": "Every highlighted event.",
        "findings": "Nothing out of place.",
    }
    return services.record_review(by=manager, **(values | overrides))


# -- who may see the pages -----------------------------------------------------------------------

PAGES = [
    ("audit:index", {}),
    ("audit:events", {}),
    ("audit:highlights", {}),
    ("audit:export", {}),
    ("audit:report", {}),
    ("audit:reviews", {}),
    ("audit:review_new", {}),
    ("audit:review_detail", {"pk": "review"}),
]
NOT_MANAGERS = ["counsellor", "supervisor", "administrator", "client_user", "outsider"]


def page_url(name: str, kwargs: dict[str, str], review: AuditReview) -> str:
    return reverse(name, kwargs={key: review.pk for key in kwargs})


@pytest.fixture
def review(manager: User) -> AuditReview:
    return make_review(manager)


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_a_manager_sees_every_page(
    manager: User, review: AuditReview, name: str, kwargs: dict[str, str]
) -> None:
    response = verified_client(manager).get(page_url(name, kwargs, review))
    assert response.status_code == 200


@pytest.mark.parametrize("persona", NOT_MANAGERS)
@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_nobody_else_finds_the_pages(
    request: pytest.FixtureRequest,
    review: AuditReview,
    persona: str,
    name: str,
    kwargs: dict[str, str],
) -> None:
    user = request.getfixturevalue(persona)
    response = verified_client(user).get(page_url(name, kwargs, review))
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(
    review: AuditReview, name: str, kwargs: dict[str, str]
) -> None:
    response = HttpClient().get(page_url(name, kwargs, review))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", NOT_MANAGERS)
def test_nobody_else_can_start_a_check(request: pytest.FixtureRequest, persona: str) -> None:
    user = request.getfixturevalue(persona)
    assert verified_client(user).post(reverse("audit:verify")).status_code == 404
    assert HttpClient().post(reverse("audit:verify")).status_code == 302
    assert not DBTaskResult.objects.exists()
    assert not AuditEvent.objects.filter(action="audit.verify_requested").exists()


@pytest.mark.parametrize("persona", NOT_MANAGERS)
def test_nobody_else_can_record_a_review(request: pytest.FixtureRequest, persona: str) -> None:
    user = request.getfixturevalue(persona)
    response = verified_client(user).post(
        reverse("audit:review_new"),
        {
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
            "scope": "x",
            "findings": "y",
        },
    )
    assert response.status_code == 404
    assert not AuditReview.objects.exists()
    with pytest.raises(services.ReviewError):
        make_review(user)


def test_a_missing_review_is_a_404(manager: User) -> None:
    response = verified_client(manager).get(reverse("audit:review_detail", args=[999]))
    assert response.status_code == 404


# -- filters -----------------------------------------------------------------------------------


def shown(manager: User, **query: str) -> list[int]:
    response = verified_client(manager).get(reverse("audit:events"), query)
    assert response.status_code == 200
    return [event.seq for event in response.context["rows"]]


@pytest.fixture
def trail(manager: User, counsellor: User, colleague: User) -> dict[str, AuditEvent]:
    """A small trail on known dates (London time; March 31 is in summer time)."""
    events = {}
    with time_machine.travel(at(2026, 3, 1, 9), tick=False):
        events["c1_note"] = record(
            "note.viewed", by=counsellor, client_ref="C-AAAA", data={"via": "allocated"}
        )
        events["c1_created"] = record("note.created", by=counsellor, client_ref="C-AAAA")
    with time_machine.travel(at(2026, 3, 31, 23, 30), tick=False):
        events["c2_identity"] = record(
            "identity.viewed", by=colleague, client_ref="C-BBBB", data={"via": "allocated"}
        )
        events["notes_other"] = record("notes.exported_elsewhere", by=colleague)
    with time_machine.travel(at(2026, 4, 1, 0, 30), tick=False):
        events["c1_identity"] = record(
            "identity.viewed", by=manager, client_ref="C-AAAA", data={"via": "manager"}
        )
    return events


def seqs(trail: dict[str, AuditEvent], *names: str) -> list[int]:
    return sorted((trail[name].seq for name in names), reverse=True)


def test_every_event_newest_first_without_a_filter(
    manager: User, trail: dict[str, AuditEvent]
) -> None:
    assert shown(manager) == sorted((e.seq for e in AuditEvent.objects.all()), reverse=True)


def test_filter_by_client_reference(manager: User, trail: dict[str, AuditEvent]) -> None:
    assert shown(manager, client="c-aaaa") == seqs(trail, "c1_note", "c1_created", "c1_identity")
    assert shown(manager, client="C-BBBB") == seqs(trail, "c2_identity")
    assert shown(manager, client="C-ZZZZ") == []


def test_filter_by_staff_member(
    manager: User, colleague: User, trail: dict[str, AuditEvent]
) -> None:
    assert shown(manager, staff=colleague.username) == seqs(trail, "c2_identity", "notes_other")
    assert shown(manager, staff="nobody-by-that-name") == []


def test_filter_by_action_exact_or_by_its_first_part(
    manager: User, trail: dict[str, AuditEvent]
) -> None:
    assert shown(manager, action="identity.viewed") == seqs(trail, "c2_identity", "c1_identity")
    # "note." is every note action, and not "notes.…"
    assert shown(manager, action="note.") == seqs(trail, "c1_note", "c1_created")
    assert shown(manager, action="note") == []


def test_filter_by_dates_uses_the_practice_s_days(
    manager: User, trail: dict[str, AuditEvent]
) -> None:
    assert shown(manager, start="2026-03-31", end="2026-03-31") == seqs(
        trail, "c2_identity", "notes_other"
    )
    assert shown(manager, start="2026-04-01") == seqs(trail, "c1_identity")
    assert shown(manager, end="2026-03-01") == seqs(trail, "c1_note", "c1_created")


def test_filters_combine(manager: User, counsellor: User, trail: dict[str, AuditEvent]) -> None:
    assert shown(manager, client="C-AAAA", start="2026-03-02") == seqs(trail, "c1_identity")
    assert shown(manager, client="C-AAAA", staff=counsellor.username, action="note.viewed") == (
        seqs(trail, "c1_note")
    )


def test_a_bad_filter_shows_an_error_and_no_events(
    manager: User, trail: dict[str, AuditEvent]
) -> None:
    response = verified_client(manager).get(
        reverse("audit:events"), {"start": "2026-04-02", "end": "2026-04-01"}
    )
    assert response.context["rows"] == []
    assert "The end of the range is before its start." in response.content.decode()
    response = verified_client(manager).get(reverse("audit:events"), {"action": "<script>"})
    assert response.context["rows"] == []
    assert "Enter an action" in response.content.decode()


# -- highlights --------------------------------------------------------------------------------


def flagged(code: str) -> set[str]:
    return set(
        services.events_matching(EventFilter(highlight=code)).values_list("action", flat=True)
    )


def test_highlights_flag_the_events_that_deserve_a_second_look(
    manager: User, counsellor: User, colleague: User, supervisor: User
) -> None:
    client = make_client(counsellor)
    plain_ids = {e.pk for e in AuditEvent.objects.all()}  # registering and contracting

    # Ordinary work: the allocated counsellor reads their own client.
    client_access.identity_for(counsellor, client)
    routine = AuditEvent.objects.latest("seq")
    assert routine.data == {"via": "allocated"}

    # Break-glass: the grant, and what was read through it.
    client_services.break_glass(client, by=colleague, reason="Covering an emergency")
    client_access.identity_for(colleague, client)
    through_glass = AuditEvent.objects.latest("seq")
    assert through_glass.data["via"] == "break_glass"

    # A manager reading identity is outside any allocation.
    client_access.identity_for(manager, client)
    by_manager = AuditEvent.objects.latest("seq")

    # A professional executor, activated by a manager, then reading.
    executor = make_user("exe", Role.COUNSELLOR)
    appointment = client_services.name_executor(
        counsellor=counsellor, executor=executor, by=counsellor
    )
    client_services.activate_executor(appointment, by=manager, reason_code="death")
    client_access.identity_for(executor, client)
    by_executor = AuditEvent.objects.latest("seq")
    assert by_executor.data["via"] == "executor"

    # Shapes recorded elsewhere (disclosures, sign-in, crypto), as those modules write them.
    sealed = record("disclosure.viewed", by=manager, data={"view": "detail", "sealed": True})
    unsealed = record("disclosure.viewed", by=manager, data={"view": "detail", "sealed": False})
    download = record("disclosure.downloaded", by=manager, data={"sealed": False})
    otp = record("auth.otp.failed", by=supervisor)
    lockout = record("auth.lockout", by=supervisor, data={"username_known": True})
    login_failed = record("auth.login.failed", by=supervisor, data={"username_known": True})
    decrypt = record("crypto.decrypt.failed", target=("notes.noteentry", 1), data={"field": "x"})

    def codes(event: AuditEvent) -> set[str]:
        tagged = services.tag_highlights([AuditEvent.objects.get(pk=event.pk)])[0]
        return {h.code for h in tagged.highlights}  # type: ignore[attr-defined]

    assert codes(routine) == set()
    assert codes(AuditEvent.objects.get(action="access.break_glass")) == {"break_glass"}
    assert codes(through_glass) == {"break_glass", "outside_allocation"}
    assert codes(by_manager) == {"outside_allocation"}
    assert codes(AuditEvent.objects.get(action="executor.activated")) == {"executor"}
    assert codes(by_executor) == {"executor", "outside_allocation"}
    assert codes(sealed) == {"sealed"}
    assert codes(unsealed) == set()
    assert codes(download) == {"export"}
    assert codes(otp) == {"sign_in"}
    assert codes(lockout) == {"sign_in"}
    assert codes(login_failed) == set()
    assert codes(decrypt) == {"decrypt_failed"}
    assert all(not codes(e) for e in AuditEvent.objects.filter(pk__in=plain_ids))

    assert flagged("sealed") == {"disclosure.viewed"}
    assert flagged("sign_in") == {"auth.otp.failed", "auth.lockout"}
    counts, total = services.highlight_counts(services.day_start(datetime.date(2000, 1, 1)))
    by_code = {h.code: n for h, n in counts}
    assert by_code == {
        "break_glass": 2,
        "outside_allocation": 3,
        "executor": 2,
        "export": 1,
        "sealed": 1,
        "sign_in": 2,
        "decrypt_failed": 1,
    }
    assert total == 10, "events matching two highlights are counted once in the total"

    # The page shows the tags and filters by them.
    assert shown(manager, highlight="executor") == sorted(
        [by_executor.seq, AuditEvent.objects.get(action="executor.activated").seq], reverse=True
    )
    page = verified_client(manager).get(reverse("audit:events")).content.decode()
    assert "Professional executor access" in page and "Sealed disclosures" in page


def test_the_highlights_page_counts_over_a_period(manager: User) -> None:
    with time_machine.travel(at(2026, 2, 10, 12), tick=False):
        record("auth.otp.failed", by=manager)
    with time_machine.travel(at(2026, 5, 10, 12), tick=False):
        record("auth.otp.failed", by=manager)
        record("crypto.decrypt.failed")
        client = verified_client(manager)
        response = client.get(
            reverse("audit:highlights"), {"start": "2026-02-01", "end": "2026-02-28"}
        )
        assert {h.code: n for h, n in response.context["counts"]}["sign_in"] == 1
        assert {h.code: n for h, n in response.context["counts"]}["decrypt_failed"] == 0
        default = client.get(reverse("audit:highlights"))  # the last 30 days
        assert {h.code: n for h, n in default.context["counts"]}["sign_in"] == 1
        assert default.context["flagged"] == 2
        assert "?highlight=decrypt_failed&amp;start=2026-04-10&amp;end=2026-05-10" in (
            default.content.decode()
        )


# -- pagination --------------------------------------------------------------------------------


def test_events_come_fifty_to_a_page_and_pages_keep_the_filter(manager: User) -> None:
    events = [record("test.event", client_ref="C-PAGE", data={"n": n}) for n in range(120)]
    record("test.event", client_ref="C-ELSE")
    newest_first = [e.seq for e in reversed(events)]
    client = verified_client(manager)
    first = client.get(reverse("audit:events"), {"client": "C-PAGE"})
    assert [e.seq for e in first.context["rows"]] == newest_first[:50]
    assert first.context["page"].paginator.count == 120
    assert "?client=C-PAGE&amp;page=2" in first.content.decode()
    third = client.get(reverse("audit:events"), {"client": "C-PAGE", "page": "3"})
    assert [e.seq for e in third.context["rows"]] == newest_first[100:]
    beyond = client.get(reverse("audit:events"), {"client": "C-PAGE", "page": "99"})
    assert [e.seq for e in beyond.context["rows"]] == newest_first[100:], "the last page"


def test_many_pages_are_elided_in_the_page_links(manager: User) -> None:
    for n in range(50 * 30 + 1):
        record("test.event", data={"n": n})
    page = verified_client(manager).get(reverse("audit:events"), {"page": "15"})
    content = page.content.decode()
    assert "page=31" in content and "page=15" not in content.split("aria-current")[0][-60:]
    assert "…" in content
    assert content.count("page=") < 20


# -- CSV export --------------------------------------------------------------------------------

CANARY_NAME = "Zebedeecanaryname"
CANARY_TEXT = "The canary said the bluebell story at the lighthouse"


def export(manager: User, **query: str) -> tuple[list[list[str]], str]:
    response = verified_client(manager).get(reverse("audit:export"), {"download": "csv", **query})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text))), text


def test_the_export_holds_references_and_never_names_or_note_text(
    manager: User, counsellor: User
) -> None:
    client = make_client(counsellor, given_name=CANARY_NAME, family_name=CANARY_NAME + "son")
    note = note_services.create_note(
        by=counsellor,
        kind=SessionNote.Kind.FACTUAL,
        client=client,
        session_date=timezone.localdate() - datetime.timedelta(days=1),
        duration_minutes=50,
        attendance=SessionNote.Attendance.ATTENDED,
        entries=[note_services.EntryInput(text=CANARY_TEXT)],
    )
    pages = verified_client(counsellor)
    detail = pages.get(client.get_absolute_url())
    assert CANARY_NAME in detail.content.decode(), "the page showed the name (and audited it)"
    note_page = pages.get(note.get_absolute_url())
    assert CANARY_TEXT in note_page.content.decode()
    today = timezone.localdate().isoformat()

    rows, text = export(manager, start=today, end=today)
    header, body = rows[0], rows[1:]
    assert header == list(services.EXPORT_COLUMNS)
    actions = {row[header.index("action")] for row in body}
    assert {"client.registered", "identity.viewed", "note.created", "note.viewed"} <= actions
    assert client.reference in {row[header.index("client_ref")] for row in body}
    assert CANARY_NAME.lower() not in text.lower()
    assert "canary" not in text.lower() and "bluebell" not in text.lower()
    # Every event of the day before the export is there, and the export itself was audited.
    before_export = AuditEvent.objects.exclude(action="audit.exported")
    assert [int(row[0]) for row in body] == [e.seq for e in before_export]
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor_id == manager.pk
    assert exported.data == {
        "format": "csv",
        "events": len(body),
        "up_to_seq": exported.seq - 1,
        "from": today,
        "to": today,
    }
    # Each row's MAC is the stored one.
    first = AuditEvent.objects.order_by("seq").first()
    assert body[0][header.index("mac")] == first.mac


def test_the_export_cannot_smuggle_a_spreadsheet_formula(manager: User) -> None:
    record("test.event", target=("test", '=HYPERLINK("http://x")'), username="@SUM(1+1)")
    record("test.event", target=("test", "-2+3"), client_ref="+C-1")
    record("test.event", target=("test", "\tcmd"))
    today = timezone.localdate().isoformat()
    rows, _ = export(manager, start=today, end=today, action="test.event")
    header, body = rows[0], rows[1:]
    targets = [row[header.index("target_id")] for row in body]
    assert targets == ['\'=HYPERLINK("http://x")', "'-2+3", "'\tcmd"]
    assert body[0][header.index("actor_username")] == "'@SUM(1+1)"
    assert body[1][header.index("client_ref")] == "'+C-1"
    for row in body:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_csv_safe() -> None:
    assert services.csv_safe("=1+1") == "'=1+1"
    assert services.csv_safe("+44") == "'+44"
    assert services.csv_safe("-x") == "'-x"
    assert services.csv_safe("@a") == "'@a"
    assert services.csv_safe("\rx") == "'\rx"
    assert services.csv_safe("note.viewed") == "note.viewed"
    assert services.csv_safe(None) == ""
    assert services.csv_safe(12) == "12"


def test_the_export_follows_the_filters_and_needs_a_period(
    manager: User, counsellor: User, trail: dict[str, AuditEvent]
) -> None:
    rows, _ = export(manager, start="2026-03-01", end="2026-03-31", client="C-AAAA")
    assert [int(row[0]) for row in rows[1:]] == [trail["c1_note"].seq, trail["c1_created"].seq]
    rows, _ = export(manager, start="2026-03-01", end="2026-04-30", highlight="outside_allocation")
    assert [int(row[0]) for row in rows[1:]] == [trail["c1_identity"].seq]
    assert rows[1][rows[0].index("highlights")] == "outside_allocation"

    before = AuditEvent.objects.count()
    missing = verified_client(manager).get(
        reverse("audit:export"), {"download": "csv", "client": "C-AAAA"}
    )
    assert missing.status_code == 200 and missing["Content-Type"].startswith("text/html")
    assert "There is a problem" in missing.content.decode()
    assert AuditEvent.objects.count() == before, "nothing exported, nothing recorded"
    # From the events page the form starts with that page's filters.
    prefilled = verified_client(manager).get(reverse("audit:export"), {"client": "C-AAAA"})
    assert prefilled.context["form"].initial["client"] == "C-AAAA"
    assert AuditEvent.objects.count() == before


# -- the chain's state and the check button ------------------------------------------------------


def test_a_manager_starts_a_check_that_the_worker_runs(transactional_audit: None) -> None:
    manager = make_user("max", Role.MANAGER)
    for n in range(5):
        record("test.event", data={"n": n})
    client = verified_client(manager)
    index = client.get(reverse("audit:index")).content.decode()
    assert "Not checked yet" in index

    response = client.post(reverse("audit:verify"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("audit:index")
    assert "The check has started in the background" in response.content.decode()
    assert "A check is running in the background" in response.content.decode()
    assert DBTaskResult.objects.count() == 1
    assert AuditEvent.objects.filter(action="audit.verify_requested", actor_id=manager.pk).exists()
    again = client.post(reverse("audit:verify"), follow=True)
    assert "A check is already running" in again.content.decode()
    assert DBTaskResult.objects.count() == 1, "asking twice queues one check"

    call_command(
        "db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO()
    )
    state = services.chain_state()
    assert state.ok is True and not state.pending and state.checked_at is not None
    index = client.get(reverse("audit:index")).content.decode()
    assert "Intact" in index and "A check is running" not in index


def test_a_check_that_never_ran_is_pointed_out(manager: User) -> None:
    with time_machine.travel(at(2026, 5, 1, 9), tick=False):
        assert services.request_verification(by=manager)
    with time_machine.travel(at(2026, 5, 1, 11), tick=False):
        state = services.chain_state()
        assert state.pending and state.stale
        page = verified_client(manager).get(reverse("audit:index")).content.decode()
        assert "Is the background worker running?" in page
        assert services.request_verification(by=manager), "a stale request may be repeated"


def test_a_broken_chain_is_shown_with_the_first_bad_event(manager: User) -> None:
    events = [record("test.event", data={"n": n}) for n in range(4)]
    without_triggers(
        "UPDATE audit_auditevent SET action = 'edited' WHERE seq = %s", [events[2].seq]
    )
    problem = services.run_verification()
    assert problem is not None and problem.seq == events[2].seq
    head = AuditHead.objects.get(id=1)
    assert head.last_verified_ok is False
    assert head.last_verified_problem == f"#{events[2].seq}: its content or MAC was changed"
    page = verified_client(manager).get(reverse("audit:index")).content.decode()
    assert "Broken" in page and f"#{events[2].seq}: its content or MAC was changed" in page


# -- periodic review ---------------------------------------------------------------------------


def test_a_manager_records_a_review_and_the_next_one_falls_due(manager: User) -> None:
    with time_machine.travel(at(2027, 1, 10, 10), tick=False):
        client = verified_client(manager)  # signed in "now", or the idle limit signs them out
        summary = services.manager_summary()
        assert summary["next_review_due"] is None and summary["review_due"]
        form = client.get(reverse("audit:review_new")).context["form"]
        assert form.initial["period_end"] == datetime.date(2027, 1, 10)
        response = client.post(
            reverse("audit:review_new"),
            {
                "period_start": "2026-10-01",
                "period_end": "2026-12-31",
                "scope": "Every highlighted event; a sample of note views for C-7KQ3.",
                "findings": "One break-glass use without a reason recorded.",
                "actions": "Spoke to the counsellor (cole).",
            },
        )
        review = AuditReview.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("audit:review_detail", args=[review.pk])
        assert review.reviewed_by == manager
        assert review.next_due == datetime.date(2027, 4, 11)  # 91 days on
        event = AuditEvent.objects.get(action="audit.review.recorded")
        assert event.actor_id == manager.pk and event.target_id == str(review.pk)
        assert event.data == {"from": "2026-10-01", "to": "2026-12-31", "next_due": "2027-04-11"}
        summary = services.manager_summary()
        assert summary["next_review_due"] == datetime.date(2027, 4, 11)
        assert not summary["review_due"] and not summary["review_overdue"]
        # The next review starts where this one stopped.
        assert services.suggested_review_period() == (
            datetime.date(2027, 1, 1),
            datetime.date(2027, 1, 10),
        )
        detail = client.get(response["Location"]).content.decode()
        assert "One break-glass use without a reason recorded." in detail
        listing = client.get(reverse("audit:reviews")).content.decode()
        assert "The next review is due by 11 April 2027." in listing
        assert reverse("audit:review_detail", args=[review.pk]) in listing
    with time_machine.travel(at(2027, 4, 11, 10), tick=False):
        summary = services.manager_summary()
        assert summary["review_due"] and not summary["review_overdue"]
    with time_machine.travel(at(2027, 4, 12, 10), tick=False):
        summary = services.manager_summary()
        assert summary["review_due"] and summary["review_overdue"]
        panel = render_to_string("practice/includes/audit_panel.html", {"audit_summary": summary})
        assert "Review overdue" in panel and "11 April 2027" in panel


def test_the_review_interval_is_a_setting(settings: Any, manager: User) -> None:
    settings.AUDIT_REVIEW_INTERVAL_DAYS = 30
    with time_machine.travel(at(2027, 1, 10, 10), tick=False):
        review = make_review(
            manager, period_start=datetime.date(2026, 12, 1), period_end=datetime.date(2026, 12, 31)
        )
    assert review.next_due == datetime.date(2027, 2, 9)
    assert services.next_review_due() == datetime.date(2027, 2, 9)


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"period_start": "2027-01-05", "period_end": "2027-01-01"}, "before its start"),
        ({"period_start": "2027-01-01", "period_end": "2027-01-11"}, "cannot end in the future"),
        ({"findings": ""}, "This field is required"),
        ({"period_start": "not a date"}, "Enter a valid date"),
    ],
)
def test_a_bad_review_is_refused_with_a_clear_error(
    manager: User, values: dict[str, str], error: str
) -> None:
    data = {
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "scope": "Highlights",
        "findings": "Nothing",
    } | values
    with time_machine.travel(at(2027, 1, 10, 10), tick=False):
        response = verified_client(manager).post(reverse("audit:review_new"), data)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert error in response.content.decode()
    assert not AuditReview.objects.exists()
    assert not AuditEvent.objects.filter(action="audit.review.recorded").exists()


def test_the_review_form_asks_for_no_client_names(manager: User) -> None:
    page = verified_client(manager).get(reverse("audit:review_new")).content.decode()
    assert "Never write a client&#x27;s name" in page


# -- the manager's home page panel ------------------------------------------------------------


def test_the_home_panel_shows_the_chain_the_review_and_the_highlights(manager: User) -> None:
    with time_machine.travel(at(2026, 1, 1, 12), tick=False):
        record("auth.otp.failed", by=manager)  # too old for the panel
    with time_machine.travel(at(2026, 6, 1, 12), tick=False):
        record("auth.otp.failed", by=manager)
        record("disclosure.viewed", by=manager, data={"sealed": True})
        services.run_verification()
        summary = services.manager_summary()
        assert summary["chain"].ok is True
        assert summary["highlight_total"] == 2
        panel = render_to_string("practice/includes/audit_panel.html", {"audit_summary": summary})
    assert "Intact" in panel and "1 Jun 2026, 12:00" in panel
    assert "No review of the audit trail has been recorded yet." in panel
    assert "2 events in the last 30 days deserve a second look" in panel
    assert "?highlight=sign_in&amp;start=2026-05-02" in panel
    assert "Sealed disclosures</a>: 1" in panel
    assert "Failed decryptions" not in panel, "highlights with nothing to show are left out"


# -- the summary report (PDF) --------------------------------------------------------------------


def test_a_manager_downloads_a_summary_report_of_a_period(
    manager: User, counsellor: User, colleague: User
) -> None:
    from disclosures.pdf import build_pack_html
    from practice.audit_views import _report_pack

    client = make_client(counsellor, given_name=CANARY_NAME, family_name=CANARY_NAME)
    client_services.break_glass(client, by=colleague, reason="Covering an emergency")
    client_access.identity_for(colleague, client)
    record("auth.otp.failed", by=colleague)
    make_review(
        manager,
        period_start=timezone.localdate() - datetime.timedelta(days=10),
        period_end=timezone.localdate(),
    )
    today = timezone.localdate().isoformat()
    response = verified_client(manager).get(
        reverse("audit:report"), {"report-start": today, "report-end": today}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.data["format"] == "pdf" and exported.actor_id == manager.pk
    assert exported.data["events"] == exported.seq - 1

    report = services.period_report(
        timezone.localdate(), timezone.localdate(), up_to_seq=exported.seq - 1
    )
    assert report.total == exported.seq - 1
    assert report.flagged == 3  # the grant, the read through it, the failed code
    assert [r.findings for r in report.reviews] == ["Nothing out of place."]
    html = build_pack_html(_report_pack(report, by=manager))
    assert "Audit trail report" in html
    assert "Break-glass use (2)" in html and "Lockouts and second-factor failures (1)" in html
    assert f"access.break_glass  {client.reference}" in html
    assert "via=break_glass" in html
    assert "identity.viewed: 1" in html  # events by action
    assert CANARY_NAME.lower() not in html.lower()
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
        ).stdout.decode()
        assert "Audit trail report" in text and client.reference in text
        assert CANARY_NAME.lower() not in text.lower()


def test_a_report_needs_a_valid_period(manager: User) -> None:
    response = verified_client(manager).get(
        reverse("audit:report"), {"report-start": "2026-05-02", "report-end": "2026-05-01"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "The end of the range is before its start." in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_a_long_list_of_flagged_events_is_cut_short(manager: User) -> None:
    for _n in range(7):
        record("auth.otp.failed", by=manager)
    today = timezone.localdate()
    report = services.period_report(today, today, limit=5)
    assert report.flagged == 7 and len(report.flagged_events) == 5
    from disclosures.pdf import build_pack_html
    from practice.audit_views import _report_pack

    html = build_pack_html(_report_pack(report, by=manager))
    assert "2 more not listed here: export the period as CSV to see every one." in html
