"""Pages for disclosure requests: access → form → service → redirect.

Every request is fetched through ``disclosures.access.request_for`` (404 outside one's scope,
the same as a missing one; each view audited); every change goes through
``disclosures.services`` (atomic, audited), which re-checks every rule whatever the page
showed. The pages name the client by case reference only, for everyone: supervisors never
see identity, and nobody needs it to decide a disclosure. Recipient, purpose and content never
go into a URL, a message, a header or an audit event.

Only two views here produce a PDF: ``download`` returns the PDF the release service stored,
and ``accountability`` renders a report about releases (no note text) with
``disclosures.pdf.render_pack``. tests/disclosures/test_register.py holds that list.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.access import Purpose, can, caseload, client_for
from clients.models import Client
from consent.models import ConsentEvent
from consent.services import current_state
from disclosures import access, queues, services
from disclosures.categories import (
    CATEGORIES,
    DOCUMENT_LABELS,
    REQUESTER_LABELS,
    Basis,
    Category,
    Document,
    Requester,
)
from disclosures.forms import (
    AttachForm,
    ConsentStepForm,
    ConsultForm,
    ContentForm,
    DecisionForm,
    RaiseForm,
    ReasonForm,
    RegisterFilterForm,
    consultation_choices,
)
from disclosures.models import (
    DisclosureRequest,
    GateDecision,
    RegisterEntry,
    ReleasedDocument,
    Status,
)
from disclosures.services import DisclosureError, ReleaseBlocked
from notes.forms import ErrorSummary
from notes.models import NoteEntry, SessionNote
from practice.accounts.decorators import role_required
from practice.accounts.models import Role, User
from practice.audit.services import record

GET_POST = ["GET", "POST"]
STAFF = (Role.COUNSELLOR, Role.SUPERVISOR, Role.MANAGER)
LIST_PAGE_SIZE = 50
REGISTER_PAGE_SIZE = 25
CONTENT_EDITABLE = (Status.RAISED, Status.CONSENT_CLEARED, Status.SIGNED_OFF)
# Attached documents are sent under a name of our own: the uploaded file's name may carry the
# client's name, and response headers end up in proxies' logs.
_EXTENSION = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _page(request: HttpRequest, items: Any, size: int) -> Page:
    return Paginator(items, size).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# -- who may do what on the page ---------------------------------------------------------------
# The services decide; these only say which forms to offer, using the services' own questions.


@dataclass
class Available:
    """The action forms offered to this user at this state."""

    choose: bool = False
    attach: bool = False
    consult: bool = False
    consent: bool = False
    sign_off: bool = False
    approve: bool = False
    refuse: bool = False
    release: bool = False
    emergency: bool = False
    review: str | None = None

    @property
    def any(self) -> bool:
        return any(
            [
                self.attach,
                self.consult,
                self.consent,
                self.sign_off,
                self.approve,
                self.refuse,
                self.release,
                self.emergency,
                self.review,
            ]
        )


def available(user: User, req: DisclosureRequest) -> Available:
    cat, status = req.category, req.status
    if req.is_final:
        return Available(review=queues.review_gate_for(user, req))
    writes_notes = can(user, req.client, Purpose.NOTES_WRITE)
    takes_part = services.may_take_part(user, req)
    # A subject access bundle's content is chosen, and it is reviewed and released, on its
    # own pages (disclosures/sar_views.py): the reviewer there sees no note text.
    is_bundle = req.category_code == "subject_access"
    return Available(
        choose=not is_bundle
        and status in CONTENT_EDITABLE
        and can(user, req.client, Purpose.NOTES_READ),
        attach=takes_part,
        consult=takes_part and bool(consultation_choices(cat)),
        consent=status == Status.RAISED and (writes_notes or user.pk == req.raised_by_id),
        sign_off=status == Status.CONSENT_CLEARED
        and cat.needs_supervisor
        and services.may_sign_off(user, req),
        approve=not is_bundle
        and services.may_approve(user, req)
        and (
            status == Status.SIGNED_OFF
            or (status == Status.CONSENT_CLEARED and not cat.needs_supervisor)
        ),
        refuse=services.may_refuse(user, req),
        release=status == Status.APPROVED and services.may_release(user, req) and not is_bundle,
        emergency=cat.emergency_route
        and status in (Status.RAISED, Status.CONSENT_CLEARED)
        and writes_notes,
    )


# -- the category's rules, in words --------------------------------------------------------------


def category_rules(cat: Category) -> list[tuple[str, str]]:
    rules = [
        (_("Basis"), str(cat.basis.value).capitalize()),
        (_("Client's consent"), str(cat.consent.value).capitalize()),
        (_("Tell the client"), str(cat.notify.value).capitalize()),
    ]
    if cat.statute:
        rules.append((_("Law"), cat.statute))
    if cat.requesters:
        who = ", ".join(
            str(REQUESTER_LABELS[r]) for r in sorted(cat.requesters, key=lambda r: r.value)
        )
        rules.append((_("Only in answer to"), who))
    if cat.required_documents:
        docs = _(" or ").join(
            str(DOCUMENT_LABELS[d]) for d in sorted(cat.required_documents, key=lambda d: d.value)
        )
        rules.append((_("Needs"), docs))
    gates = [_("consent step")]
    if cat.supervisor_consulted_first:
        gates.insert(0, _("supervisor consulted first"))
    if cat.advisers_consulted:
        gates.append(_("advisers consulted"))
    if cat.needs_supervisor:
        gates.append(_("supervisor sign-off"))
    if cat.needs_manager:
        gates.append(_("service-manager approval"))
    rules.append((_("Steps"), ", ".join(gates)))
    if cat.emergency_route:
        rules.append(
            (_("Emergency route"), _("Release first; supervisor and manager review in 72 hours"))
        )
    if cat.places_legal_hold:
        rules.append((_("Legal hold"), _("Placed on the client's records when it is raised")))
    if cat.report_by_default:
        rules.append((_("Advice"), _("A report is advised rather than the records")))
    if cat.anonymise_without_consent:
        rules.append((_("Without consent"), _("Only anonymised content")))
    for note in cat.special:
        rules.append((_("Note"), note))
    return rules


# -- the list ------------------------------------------------------------------------------------


@role_required(*STAFF)
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    waiting = [(req, queues.next_step(user, req)) for req in queues.waiting_for(user)]
    everything = (
        access.requests_visible_to(user)
        .select_related("client", "raised_by")
        .order_by("-raised_at")
    )
    return render(
        request,
        "disclosures/disclosurerequest_list.html",
        {
            "waiting": waiting,
            "reviews": queues.emergency_reviews_due(user),
            "page": _page(request, everything, LIST_PAGE_SIZE),
            "may_raise": user.has_role(Role.COUNSELLOR) or user.has_role(Role.MANAGER),
            "is_manager": user.has_role(Role.MANAGER),
        },
    )


# -- raising a request ---------------------------------------------------------------------------


def _client_for_raising(user: User, reference: str) -> Client:
    """The counsellor raises for their own clients; a service manager for any client."""
    if user.has_role(Role.MANAGER):
        return client_for(user, reference, Purpose.OVERVIEW)
    return client_for(user, reference, Purpose.NOTES_WRITE)


@role_required(Role.COUNSELLOR, Role.MANAGER)
@require_http_methods(GET_POST)
def request_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    reference = request.GET.get("client", "").strip().upper()
    if not reference:
        return render(
            request,
            "disclosures/disclosurerequest_choose_client.html",
            {"caseload": caseload(user).order_by("reference")},
        )
    client = _client_for_raising(user, reference)
    posted = request.method == "POST"
    form = RaiseForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            req = services.raise_request(
                by=user,
                client=client,
                category_code=data["category"],
                requester_kind=data["requester_kind"],
                requester=data["requester"],
                recipient=data["recipient"],
                purpose=data["purpose"],
                asked_for=data["asked_for"],
                received_on=data["received_on"],
                due_on=data["due_on"],
                documents=form.documents(),
                request=request,
            )
        except DisclosureError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Request %(reference)s was raised. Choose what would be released next.")
                % {"reference": req.reference},
            )
            return redirect(req)
    categories = [
        (radio, cat, category_rules(cat))
        for radio, cat in zip(form["category"], CATEGORIES.values(), strict=True)
    ]
    return render(
        request,
        "disclosures/disclosurerequest_form.html",
        {"client": client, "form": form, "categories": categories},
    )


def _add_service_errors(form: forms.Form, error: DisclosureError) -> None:
    reasons = error.reasons if isinstance(error, ReleaseBlocked) else [str(error)]
    for reason in reasons:
        form.add_error(None, reason)


# -- one request ---------------------------------------------------------------------------------


def _consents(req: DisclosureRequest) -> QuerySet[ConsentEvent]:
    """The client's current consents for this category's use (never a partner's)."""
    scope = req.category.consent_scope
    current = [
        grant.pk
        for state in current_state(req.client)
        if state.scope == scope
        for grant in state.current
    ]
    return ConsentEvent.objects.filter(pk__in=current).order_by("-recorded_at")


def _requester_label(kind: str) -> str:
    if kind in Requester.__members__.values():
        return str(REQUESTER_LABELS[Requester(kind)])
    return kind


@dataclass
class Forms:
    consent: ConsentStepForm | None = None
    consult: ConsultForm | None = None
    sign_off: DecisionForm | None = None
    approve: DecisionForm | None = None
    refuse: ReasonForm | None = None
    release: forms.Form | None = None
    emergency: ReasonForm | None = None
    review: ReasonForm | None = None
    attach: AttachForm | None = None
    bound: list[forms.Form] = field(default_factory=list)


def _consent_form(req: DisclosureRequest, data: Any = None) -> ConsentStepForm:
    return ConsentStepForm(data, prefix="consent", req=req, consents=_consents(req))


def _consult_form(req: DisclosureRequest, data: Any = None) -> ConsultForm:
    return ConsultForm(data, prefix="consult", cat=req.category)


def _reason_form(name: str, data: Any = None) -> ReasonForm:
    labels = {
        "refuse": _("Why the request is refused"),
        "emergency": _("Why this cannot wait"),
        "review": _("The outcome of your review"),
    }
    return ReasonForm(data, prefix=name, label=labels[name])


def _build_forms(can_do: Available, req: DisclosureRequest, bound: dict[str, Any]) -> Forms:
    built = Forms()
    if can_do.consent:
        built.consent = bound.get("consent") or _consent_form(req)
    if can_do.consult:
        built.consult = bound.get("consult") or _consult_form(req)
    if can_do.sign_off:
        built.sign_off = bound.get("sign_off") or DecisionForm(prefix="sign_off")
    if can_do.approve:
        built.approve = bound.get("approve") or DecisionForm(prefix="approve")
    if can_do.refuse:
        built.refuse = bound.get("refuse") or _reason_form("refuse")
    if can_do.release:
        built.release = bound.get("release") or forms.Form(prefix="release")
    if can_do.emergency:
        built.emergency = bound.get("emergency") or _reason_form("emergency")
    if can_do.review:
        built.review = bound.get("review") or _reason_form("review")
    if can_do.attach:
        built.attach = bound.get("attach") or AttachForm(prefix="attach")
    built.bound = list(bound.values())
    return built


def _detail(
    request: HttpRequest, req: DisclosureRequest, bound: dict[str, Any] | None = None
) -> HttpResponse:
    user = _user(request)
    bound = bound or {}
    can_do = available(user, req)
    built = _build_forms(can_do, req, bound)
    if req.status == Status.APPROVED:
        blockers = services.release_blockers(req)
        problems: list[str] = []
    else:
        blockers = []
        problems = [] if req.is_final else services.content_and_evidence_problems(req)
    items = list(
        req.items.select_related("entry", "entry__note", "entry__note__author").order_by(
            "entry__note__session_date", "entry__note__created_at", "entry__position"
        )
    )
    released = ReleasedDocument.objects.filter(request=req).only("id", "sha256", "size").first()
    register_entry = req.register.order_by("recorded_at").first() if released else None
    return render(
        request,
        "disclosures/disclosurerequest_detail.html",
        {
            "req": req,
            "cat": req.category,
            "rules": category_rules(req.category),
            "requester_label": _requester_label(req.requester_kind),
            "documents": [
                (document, DOCUMENT_LABELS.get(Document(document.kind), document.kind))
                for document in req.documents.select_related("uploaded_by")
            ],
            "may_download_documents": access.may_download_documents(user, req),
            "decisions": req.decisions.select_related("by", "consent"),
            "items": items,
            "blockers": blockers,
            "problems": problems,
            "can": can_do,
            "forms": built,
            "summary": ErrorSummary.of(*built.bound),
            "consents_available": bool(built.consent and "consent" in built.consent.fields),
            "consent_url": reverse("consent:client", args=[req.client.reference]),
            "released": released,
            "register_entry": register_entry,
            "may_download_release": released is not None and access.may_download_release(user, req),
            "release_progress": services.release_progress(req),
            "reviews_due": [GateDecision.Gate(gate).label for gate in services.reviews_due(req)],
            "review_overdue": services.review_overdue(req),
            "emergency_problems": services.content_and_evidence_problems(req)
            if can_do.emergency
            else [],
        },
    )


@role_required(*STAFF)
@require_GET
def request_detail(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    req = access.request_for(_user(request), request_id, http_request=request)
    return _detail(request, req)


# -- the gates (POST only) -------------------------------------------------------------------------


def _gate(
    request: HttpRequest,
    request_id: uuid.UUID,
    *,
    key: str,
    make_form: Callable[[DisclosureRequest, Any], forms.Form],
    act: Callable[[DisclosureRequest, User, forms.Form], str],
) -> HttpResponse:
    """Fetch (audited), check the form, call the service; on success a message and back to
    the request, otherwise the request page again with the error summary."""
    user = _user(request)
    req = access.request_for(user, request_id, http_request=request, view=key)
    form = make_form(req, request.POST)
    if form.is_valid():
        try:
            done = act(req, user, form)
        except DisclosureError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(req)
    req.refresh_from_db()
    return _detail(request, req, {key: form})


@role_required(*STAFF)
@require_POST
def consent_step(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(req: DisclosureRequest, user: User, form: forms.Form) -> str:
        assert isinstance(form, ConsentStepForm)
        services.clear_consent(req, by=user, request=request, **form.service_kwargs())
        return _("The consent step was recorded.")

    return _gate(request, request_id, key="consent", make_form=_consent_form, act=act)


@role_required(*STAFF)
@require_POST
def consult(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(req: DisclosureRequest, user: User, form: forms.Form) -> str:
        services.record_consultation(
            req,
            by=user,
            gate=form.cleaned_data["gate"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
        return _("The consultation was recorded.")

    return _gate(request, request_id, key="consult", make_form=_consult_form, act=act)


@role_required(*STAFF)
@require_POST
def sign_off(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(req: DisclosureRequest, user: User, form: forms.Form) -> str:
        services.sign_off(req, by=user, reason=form.cleaned_data["reason"], request=request)
        return _("You signed the request off.")

    return _gate(
        request,
        request_id,
        key="sign_off",
        make_form=lambda req, data: DecisionForm(data, prefix="sign_off"),
        act=act,
    )


@role_required(*STAFF)
@require_POST
def approve(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(req: DisclosureRequest, user: User, form: forms.Form) -> str:
        services.approve(req, by=user, reason=form.cleaned_data["reason"], request=request)
        return _("You approved the request. It can now be released.")

    return _gate(
        request,
        request_id,
        key="approve",
        make_form=lambda req, data: DecisionForm(data, prefix="approve"),
        act=act,
    )


@role_required(*STAFF)
@require_POST
def refuse(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(req: DisclosureRequest, user: User, form: forms.Form) -> str:
        services.refuse(req, by=user, reason=form.cleaned_data["reason"], request=request)
        return _("The request was refused. Nothing was released.")

    return _gate(
        request,
        request_id,
        key="refuse",
        make_form=lambda req, data: _reason_form("refuse", data),
        act=act,
    )


def _render_failed() -> type[Exception]:
    from disclosures.pdf import PdfRenderError

    return PdfRenderError


@role_required(*STAFF)
@require_POST
def release(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(req: DisclosureRequest, user: User, form: forms.Form) -> str:
        if services.should_release_in_background(req):
            services.queue_release(req, by=user, request=request)
            return _(
                "The pack is large, so it is being prepared in the background. This page "
                "shows when it has been released."
            )
        try:
            services.release(req, by=user, request=request)
        except _render_failed() as error:
            raise DisclosureError(
                _("The PDF could not be made safely, so nothing was released.")
            ) from error
        return _("Released. The PDF is stored and the register records it.")

    return _gate(
        request,
        request_id,
        key="release",
        make_form=lambda req, data: forms.Form(data, prefix="release"),
        act=act,
    )


@role_required(*STAFF)
@require_POST
def emergency_release(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(req: DisclosureRequest, user: User, form: forms.Form) -> str:
        try:
            services.emergency_release(
                req, by=user, reason=form.cleaned_data["reason"], request=request
            )
        except _render_failed() as error:
            raise DisclosureError(
                _("The PDF could not be made safely, so nothing was released.")
            ) from error
        return _(
            "Released on the emergency route. Your supervisor and a service manager must "
            "review it within 72 hours."
        )

    return _gate(
        request,
        request_id,
        key="emergency",
        make_form=lambda req, data: _reason_form("emergency", data),
        act=act,
    )


@role_required(*STAFF)
@require_POST
def review(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(req: DisclosureRequest, user: User, form: forms.Form) -> str:
        services.review_emergency(req, by=user, reason=form.cleaned_data["reason"], request=request)
        return _("Your review was recorded.")

    return _gate(
        request,
        request_id,
        key="review",
        make_form=lambda req, data: _reason_form("review", data),
        act=act,
    )


@role_required(*STAFF)
@require_POST
def attach(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(req: DisclosureRequest, user: User, form: forms.Form) -> str:
        assert isinstance(form, AttachForm)
        for kind, upload in form.documents():
            services.attach_document(req, by=user, kind=kind, upload=upload, request=request)
        return _("The document was added.")

    return _gate(
        request,
        request_id,
        key="attach",
        make_form=lambda req, data: AttachForm(data, request.FILES, prefix="attach"),
        act=act,
    )


# -- choosing what is released ------------------------------------------------------------------


@dataclass(frozen=True)
class EntryChoice:
    entry: NoteEntry
    checked: bool
    reason: forms.BoundField | None


@dataclass(frozen=True)
class NoteGroup:
    note: SessionNote
    choices: list[EntryChoice]


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def choose(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    req = access.request_for(user, request_id, http_request=request, view="content")
    if not can(user, req.client, Purpose.NOTES_READ):
        raise Http404
    if req.status not in CONTENT_EDITABLE:
        messages.info(request, _("What is released cannot change once the request is approved."))
        return redirect(req)
    entries = services.releasable_entries(req)
    chosen = {str(item.entry_id): item for item in req.items.all()}
    initial: dict[str, Any] = {"entries": list(chosen), "report_text": req.report_text}
    for entry_id, item in chosen.items():
        if item.third_party_reason:
            initial[f"reason_{entry_id}"] = item.third_party_reason
    data = request.POST if request.method == "POST" else None
    form = ContentForm(data, entries=entries, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.choose_content(
                req,
                by=user,
                entry_ids=form.cleaned_data["entries"],
                third_party_reasons=form.reasons(),
                report_text=form.cleaned_data["report_text"],
                request=request,
            )
        except DisclosureError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("What would be released was saved."))
            return redirect(req)
    selected = set(form["entries"].value() or [])
    groups: list[NoteGroup] = []
    for entry in entries:
        choice = EntryChoice(
            entry=entry,
            checked=str(entry.pk) in {str(value) for value in selected},
            reason=form[form.reason_name(entry)] if entry.is_third_party else None,
        )
        if groups and groups[-1].note.pk == entry.note_id:
            groups[-1].choices.append(choice)
        else:
            groups.append(NoteGroup(note=entry.note, choices=[choice]))
    return render(
        request,
        "disclosures/disclosurerequest_content.html",
        {
            "req": req,
            "cat": req.category,
            "form": form,
            "groups": groups,
            "entries_error": form["entries"].errors,
        },
    )


# -- downloads -----------------------------------------------------------------------------------


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


@role_required(*STAFF)
@require_GET
@never_cache
def download(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """The PDF that was released, exactly as stored (its SHA-256 is in the register)."""
    user = _user(request)
    req = access.request_for(user, request_id, http_request=request, view="pdf")
    if not access.may_download_release(user, req):
        raise Http404
    stored = ReleasedDocument.objects.filter(request=req).first()
    if stored is None:
        raise Http404
    content = bytes(stored.pdf)
    record(
        "disclosure.downloaded",
        by=user,
        target=req,
        client_ref=req.client.reference,
        request=request,
        data={"category": req.category_code, "sealed": req.is_sealed, "sha256": stored.sha256},
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{req.reference}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


@role_required(*STAFF)
@require_GET
@never_cache
def document(request: HttpRequest, request_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    """A document received with the request (the court order, the police request...)."""
    user = _user(request)
    req = access.request_for(user, request_id, http_request=request, view="document")
    if not access.may_download_documents(user, req):
        raise Http404
    attached = req.documents.filter(pk=document_id).first()
    if attached is None:
        raise Http404
    content = bytes(attached.content)
    record(
        "disclosure.document.downloaded",
        by=user,
        target=attached,
        client_ref=req.client.reference,
        request=request,
        data={"request": str(req.pk), "kind": attached.kind, "sealed": req.is_sealed},
    )
    extension = _EXTENSION.get(attached.content_type, "bin")
    return _attachment(
        content,
        attached.content_type or "application/octet-stream",
        f"{req.reference}-{attached.kind}.{extension}",
    )


# -- the register --------------------------------------------------------------------------------


def _recipient_key(recipient: str) -> str:
    from practice.crypto.blind_index import blind_index

    return blind_index("register.recipient", recipient)


RECIPIENT_KEY = "recipient_key"


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Every release, newest first, with filters. Recipients are encrypted, so the recipient
    filter compares decrypted values here (the register is small).

    The filter form is posted and answered with a redirect, so that pages can be linked and
    paged with GET; the recipient never goes into that URL as text, only as a keyed
    blind-index token (a recipient is clinical information)."""
    user = _user(request)
    if request.method == "POST":
        posted = RegisterFilterForm(request.POST)
        if posted.is_valid():
            query = {
                name: str(value)
                for name, value in posted.cleaned_data.items()
                if value and name != "recipient"
            }
            if posted.cleaned_data["recipient"]:
                query[RECIPIENT_KEY] = _recipient_key(posted.cleaned_data["recipient"])
            return redirect(
                reverse("disclosures:register") + ("?" + urlencode(query) if query else "")
            )
        form = posted
        filtering = True
    else:
        filtering = any(
            request.GET.get(name) for name in [*RegisterFilterForm.base_fields, RECIPIENT_KEY]
        )
        form = RegisterFilterForm(request.GET if filtering else None)
    entries: Any = RegisterEntry.objects.select_related("request", "client", "recorded_by")
    if form.is_bound and form.is_valid() and request.method == "GET":
        data = form.cleaned_data
        if data["client"]:
            entries = entries.filter(client__reference=data["client"])
        if data["category"]:
            entries = entries.filter(category_code=data["category"])
        if data["released_from"]:
            entries = entries.filter(released_at__date__gte=data["released_from"])
        if data["released_to"]:
            entries = entries.filter(released_at__date__lte=data["released_to"])
        token = request.GET.get(RECIPIENT_KEY, "")
        if token:
            entries = [e for e in entries if _recipient_key(e.recipient) == token]
    elif form.is_bound:
        entries = RegisterEntry.objects.none()
    page = _page(request, entries, REGISTER_PAGE_SIZE)
    record(
        "disclosure.register.viewed",
        by=user,
        request=request,
        data={"rows": len(page.object_list), "page": page.number, "filtered": form.is_bound},
    )
    return render(
        request,
        "disclosures/registerentry_list.html",
        {"form": form, "page": page, "query": _query_without_page(request)},
    )


# Bases of disclosures the client did not consent to. A subject access release goes to the
# client themselves, so it is not one of them.
_NOT_CONSENSUAL_EXCLUDED = (Basis.CONSENT.value, Basis.RIGHT_OF_ACCESS.value)


def _accountability_pack(
    client: Client, entries: list[RegisterEntry], *, by: User, include_sealed: bool
) -> Any:
    from disclosures.pdf import Pack, PackItem

    items = []
    for entry in entries:
        req = entry.request
        steps = [
            f"{GateDecision.Gate(d.gate).label}: {GateDecision.Outcome(d.outcome).label}, "
            f"by {d.by.get_full_name() or d.by.username}, "
            f"{timezone.localtime(d.at):%d %B %Y %H:%M}"
            for d in req.decisions.select_related("by").order_by("at")
        ]
        sent = _("%(count)s entries") % {"count": entry.item_count}
        if entry.included_report:
            sent += _(" and a written report")
        meta = [
            (_("Disclosure"), req.reference),
            (_("Released"), f"{timezone.localtime(entry.released_at):%d %B %Y %H:%M}"),
            (_("Basis"), entry.basis),
            (_("Law"), entry.statute or "—"),
            (_("Recipient"), entry.recipient),
            (_("Purpose"), entry.purpose),
            (_("What was sent"), sent),
            (_("SHA-256 of the pack"), entry.sha256),
            (
                _("Approved by"),
                "; ".join(
                    f"{GateDecision.Gate(a['gate']).label}: {a['name']}"
                    for a in entry.approvers
                    if a.get("gate") in GateDecision.Gate.values
                )
                or "—",
            ),
        ]
        if entry.emergency:
            meta.append((_("Route"), _("Emergency: released first, reviewed afterwards")))
        items.append(
            PackItem(
                heading=f"{req.category.label}, {timezone.localtime(entry.released_at):%d %B %Y}",
                meta=meta,
                text="\n".join(steps) or _("No steps were recorded."),
                label=_("Sealed: not for the client") if entry.sealed else "",
            )
        )
    scope = (
        _("Every disclosure made without the client's consent, sealed ones included.")
        if include_sealed
        else _("Every disclosure made without the client's consent.")
    )
    return Pack(
        reference=f"ACC-{client.reference}",
        title=str(_("Accountability report: disclosures without consent")),
        recipient=str(_("The client, or a professional body")),
        purpose=str(scope),
        basis=str(_("Accountability (UK GDPR Art. 5(2)); no note content is included")),
        client_reference=client.reference,
        approvers=[
            (
                str(_("Prepared by")),
                by.get_full_name() or by.username,
                f"{timezone.localdate():%d %B %Y}",
            )
        ],
        items=items,
        generated_at=timezone.localtime(),
        report_text=""
        if items
        else str(_("No disclosure without the client's consent is recorded.")),
    )


@role_required(Role.MANAGER)
@require_GET
@never_cache
def accountability(request: HttpRequest, reference: str) -> HttpResponse:
    """A report ABOUT the releases for one client (basis, steps, approvers, what was sent and
    its hash): for the client or a professional body. It contains no note text."""
    from disclosures.pdf import render_pack

    user = _user(request)
    client = client_for(user, reference, Purpose.OVERVIEW)
    include_sealed = request.GET.get("sealed") == "include"
    entries = (
        RegisterEntry.objects.filter(client=client)
        .exclude(basis__in=_NOT_CONSENSUAL_EXCLUDED)
        .select_related("request", "request__client")
        .order_by("released_at")
    )
    if not include_sealed:
        entries = entries.filter(sealed=False)
    rows = list(entries)
    content = render_pack(
        _accountability_pack(client, rows, by=user, include_sealed=include_sealed)
    )
    record(
        "disclosure.accountability_report",
        by=user,
        target=client,
        client_ref=client.reference,
        request=request,
        data={"entries": len(rows), "sealed_included": include_sealed},
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="accountability-{client.reference}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response
