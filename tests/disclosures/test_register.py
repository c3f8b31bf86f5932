"""The register of disclosures: a real release and what it records, the managers' register
page and accountability report, and proof that nothing else renders client content to a
file."""

from __future__ import annotations

import ast
import hashlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from disclosures import services
from disclosures.models import RegisterEntry, ReleasedDocument
from notes import services as note_services
from notes.services import EntryInput
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_user
from tests.disclosures.conftest import (
    approved_court_order,
    disclosure_consent,
    raise_court_order,
    upload,
)

HOSTILE_FILE = "file:///etc/passwd"
HOSTILE_IMG = '<img src="http://127.0.0.1:9/x">'
CHOSEN = "Chosen entry about the accident"
NOT_CHOSEN = "Unchosen entry about the weekend"
FAKE_PDF = b"%PDF-1.7 test"


def url(name: str, *args: Any) -> str:
    return reverse(f"disclosures:{name}", args=args)


def pdf_text(content: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the released PDF")
    source = tmp_path / "pack.pdf"
    source.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, timeout=60
    )
    return " ".join(result.stdout.decode().split())


@pytest.fixture
def fake_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("disclosures.pdf.render_pack", lambda pack: FAKE_PDF)


# -- a real release -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_real_release_holds_exactly_what_was_chosen(
    tmp_path: Path,
    counsellor: User,
    supervisor: User,
    manager: User,
    client_record: Any,
    as_user: Callable[[User], HttpClient],
) -> None:
    note = note_services.create_note(
        by=counsellor,
        kind="factual",
        client=client_record,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[
            EntryInput(text=CHOSEN),
            EntryInput(text=HOSTILE_FILE),
            EntryInput(text=HOSTILE_IMG),
            EntryInput(text=NOT_CHOSEN),
        ],
    )
    note_services.sign_note(note, by=counsellor)
    chosen = list(note.entries.order_by("position"))[:3]
    req = raise_court_order(counsellor, client_record)
    services.choose_content(req, by=counsellor, entry_ids=[e.pk for e in chosen])
    services.clear_consent(req, by=counsellor, outcome="not_required", reason="Order served")
    services.sign_off(req, by=supervisor)
    services.approve(req, by=manager)

    released = services.release(req, by=counsellor)

    register = RegisterEntry.objects.get(request=req)
    stored = ReleasedDocument.objects.get(request=req)
    content = bytes(stored.pdf)
    assert content.startswith(b"%PDF-")
    digest = hashlib.sha256(content).hexdigest()
    assert digest == register.sha256 == stored.sha256 == released.register.sha256
    assert register.item_count == 3 and set(register.items) == {str(e.pk) for e in chosen}
    # the stored copy is ciphertext in the table, and decrypts to the very same bytes
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pdf FROM {ReleasedDocument._meta.db_table} WHERE id = %s",
            [stored.pk.hex if connection.vendor == "sqlite" else stored.pk],
        )
        raw = bytes(cursor.fetchone()[0])
    assert b"%PDF-" not in raw and CHOSEN.encode() not in raw
    downloaded = as_user(counsellor).get(url("download", req.pk))
    assert downloaded.content == content

    text = pdf_text(content, tmp_path)
    assert CHOSEN in text
    assert HOSTILE_FILE in text, "hostile text is printed literally"
    assert HOSTILE_IMG in text
    assert NOT_CHOSEN not in text
    assert "Jordan" not in text and "Fielding" not in text
    assert req.reference in text and client_record.reference in text


# -- the register page ----------------------------------------------------------------------------


@pytest.fixture
def registered(
    fake_renderer: None,
    counsellor: User,
    supervisor: User,
    manager: User,
    client_record: Any,
    other_client: Any,
    colleague: User,
    entries: list[Any],
) -> dict[str, Any]:
    """Three releases: a court order and a sealed terrorism disclosure about client_record,
    and a consented release to a GP."""
    court = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    services.release(court, by=counsellor)

    sealed = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="terrorism",
        requester_kind="practice",
        requester="Practice",
        recipient="Counter Terrorism Policing",
        purpose="s.38B",
        asked_for="Relevant notes",
        received_on=timezone.localdate(),
    )
    services.choose_content(sealed, by=counsellor, entry_ids=[entries[0].pk])
    services.clear_consent(sealed, by=counsellor, outcome="must_not_seek")
    services.sign_off(sealed, by=supervisor)
    services.approve(sealed, by=manager)
    services.release(sealed, by=manager)

    consented = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="client_request",
        requester_kind="client",
        requester="The client",
        recipient="Dr Patel, GP",
        purpose="Continuity of care",
        asked_for="A summary",
        received_on=timezone.localdate(),
        documents=[("release_form", upload())],
    )
    consent = disclosure_consent(counsellor, client_record)
    services.choose_content(consented, by=counsellor, entry_ids=[entries[0].pk])
    services.clear_consent(consented, by=counsellor, outcome="consented", consent=consent)
    services.sign_off(consented, by=supervisor)
    services.approve(consented, by=manager)
    services.release(consented, by=counsellor)
    return {"court": court, "sealed": sealed, "consented": consented}


@pytest.mark.django_db
def test_managers_see_the_whole_register_with_sealed_rows_tagged(
    registered: dict[str, Any], manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    body = as_user(manager).get(url("register")).content.decode()
    for req in registered.values():
        assert req.reference in body
    assert "Sealed" in body and "Counter Terrorism Policing" in body and "Dr Patel, GP" in body
    assert AuditEvent.objects.filter(
        action="disclosure.register.viewed", actor_id=manager.pk
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"category": "court_order"}, {"court"}),
        ({"recipient": "dr patel, gp"}, {"consented"}),
        ({"recipient": "Dr Patel"}, set()),  # exact match only
        ({"client": "C-NONE"}, set()),
        ({"released_from": "2000-01-01", "released_to": "2000-12-31"}, set()),
    ],
    ids=["category", "recipient", "recipient-not-partial", "other-client", "dates"],
)
def test_register_filters(
    query: dict[str, str],
    expected: set[str],
    registered: dict[str, Any],
    manager: User,
    client_record: Any,
    as_user: Callable[[User], HttpClient],
) -> None:
    response = as_user(manager).post(url("register"), query, follow=True)
    body = response.content.decode()
    for name, req in registered.items():
        assert (req.reference in body) == (name in expected), name
    # A recipient is clinical information: the page's address never carries it as text.
    final_url = response.redirect_chain[-1][0] if response.redirect_chain else ""
    assert "patel" not in final_url.lower()


@pytest.mark.django_db
def test_register_filter_by_client_and_today(
    registered: dict[str, Any],
    manager: User,
    client_record: Any,
    as_user: Callable[[User], HttpClient],
) -> None:
    today = timezone.localdate().isoformat()
    query = {
        "client": client_record.reference.lower(),
        "released_from": today,
        "released_to": today,
    }
    body = as_user(manager).post(url("register"), query, follow=True).content.decode()
    assert all(req.reference in body for req in registered.values())
    bad = as_user(manager).post(
        url("register"), {"released_from": today, "released_to": "2000-01-01"}
    )
    assert "There is a problem" in bad.content.decode()


@pytest.mark.django_db
def test_the_register_is_paginated(
    fake_renderer: None,
    counsellor: User,
    supervisor: User,
    manager: User,
    client_record: Any,
    entries: list[Any],
    as_user: Callable[[User], HttpClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("disclosures.views.REGISTER_PAGE_SIZE", 2)
    references = []
    for _ in range(3):
        req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
        services.release(req, by=counsellor)
        references.append(req.reference)
    first = as_user(manager).get(url("register")).content.decode()
    second = as_user(manager).get(url("register"), {"page": 2}).content.decode()
    assert sum(ref in first for ref in references) == 2
    assert sum(ref in second for ref in references) == 1
    assert 'aria-current="page">2<' in second


# -- the accountability report --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_accountability_report_lists_each_disclosure_without_consent(
    registered: dict[str, Any],
    manager: User,
    client_record: Any,
    entries: list[Any],
    tmp_path: Path,
    as_user: Callable[[User], HttpClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.undo()  # the real renderer for the report itself
    response = as_user(manager).get(url("accountability", client_record.reference))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="accountability-{client_record.reference}.pdf"'
    )
    text = pdf_text(response.content, tmp_path)
    court = RegisterEntry.objects.get(request=registered["court"])
    assert registered["court"].reference in text
    assert court.sha256[:32] in text.replace(" ", "")
    assert "legal obligation" in text and "County Court at Exampleton" in text
    assert "Max Test" in text and "Suki Test" in text  # who approved and signed off
    assert registered["consented"].reference not in text, "consented releases are not listed"
    assert registered["sealed"].reference not in text, "sealed ones only when asked for"
    assert entries[0].text not in text, "no note text in the report"
    event = AuditEvent.objects.get(action="disclosure.accountability_report")
    assert event.client_ref == client_record.reference and event.data["entries"] == 1

    with_sealed = as_user(manager).get(
        url("accountability", client_record.reference), {"sealed": "include"}
    )
    text = pdf_text(with_sealed.content, tmp_path)
    assert registered["sealed"].reference in text and "Sealed" in text


@pytest.mark.django_db
def test_only_managers_get_the_accountability_report(
    fake_renderer: None,
    client_record: Any,
    counsellor: User,
    supervisor: User,
    administrator: User,
    as_user: Callable[[User], HttpClient],
) -> None:
    for user in (counsellor, supervisor, administrator, make_user("stranger")):
        assert as_user(user).get(url("accountability", client_record.reference)).status_code == 404
    assert not AuditEvent.objects.filter(action="disclosure.accountability_report").exists()


@pytest.mark.django_db
def test_only_managers_see_the_register(
    registered: dict[str, Any],
    counsellor: User,
    supervisor: User,
    administrator: User,
    as_user: Callable[[User], HttpClient],
) -> None:
    for user in (counsellor, supervisor, administrator, make_user("mgr2", Role.COUNSELLOR)):
        assert as_user(user).get(url("register")).status_code == 404


# -- nothing else renders client content to a file -----------------------------------------------

SCANNED_APPS = ("clients", "notes", "consent", "disclosures", "practice")

# Every place allowed to render a PDF or send one, as (file, enclosing function, what).
ALLOWED: set[tuple[str, str, str]] = {
    # the release service renders the pack: the one way client content leaves the practice
    ("disclosures/services.py", "_release_now", "render_pack"),
    # the renderer itself
    ("disclosures/pdf.py", "<module>", "import weasyprint"),
    ("disclosures/pdf.py", "_write_pdf", "write_pdf"),
    # the stored, released PDF, downloaded by a participant (audited)
    ("disclosures/views.py", "download", "pdf response"),
    # the client's own released bundle, downloaded in their portal (audited)
    ("disclosures/portal_views.py", "record_pdf", "pdf response"),
    # the accountability report: about releases, no note content (managers only, audited)
    ("disclosures/views.py", "accountability", "render_pack"),
    ("disclosures/views.py", "accountability", "pdf response"),
    # the audit trail's summary report: ids, references and codes only (managers, audited)
    ("practice/audit_views.py", "report", "render_pack"),
    ("practice/audit_views.py", "report", "pdf response"),
}

_RESPONSES = {"HttpResponse", "FileResponse", "StreamingHttpResponse"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _mentions_pdf(call: ast.Call) -> bool:
    for node in ast.walk(call):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and "pdf" in node.value.lower():
            return True
        if isinstance(node, ast.Name) and "PDF" in node.id.upper():
            return True
    return False


def _findings(path: Path, root: Path) -> Iterator[tuple[str, str, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    relative = path.relative_to(root).as_posix()

    def visit(node: ast.AST, scope: str) -> Iterator[tuple[str, str, str]]:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name if scope == "<module>" else scope
            if isinstance(child, ast.Import) and any(
                a.name.split(".")[0] == "weasyprint" for a in child.names
            ):
                yield (relative, scope, "import weasyprint")
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("weasyprint"):
                yield (relative, scope, "import weasyprint")
            if isinstance(child, ast.Call):
                called = _name(child.func)
                if called in ("render_pack", "write_pdf"):
                    yield (relative, scope, called)
                if called == "FileResponse" or (called in _RESPONSES and _mentions_pdf(child)):
                    yield (relative, scope, "pdf response")
            yield from visit(child, inner)

    yield from visit(tree, "<module>")


def test_only_the_release_service_and_the_download_views_make_or_send_pdfs() -> None:
    root = Path(settings.BASE_DIR)
    found: set[tuple[str, str, str]] = set()
    for app in SCANNED_APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found |= set(_findings(path, root))
    unexpected = found - ALLOWED
    assert not unexpected, f"client content rendered or sent as a file elsewhere: {unexpected}"
    # and the allowed list is not stale (each place still exists)
    assert ALLOWED - found == set(), ALLOWED - found


def test_the_scanner_catches_what_it_looks_for(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text(
        "import weasyprint\n"
        "from django.http import FileResponse, HttpResponse\n"
        "def leak(content):\n"
        "    weasyprint.HTML(string=content).write_pdf()\n"
        "    HttpResponse(content, content_type='application/pdf')\n"
        "    return FileResponse(open('x', 'rb'))\n"
    )
    kinds = {what for _, _, what in _findings(module, tmp_path)}
    assert kinds == {"import weasyprint", "write_pdf", "pdf response"}
